import Hummingbird

/// Drops the body of every response to `HEAD` (RFC 9110 §9.3.2), keeping its status and
/// headers (`Content-Length` included when there is one; none for a stream, which is never
/// started). `RecordingRouter` registers `HEAD` beside every `GET` route, so `HEAD` is answered
/// as `GET` would be; on other paths it gets the same `404` or `405` as any other method.
struct HeadMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .head else { return try await next(request, context) }
        var response = try await next(request, context)
        response.body = ResponseBody(contentLength: response.body.contentLength) { writer in try await writer.finish(nil) }
        return response
    }
}
