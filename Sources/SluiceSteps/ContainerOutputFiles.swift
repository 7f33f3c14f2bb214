#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore

/// The `output_files` of one `Container.Run` attempt: where this host sees each file, and what
/// the container wrote there.
///
/// A runtime with images gets an empty host file per output, mounted at its path, in a directory
/// of the attempt's own that goes once the files are read. Its modification time is set to 0
/// first: a file still at 0 after the run was not written (the mount itself always exists). The
/// `process` runtime's commands write the host's own paths; a file there counts as written when
/// it exists and its modification time is not the one it had before the run.
struct ContainerOutputFiles {
    var files: [ContainerSpec.OutputFile] = []
    /// The modification time (seconds, nanoseconds) each host file had before the run; `nil`
    /// when it did not exist.
    var before: [String: timespec?] = [:]
    var directory: String?

    /// Prepares the files of `parameters` for `spec` (the container's name names the directory).
    static func prepare(_ parameters: ContainerRunParameters, spec: inout ContainerSpec, usesImages: Bool) throws(StepFailure) -> ContainerOutputFiles {
        var prepared = ContainerOutputFiles()
        guard !parameters.outputFiles.isEmpty else { return prepared }
        if usesImages {
            let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
            var template = Array("\(base.hasSuffix("/") ? String(base.dropLast()) : base)/sluice-outputs-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw StepFailure("could not make a directory for the output files under \(base): \(String(cString: strerror(errno)))", retryable: true)
            }
            let dir = String(cString: made)
            prepared.directory = dir
            for (i, (name, path)) in parameters.outputFiles.enumerated() {
                let host = "\(dir)/\(i)"
                let fd = open(host, O_CREAT | O_WRONLY | O_TRUNC, 0o666)
                guard fd >= 0 else { prepared.cleanUp(); throw StepFailure("could not make the output file \(host): \(String(cString: strerror(errno)))", retryable: true) }
                // Writable by a container running as another user than the server's.
                fchmod(fd, 0o666)
                var times = [timespec(tv_sec: 0, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: 0)]
                futimens(fd, &times)
                close(fd)
                prepared.files.append(.init(name: name, path: path, hostPath: host))
                prepared.before[host] = timespec(tv_sec: 0, tv_nsec: 0)
            }
        } else {
            for (name, path) in parameters.outputFiles {
                prepared.files.append(.init(name: name, path: path, hostPath: path))
                prepared.before[path] = Self.modified(path)
            }
        }
        spec.outputFiles = prepared.files
        return prepared
    }

    /// The modification time of `path`, or `nil` when there is no such file.
    static func modified(_ path: String) -> timespec? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mtim
    }

    /// What the container wrote, by name (one trailing line end removed); a file not written
    /// takes its `output_defaults` text, else fails the step, as does one over the size limit.
    func read(defaults: [String: String], image: String) throws(StepFailure) -> JSONObject {
        var out = JSONObject()
        for file in files {
            let now = Self.modified(file.hostPath)
            let written: Bool
            if let now, let was = before[file.hostPath] ?? nil {
                written = now.tv_sec != was.tv_sec || now.tv_nsec != was.tv_nsec
            } else {
                written = now != nil
            }
            guard written else {
                if let text = defaults[file.name] { out.append(file.name, .string(text)); continue }
                throw StepFailure("container \(image) did not write its output file \(file.path) (output_files.\(file.name)); write it, or give output_defaults.\(file.name)")
            }
            guard let bytes = Self.contents(file.hostPath, limit: Limits.containerOutputFileBytes) else {
                throw StepFailure("container \(image)'s output file \(file.path) (output_files.\(file.name)) could not be read or holds more than \(Limits.containerOutputFileBytes) bytes")
            }
            var text = String(decoding: bytes, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            out.append(file.name, .string(text))
        }
        return out
    }

    /// The bytes of `path`, or `nil` when it cannot be read or holds more than `limit`.
    static func contents(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { return bytes }
            bytes += buffer[0..<n]
            if bytes.count > limit { return nil }
        }
    }

    /// Removes the attempt's directory, if it made one.
    func cleanUp() {
        guard let directory else { return }
        for file in files { unlink(file.hostPath) }
        rmdir(directory)
    }
}
