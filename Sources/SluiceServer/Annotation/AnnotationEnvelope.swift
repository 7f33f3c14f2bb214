import Hummingbird
import SluiceCore

/// The envelope every `/annotation/*` answer comes in, as the annotation API's clients expect:
///
///     {"code": 200, "message": "Succeed", "data": {…}, "date": "2024-05-17 17:22:21",
///      "requestId": "c597b2ac171593779390810011afb4", "success": true}
///     {"code": 400, "data": null, "date": "", "message": "Invalid Parameter", "requestId": "",
///      "success": false, "problems": [{"path": "workflow.pools[2].type", …}]}
///
/// An error's HTTP status is its `code` (401, 403, 404, 413, 500 too); its `message` is
/// "Invalid Parameter" for a 400 and the status's reason otherwise, and `problems` (the one
/// member added to the seed's six) says what was wrong and where.
enum AnnotationEnvelope {
    static let prefix = "/annotation"

    /// Whether `path` is the annotation API's, whose answers (errors too) use the envelope.
    static func covers(_ path: String) -> Bool {
        path == prefix || path.hasPrefix(prefix + "/")
    }

    /// HTTP 200 with `data`, dated `now` (UTC) and a request id of its own.
    static func success(_ data: JSONValue, now: Int64) -> Response {
        var o = JSONObject()
        o.append("code", 200)
        o.append("message", "Succeed")
        o.append("data", data)
        o.append("date", .string(date(now)))
        o.append("requestId", .string(requestID()))
        o.append("success", true)
        return JSONResponse.make(.object(o))
    }

    /// The envelope of an error: the problem's status, the seed's members, and `problems`.
    static func failure(_ problem: Problem) -> Response {
        var o = JSONObject()
        o.append("code", .number(Double(problem.status.code)))
        o.append("data", .null)
        o.append("date", "")
        o.append("message", .string(problem.status == .badRequest ? "Invalid Parameter" : problem.status.reasonPhrase))
        o.append("requestId", "")
        o.append("success", false)
        let issues = problem.errors.isEmpty ? [ValidationIssue(path: "", code: code(of: problem), message: problem.detail)] : problem.errors
        o.append("problems", .array(issues.map { .object(JSONObject([("path", .string($0.path)), ("code", .string($0.code)), ("message", .string($0.message))])) }))
        var response = JSONResponse.make(.object(o), status: problem.status)
        for field in problem.headers { response.headers.append(field) }
        return response
    }

    /// `urn:sluice:problem:not-found` → `not_found`.
    static func code(of problem: Problem) -> String {
        let last = problem.type.split(separator: ":").last.map(String.init) ?? "error"
        return last == "blank" ? "error" : last.replacing("-", with: "_")
    }

    /// `yyyy-MM-dd HH:mm:ss` in UTC.
    static func date(_ milliseconds: Int64) -> String {
        let iso = Timestamp.format(milliseconds: milliseconds)  // 2024-05-17T17:22:21.000Z
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8))
    }

    /// 30 lowercase hex digits, random: unique per request.
    static func requestID() -> String {
        var rng = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<15 {
            let byte = UInt8.random(in: 0...255, using: &rng)
            text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return text
    }
}
