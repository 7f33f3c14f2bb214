import Hummingbird
import SluiceCore

/// JSON responses from `JSONValue`s.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json", headers extra: HTTPFields = [:]) -> Response {
        var bytes = value.jsonBytes
        bytes.append(0x0A)
        var headers: HTTPFields = [.contentType: contentType]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
