/// How the local artifact store names its directories, shared by the step that writes it
/// (`ArtifactStore` in SluiceSteps) and the engine that removes an execution's directory.
public enum ArtifactKey {
    /// `text` as one path component: characters other than `[A-Za-z0-9_.-]` become `_`, and
    /// `.`/`..`/empty get a leading `_`, so that no id leaves its directory.
    public static func component(_ text: String) -> String {
        let mapped = String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") ? $0 : "_" })
        return mapped.isEmpty || mapped == "." || mapped == ".." ? "_" + mapped : mapped
    }
}
