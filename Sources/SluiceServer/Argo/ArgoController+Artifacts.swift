#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SluiceArgo
import SluiceCore
import SluiceSteps

/// `GET /artifacts/{namespace}/{name}/{nodeId}/{artifactName}`, as argo-server serves it
/// (outside `/api/v1`): the bytes of an output artifact a Pod node saved in the local artifact
/// store, read as the workflow is (`read` in the namespace). A file is sent as it is; a
/// directory as an uncompressed tar archive (`NAME.tar`). Both are streamed in 64 KiB pieces,
/// never read whole.
extension ArgoController {
    func registerArtifacts(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/artifacts/:namespace/:name/:nodeId/:artifactName", use: artifact)
    }

    @Sendable func artifact(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        let nodeID = context.parameters.get("nodeId") ?? ""
        let artifactName = context.parameters.get("artifactName") ?? ""
        let namespace = try namespace(context, .read, hiddenAsNotFound: name)
        guard let stored = try await workflows.find(name, in: namespace) else { throw ArgoError.notFound(name) }
        func missing(_ why: String) -> Problem {
            Problem(status: .notFound, type: "urn:sluice:problem:not-found", title: "Not found", detail: why)
        }
        let uid = stored.metadata["uid"]?.stringValue ?? ""
        guard case .success(let translation) = ArgoTranslator.translate(.object(JSONObject([("spec", stored.spec)])), name: stored.name, namespace: namespace, uid: uid),
              let plan = translation.nodes.first(where: { plan in
                  // A Pod node, or the Pod of an attempt of a Retry node (`NAME(k)`): its task.
                  plan.id == nodeID || (plan.kind == .retry && (0..<100).contains { ArgoNodePlan.id(workflow: stored.name, name: "\(plan.name)(\($0))") == nodeID })
              }) else {
            throw missing("workflow \"\(name)\" has no node \"\(nodeID)\"")
        }
        guard let taskID = plan.task, let detail = try await workflows.execution(of: stored),
              let task = detail.tasks.first(where: { $0.stepID == taskID }),
              let saved = task.output?["json"]?["artifacts"]?[artifactName],
              let key = saved["key"]?.stringValue else {
            throw missing("node \"\(nodeID)\" of workflow \"\(name)\" has no saved output artifact \"\(artifactName)\"")
        }
        guard let root = engine.configuration.artifactDirectory,
              let path = ArtifactStore(root: root).location(executionID: detail.execution.id, key: key) else {
            throw missing("this server has no artifact store")
        }
        switch ArtifactFiles.kind(path) {
        case "file":
            var info = stat()
            guard lstat(path, &info) == 0 else { throw missing("artifact \"\(artifactName)\" could not be read: \(String(cString: strerror(errno)))") }
            var headers: HTTPFields = [:]
            headers[.contentType] = "application/octet-stream"
            headers[.contentLength] = String(info.st_size)
            headers[.contentDisposition] = "attachment; filename=\"\(Self.fileName(path))\""
            let body = ResponseBody { writer in
                // Opened here, so that a body never written (a HEAD) holds no file open.
                let fd = open(path, O_RDONLY | O_NOFOLLOW)
                if fd >= 0 {
                    defer { close(fd) }
                    try await Self.stream(fd: fd, to: &writer)
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        case "directory":
            var headers: HTTPFields = [:]
            headers[.contentType] = "application/x-tar"
            headers[.contentDisposition] = "attachment; filename=\"\(artifactName).tar\""
            let body = ResponseBody { writer in
                try await TarStream.write(directory: path, prefix: artifactName, to: &writer)
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        default:
            throw missing("artifact \"\(artifactName)\" of node \"\(nodeID)\" is no longer in the artifact store")
        }
    }

    static func fileName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? "artifact").replacingOccurrences(of: "\"", with: "_")
    }

    /// Writes what `fd` holds from where it is, in 64 KiB pieces.
    static func stream(fd: Int32, to writer: inout any ResponseBodyWriter) async throws {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            try await writer.write(ByteBuffer(bytes: buffer[0..<n]))
        }
    }
}

