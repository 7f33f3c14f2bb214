import Foundation

/// The temporary files and directories of one test process, all under one directory that is
/// removed when the process exits: a test run leaves nothing behind in the temporary directory
/// (hundreds of databases a run, before).
public enum Scratch {
    /// `sluice-tests-PID-…` in the temporary directory, created on first use.
    public static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()
}
