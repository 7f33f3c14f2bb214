#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SluiceCore

/// The local artifact store: files and directories that `Container.Run` tasks save
/// (`output_artifacts`) for later tasks of the same execution (`input_artifacts`), kept under
/// `root` as `<root>/<execution id>/<task id>/<attempt>/<name>`. An artifact is copied there
/// into a temporary name and renamed into place, so a reader (a later task, a download, a task
/// re-run after a crash) never sees half of one. What an execution saved goes with it
/// (`removeExecution`, when its workflow is deleted or retention deletes it).
public struct ArtifactStore: Sendable {
    /// The directory that holds one directory per execution.
    public var root: String
    /// The most bytes one artifact may hold (a file, or a directory's files together).
    public var maxBytes: Int

    public init(root: String, maxBytes: Int = Limits.containerArtifactBytes) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.maxBytes = maxBytes
    }

    /// `text` as one path component: characters other than `[A-Za-z0-9_.-]` become `_`, and
    /// `.`/`..`/empty get a leading `_`, so that no id leaves its directory.
    public static func component(_ text: String) -> String { ArtifactKey.component(text) }

    /// The key of artifact `name` saved by `attempt` of task `stepID`: `TASK/ATTEMPT/NAME`,
    /// relative to the execution's directory.
    public static func key(stepID: String, attempt: Int, name: String) -> String {
        "\(component(stepID))/\(attempt)/\(component(name))"
    }

    /// Whether `key` has the form `key(stepID:attempt:name:)` makes (three components, none
    /// of them `.` or `..`), so that it names a place inside the execution's directory.
    public static func isKey(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, Int(parts[1]) != nil else { return false }
        return parts.allSatisfy { p in !p.isEmpty && p != "." && p != ".." && component(String(p)) == p }
    }

    /// The directory of execution `executionID`.
    public func directory(executionID: String) -> String { "\(root)/\(Self.component(executionID))" }

    /// Where artifact `key` of execution `executionID` is (or would be); `nil` for a key that is
    /// not one.
    public func location(executionID: String, key: String) -> String? {
        Self.isKey(key) ? "\(directory(executionID: executionID))/\(key)" : nil
    }

    /// Removes everything execution `executionID` saved.
    public func removeExecution(_ executionID: String) {
        ArtifactFiles.removeTree(directory(executionID: executionID))
    }
}

/// Copying and removing artifact files without following symbolic links (a link is copied as
/// a link, never read through), counting the bytes copied.
public enum ArtifactFiles {
    public struct Failure: Error, Sendable {
        public var message: String
        public var overLimit: Bool
    }

    static var errnoText: String { String(cString: strerror(errno)) }

