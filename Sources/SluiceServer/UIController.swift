import Foundation
import HTTPTypes
import Hummingbird

/// The web UI: `GET /` redirects to `/ui`; `GET /ui` and every path under `/ui/` outside
/// `/ui/assets/` answer `index.html` (the page routes client-side); `GET /ui/assets/{asset}`
/// answers a file of `Resources/ui/assets/`. Every answer has a strong `ETag` and
/// `Cache-Control: no-cache`, so browsers revalidate and an upgraded binary is picked up at once
/// (`If-None-Match` with the current tag answers `304`).
struct UIController {
    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/") { _, _ in
            Response(status: .found, headers: [.location: "/ui"])
        }
        router.get("/ui") { request, _ in
            try Self.index(request)
        }
        // `**` needs at least one segment, so `/ui` above is needed too (`/ui/` is `/ui`: the
        // router skips empty segments). The router tries constant segments before wildcards, so
        // `/ui/assets/{asset}` wins over this route for `/ui/assets/app.js`; `/ui/assets` itself
        // and `/ui/assets/a/b` fall through to it, and are answered 404 like an unknown asset.
        router.get("/ui/**") { request, context -> Response in
            let rest = context.parameters.getCatchAll()
            if rest.first == "assets" {
                throw Problem.notFound("no web UI asset \"\(rest.dropFirst().joined(separator: "/"))\"")
            }
            return try Self.index(request)
        }
        router.get("/ui/assets/{asset}") { request, context -> Response in
            let name = context.parameters.get("asset") ?? ""
            let assets = try UIFiles.assets()
            guard let file = assets[name] else {
                throw Problem.notFound("no web UI asset \"\(name)\"; the assets are \(assets.keys.sorted().joined(separator: ", "))")
            }
            return file.response(to: request)
        }
    }

    static func index(_ request: Request) throws -> Response {
        try UIFiles.index().response(to: request)
    }
}

/// The files of `Resources/ui`, read from the resource bundle once, on first use: `index.html`
/// and every file directly in `assets/` (so only those names can be served, and a new asset file
/// needs no code change).
enum UIFiles {
    /// A file's bytes with its headers.
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
        /// A strong entity tag: the quoted hex of the 64-bit FNV-1a hash of the bytes.
        var etag: String

        init(bytes: [UInt8], contentType: String) {
            self.bytes = bytes
            self.contentType = contentType
            self.etag = "\"" + UIFiles.fnv1a64(bytes).hexPadded + "\""
        }

        var isHTML: Bool { contentType.hasPrefix("text/html") }

        /// `200` with the file, or `304` with no body when `If-None-Match` names its tag (or is `*`).
        func response(to request: Request) -> Response {
            var headers: HTTPFields = [
                .eTag: etag,
                .cacheControl: "no-cache",
                .xContentTypeOptions: "nosniff",
                UIFiles.referrerPolicy: "same-origin",
            ]
            if isHTML { headers[.contentSecurityPolicy] = UIFiles.contentSecurityPolicy }
            if UIFiles.matches(ifNoneMatch: request.headers[values: .ifNoneMatch], etag: etag) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = contentType
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    /// Scripts, styles and requests stay on this origin; images may come from anywhere over
    /// http(s): an annotation item's data is often the URL of an image elsewhere, shown as it is.
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data: http: https:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    private struct Loaded: Sendable {
        var index: File
        var assets: [String: File]
    }

    private static let loaded: Result<Loaded, Problem> = load()

    /// `index.html`.
    static func index() throws -> File { try loaded.get().index }
    /// The files of `assets/` by name.
    static func assets() throws -> [String: File] { try loaded.get().assets }

    private static func missing(_ detail: String) -> Problem {
        Problem(status: .internalServerError, type: "urn:sluice:problem:internal", title: "Internal server error", detail: detail)
    }

    private static func load() -> Result<Loaded, Problem> {
        let fm = FileManager.default
        let candidates = [Bundle.module.url(forResource: "ui", withExtension: nil), Bundle.module.resourceURL?.appendingPathComponent("ui")]
        var isDirectory: ObjCBool = false
        guard let root = candidates.compactMap({ $0 }).first(where: { fm.fileExists(atPath: $0.path, isDirectory: &isDirectory) && isDirectory.boolValue }) else {
            return .failure(missing("the web UI's files (the folder ui) are missing from the SluiceServer resource bundle"))
        }
        let indexURL = root.appendingPathComponent("index.html")
        guard let indexBytes = fm.contents(atPath: indexURL.path) else {
            return .failure(missing("the web UI's index.html is missing from the SluiceServer resource bundle (\(indexURL.path))"))
        }
        var assets: [String: File] = [:]
        let assetsURL = root.appendingPathComponent("assets")
        if let names = try? fm.contentsOfDirectory(atPath: assetsURL.path) {
            for name in names where !name.hasPrefix(".") {
                let path = assetsURL.appendingPathComponent(name).path
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue, let data = fm.contents(atPath: path) else { continue }
                assets[name] = File(bytes: Array(data), contentType: contentType(forName: name))
            }
        }
        return .success(Loaded(index: File(bytes: Array(indexBytes), contentType: "text/html; charset=utf-8"), assets: assets))
    }

    /// The `Content-Type` of an asset, by its extension.
    static func contentType(forName name: String) -> String {
        let ext = name.split(separator: ".").count > 1 ? name.split(separator: ".").last!.lowercased() : ""
        switch ext {
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "json": return "application/json"
        case "html": return "text/html; charset=utf-8"
        default: return "application/octet-stream"
        }
    }

    /// Whether `If-None-Match` (each field a comma-separated list of tags, or `*`) names `etag`.
    /// The comparison is weak, as RFC 9110 §13.1.2 asks: `W/"x"` matches `"x"`.
    static func matches(ifNoneMatch fields: [String], etag: String) -> Bool {
        for field in fields {
            for raw in field.split(separator: ",") {
                var tag = raw.trimmingCharacters(in: .whitespaces)
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag.removeFirst(2) }
                if tag == etag { return true }
            }
        }
        return false
    }

    /// The 64-bit FNV-1a hash.
    static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

extension UInt64 {
    /// 16 lowercase hex digits.
    fileprivate var hexPadded: String {
        let hex = String(self, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