/// A tar archive (POSIX ustar, with a pax `path` record for names longer than ustar holds)
/// of a directory, written as it is read: directories, files and symbolic links (as links).
enum TarStream {
    static func write(directory: String, prefix: String, to writer: inout any ResponseBodyWriter) async throws {
        try await entry(directory, name: prefix, to: &writer)
        try await writer.write(ByteBuffer(bytes: [UInt8](repeating: 0, count: 1024)))
    }

    static func entry(_ path: String, name: String, to writer: inout any ResponseBodyWriter) async throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let mode = Int(info.st_mode & 0o7777)
        let mtime = Int(info.st_mtim.tv_sec)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            try await writer.write(ByteBuffer(bytes: headers(name: name + "/", size: 0, mode: mode, mtime: mtime, type: "5", link: "")))
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for child in names.sorted() { try await entry("\(path)/\(child)", name: "\(name)/\(child)", to: &writer) }
        case S_IFREG:
            let fd = open(path, O_RDONLY | O_NOFOLLOW)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var stats = stat()
            fstat(fd, &stats)
            let size = Int(stats.st_size)
            try await writer.write(ByteBuffer(bytes: headers(name: name, size: size, mode: mode, mtime: mtime, type: "0", link: "")))
            // Exactly `size` bytes (a file that grew meanwhile is cut, one that shrank padded).
            var left = size
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while left > 0 {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, left)) }
                if n <= 0 { break }
                try await writer.write(ByteBuffer(bytes: buffer[0..<n]))
                left -= n
            }
            if left > 0 { try await writer.write(ByteBuffer(bytes: [UInt8](repeating: 0, count: left))) }
            let pad = (512 - size % 512) % 512
            if pad > 0 { try await writer.write(ByteBuffer(bytes: [UInt8](repeating: 0, count: pad))) }
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(path, &target, target.count - 1)
            guard n >= 0 else { return }
            let link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            try await writer.write(ByteBuffer(bytes: headers(name: name, size: 0, mode: 0o777, mtime: mtime, type: "2", link: link)))
        default:
            return
        }
    }

    /// The header block(s) of one entry: a pax record first when the name or link does not
    /// fit ustar's 100 bytes.
    static func headers(name: String, size: Int, mode: Int, mtime: Int, type: Character, link: String) -> [UInt8] {
        var out: [UInt8] = []
        if name.utf8.count > 100 || link.utf8.count > 100 {
            var records = ""
            if name.utf8.count > 100 { records += record("path", name) }
            if link.utf8.count > 100 { records += record("linkpath", link) }
            let data = Array(records.utf8)
            out += header(name: "PaxHeader", size: data.count, mode: 0o644, mtime: mtime, type: "x", link: "")
            out += data
            out += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        out += header(name: String(decoding: name.utf8.prefix(100), as: UTF8.self), size: size, mode: mode, mtime: mtime, type: type, link: String(decoding: link.utf8.prefix(100), as: UTF8.self))
        return out
    }

    /// A pax record: `"<length> key=value\n"`, the length counting itself.
    static func record(_ key: String, _ value: String) -> String {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).count + body.utf8.count > length { length += 1 }
        return "\(String(length).count + body.utf8.count)\(body)"
    }

    static func header(name: String, size: Int, mode: Int, mtime: Int, type: Character, link: String) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            var digits = String(value, radix: 8)
            while digits.count < width - 1 { digits = "0" + digits }
            put(digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        put("        ", at: 148, width: 8)
        block[156] = type.asciiValue ?? 0x30
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        let sum = block.reduce(0) { $0 + Int($1) }
        var digits = String(sum, radix: 8)
        while digits.count < 6 { digits = "0" + digits }
        put(digits, at: 148, width: 6)
        block[154] = 0
        block[155] = 0x20
        return block
    }
}