    /// What is at `path` without following a link: `"file"`, `"directory"`, `"link"`,
    /// `"other"`, or `nil` when nothing is there.
    public static func kind(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return "file"
        case S_IFDIR: return "directory"
        case S_IFLNK: return "link"
        default: return "other"
        }
    }

    /// Copies `source` (a file, a link, or a directory with what it holds) to `destination`,
    /// which must not exist; fails once more than `limit` bytes of files were copied. Files are
    /// flushed to disk (`fsync`) when `sync`.
    public static func copy(_ source: String, to destination: String, limit: Int, sync: Bool) throws(Failure) -> Int {
        var copied = 0
        try copy(source, to: destination, copied: &copied, limit: limit, sync: sync)
        return copied
    }

    static func copy(_ source: String, to destination: String, copied: inout Int, limit: Int, sync: Bool) throws(Failure) {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw Failure(message: "cannot read \(source): \(errnoText)", overLimit: false) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(destination, 0o755) == 0 else { throw Failure(message: "cannot make \(destination): \(errnoText)", overLimit: false) }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: source) } catch {
                throw Failure(message: "cannot list \(source): \(error.localizedDescription)", overLimit: false)
            }
            for name in names.sorted() {
                try copy("\(source)/\(name)", to: "\(destination)/\(name)", copied: &copied, limit: limit, sync: sync)
            }
        case S_IFREG:
            let input = open(source, O_RDONLY | O_NOFOLLOW)
            guard input >= 0 else { throw Failure(message: "cannot read \(source): \(errnoText)", overLimit: false) }
            defer { close(input) }
            let output = open(destination, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            guard output >= 0 else { throw Failure(message: "cannot write \(destination): \(errnoText)", overLimit: false) }
            defer { close(output) }
            // Readable by a container running as another user than the server's.
            fchmod(output, (info.st_mode & 0o777) | 0o444)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if n < 0 { throw Failure(message: "cannot read \(source): \(errnoText)", overLimit: false) }
                if n == 0 { break }
                copied += n
                if copied > limit { throw Failure(message: "more than \(limit) bytes", overLimit: true) }
                var written = 0
                while written < n {
                    let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, n - written) }
                    if w < 0 { throw Failure(message: "cannot write \(destination): \(errnoText)", overLimit: false) }
                    written += w
                }
            }
            if sync { fsync(output) }
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(source, &target, target.count - 1)
            guard n >= 0 else { throw Failure(message: "cannot read the link \(source): \(errnoText)", overLimit: false) }
            target[n] = 0
            guard symlink(target, destination) == 0 else { throw Failure(message: "cannot make the link \(destination): \(errnoText)", overLimit: false) }
        default:
            break  // Sockets, pipes and devices are not artifacts' content.
        }
    }

    /// Makes `path` and the directories above it.
    public static func makeDirectories(_ path: String) -> Bool {
        (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil
    }

    /// Removes `path` and what it holds, not following links; nothing there is fine.
    public static func removeTree(_ path: String) {
        guard kind(path) != nil else { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The `input_artifacts` and `output_artifacts` of one `Container.Run` attempt.
struct ContainerArtifacts {
    var outputs: [(name: String, path: String, optional: Bool, hostPath: String)] = []
    /// The attempt's own directory for host copies (runtimes with images); removed at the end.
    var directory: String?

    /// Places the input artifacts (before the container starts) and says where the output
    /// artifacts will be found, in `spec`.
    static func prepare(_ parameters: ContainerRunParameters, context: StepContext, store: ArtifactStore?, spec: inout ContainerSpec, usesImages: Bool) throws(StepFailure) -> ContainerArtifacts {
        var prepared = ContainerArtifacts()
        guard !parameters.inputArtifacts.isEmpty || !parameters.outputArtifacts.isEmpty else { return prepared }
        guard let store else {
            throw StepFailure("this server has no artifact store, so input_artifacts and output_artifacts cannot be used here")
        }
        if usesImages {
            let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
            var template = Array("\(base.hasSuffix("/") ? String(base.dropLast()) : base)/sluice-artifacts-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw StepFailure("could not make a directory for the artifacts under \(base): \(ArtifactFiles.errnoText)", retryable: true)
            }
            prepared.directory = String(cString: made)
            chmod(prepared.directory!, 0o755)
        }
        do throws(StepFailure) {
            for (i, input) in parameters.inputArtifacts.enumerated() {
                let at = "input_artifacts.\(input.name)"
                let destination = prepared.directory.map { "\($0)/in-\(i)" } ?? input.path
                if let raw = input.raw {
                    try place(raw: raw, at: destination, what: at)
                } else {
                    let key = input.from ?? ""
                    guard !key.isEmpty else {
                        if input.optional { continue }
                        throw StepFailure("\(at): the artifact it comes from was not produced (the task that outputs it did not save it, as it was optional); mark this input optional, or make the task write it")
                    }
                    guard let source = store.location(executionID: context.executionID, key: key), ArtifactFiles.kind(source) != nil else {
                        if input.optional { continue }
                        throw StepFailure("\(at): there is no artifact \(quoted(key)) in this execution's artifact store (expected TASK/ATTEMPT/NAME of an artifact an earlier task saved)")
                    }
                    if prepared.directory == nil {
                        ArtifactFiles.removeTree(destination)
                        _ = ArtifactFiles.makeDirectories(String(destination[..<(destination.lastIndex(of: "/") ?? destination.startIndex)]))
                    }
                    do throws(ArtifactFiles.Failure) {
                        _ = try ArtifactFiles.copy(source, to: destination, limit: Int.max, sync: false)
                    } catch {
                        throw StepFailure("\(at): could not place artifact \(quoted(key)) at \(input.path): \(error.message)", retryable: true)
                    }
                }
                context.log("input artifact \(input.name) placed at \(input.path)")
                if prepared.directory != nil { spec.inputArtifacts.append(.init(name: input.name, path: input.path, hostPath: destination)) }
            }
            for (i, output) in parameters.outputArtifacts.enumerated() {
                let host = prepared.directory.map { "\($0)/out-\(i)" } ?? output.path
                prepared.outputs.append((output.name, output.path, output.optional, host))
                if prepared.directory != nil { spec.outputArtifacts.append(.init(name: output.name, path: output.path, hostPath: host)) }
            }
        } catch {
            prepared.cleanUp()
            throw error
        }
        return prepared
    }

    /// Writes `raw` as a new file at `destination` (its directories made).
    static func place(raw: String, at destination: String, what: String) throws(StepFailure) {
        ArtifactFiles.removeTree(destination)
        _ = ArtifactFiles.makeDirectories(String(destination[..<(destination.lastIndex(of: "/") ?? destination.startIndex)]))
        let fd = open(destination, O_CREAT | O_TRUNC | O_WRONLY, 0o644)
        guard fd >= 0 else { throw StepFailure("\(what): could not write \(destination): \(ArtifactFiles.errnoText)", retryable: true) }
        defer { close(fd) }
        let bytes = Array(raw.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard n > 0 else { throw StepFailure("\(what): could not write \(destination): \(ArtifactFiles.errnoText)", retryable: true) }
            written += n
        }
    }

    /// Saves the output artifacts the container wrote into the store (each into a temporary
    /// name, then renamed into place); describes each saved one by name. A missing artifact
    /// that is not optional, or one over the store's limit, fails the step.
    func save(context: StepContext, store: ArtifactStore?, image: String) throws(StepFailure) -> JSONObject {
        var out = JSONObject()
        guard let store, !outputs.isEmpty else { return out }
        let directory = "\(store.directory(executionID: context.executionID))/\(ArtifactStore.component(context.stepID))/\(context.attempt)"
        for output in outputs {
            let at = "output_artifacts.\(output.name)"
            guard let kind = ArtifactFiles.kind(output.hostPath) else {
                if output.optional { context.log("output artifact \(output.name): \(output.path) was not written (optional)"); continue }
                throw StepFailure("container \(image) did not write its output artifact \(output.path) (\(at)); write it, or mark it optional")
            }
            guard kind == "file" || kind == "directory" else {
                throw StepFailure("container \(image)'s output artifact \(output.path) (\(at)) is a \(kind == "link" ? "symbolic link" : "special file"); expected a file or a directory")
            }
            guard ArtifactFiles.makeDirectories(directory) else {
                throw StepFailure("could not make the artifact directory \(directory): \(ArtifactFiles.errnoText)", retryable: true)
            }
            let name = ArtifactStore.component(output.name)
            // Temporaries of an interrupted run of this attempt (a crash mid-copy) go first.
            for left in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where left.hasPrefix(".tmp-\(name)-") {
                ArtifactFiles.removeTree("\(directory)/\(left)")
            }
            let temporary = "\(directory)/.tmp-\(name)-\(UInt32.random(in: 0...UInt32.max))"
            let bytes: Int
            do throws(ArtifactFiles.Failure) {
                bytes = try ArtifactFiles.copy(output.hostPath, to: temporary, limit: store.maxBytes, sync: true)
            } catch {
                ArtifactFiles.removeTree(temporary)
                if error.overLimit {
                    throw StepFailure("container \(image)'s output artifact \(output.path) (\(at)) holds more than \(store.maxBytes) bytes, the most one artifact may hold (container_artifact_bytes); write less, or pass it another way")
                }
                throw StepFailure("could not save the output artifact \(output.path) (\(at)): \(error.message)", retryable: true)
            }
            // What an interrupted run of this attempt left goes first; then the rename puts the
            // whole artifact in place at once.
            let final = "\(directory)/\(name)"
            ArtifactFiles.removeTree(final)
            guard rename(temporary, final) == 0 else {
                let why = ArtifactFiles.errnoText
                ArtifactFiles.removeTree(temporary)
                throw StepFailure("could not save the output artifact \(output.path) (\(at)): \(why)", retryable: true)
            }
            context.log("output artifact \(output.name): \(output.path) saved (\(kind), \(bytes) bytes)")
            var described = JSONObject()
            described.append("key", .string(ArtifactStore.key(stepID: context.stepID, attempt: context.attempt, name: output.name)))
            described.append("path", .string(output.path))
            described.append("type", .string(kind))
            described.append("bytes", .number(Double(bytes)))
            out.append(output.name, .object(described))
        }
        return out
    }

    /// Removes the attempt's host copies, if it made any.
    func cleanUp() {
        guard let directory else { return }
        ArtifactFiles.removeTree(directory)
    }
}
