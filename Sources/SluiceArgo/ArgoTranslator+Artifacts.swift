import SluiceCore

/// Artifacts: a container's or script's `outputs.artifacts` are saved into Sluice's local
/// artifact store after it exits (`output_artifacts` of `Container.Run`), and `inputs.artifacts`
/// are placed before it starts (`input_artifacts`): from a task's or step's output artifact
/// (`{{tasks.X.outputs.artifacts.Y}}`, a Sluice placeholder for the store key that task saved),
/// or a `raw` text. Remote repositories (S3, GCS, HTTP, Git…) are refused: there are none.
extension ArgoTranslator {
    /// One artifact as a template or a call declares it.
    struct ArtifactDeclaration {
        enum Source {
            /// A Sluice placeholder for the store key of a saved artifact.
            case from(String)
            case raw(String)
        }
        var name: String
        var path: String
        var source: Source?
        var optional: Bool
    }

    enum ArtifactRole {
        case input, output, argument

        var allowed: [String] {
            switch self {
            case .input: return ["name", "path", "from", "raw", "optional", "archive"]
            case .output: return ["name", "path", "optional", "archive"]
            case .argument: return ["name", "from", "raw", "optional"]
            }
        }
    }

    /// Where artifacts live in Argo and not in Sluice.
    static let remoteArtifactFields = ["s3", "gcs", "http", "git", "oss", "hdfs", "artifactory", "azure"]

    /// Reads a list of artifacts of `role` at `path`.
    mutating func readArtifacts(_ value: JSONValue?, path: String, role: ArtifactRole, scope: ArgoScope) -> [ArtifactDeclaration] {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value else { problem(path, "expected an array of artifacts ({\"name\", \"path\"}), found \(value.kindName)"); return [] }
        if items.count > Limits.containerArtifacts {
            problem(path, "expected at most \(Limits.containerArtifacts) artifacts, found \(items.count)")
            return []
        }
        var out: [ArtifactDeclaration] = []
        for (i, item) in items.enumerated() {
            let p = IssuePath.index(path, i)
            guard case .object(let a) = item else { problem(p, "expected an artifact object, found \(item.kindName)"); continue }
            var remote = false
            for key in Self.remoteArtifactFields where a[key] != nil {
                remote = true
                problem(IssuePath.member(p, key), "artifact repositories (\(key)) are not used: Sluice keeps artifacts in its local store; leave out \"\(key)\" (an output is saved there, an input comes from another task's output with from, or from raw)")
            }
            if remote { continue }
            rejectUnknown(a, allowed: role.allowed, path: p)
            guard let name = a["name"]?.stringValue, !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                problem(IssuePath.member(p, "name"), "expected an artifact name of letters, digits, - and _, found \(a["name"]?.preview ?? "none")")
                continue
            }
            if out.contains(where: { $0.name == name }) { problem(IssuePath.member(p, "name"), "artifact \"\(name)\" is listed twice"); continue }
            var declaration = ArtifactDeclaration(name: name, path: "", source: nil, optional: false)
            if role != .argument {
                guard let raw = a["path"]?.stringValue else {
                    problem(IssuePath.member(p, "path"), a["path"] == nil ? "required field is missing; expected the absolute path of the file or directory in the container" : "expected a string")
                    continue
                }
                let filePath = substitute(raw, scope: scope, path: IssuePath.member(p, "path"))
                if !filePath.hasPrefix("/") || filePath == "/" || filePath.hasSuffix("/") || filePath.contains(":") || filePath.contains(",") {
                    problem(IssuePath.member(p, "path"), "expected an absolute path of a file or directory without : or , such as \"/tmp/report\", found \"\(filePath)\"")
                    continue
                }
                declaration.path = filePath
            }
            if let raw = a["optional"] {
                guard case .bool(let b) = raw else { problem(IssuePath.member(p, "optional"), "expected true or false, found \(raw.preview)"); continue }
                declaration.optional = b
            }
            if let raw = a["archive"] {
                let ap = IssuePath.member(p, "archive")
                guard case .object(let archive) = raw, archive.keys.count == 1, let strategy = archive.keys.first, ["none", "tar"].contains(strategy), archive[strategy]?.objectValue != nil else {
                    problem(ap, "expected {\"none\": {}} or {\"tar\": {}} (Sluice keeps an artifact as it is, a file or a directory; zip is not supported), found \(raw.preview)")
                    continue
                }
            }
            if a["from"] != nil, a["raw"] != nil { problem(p, "artifact \"\(name)\" has both from and raw; expected one"); continue }
            if let raw = a["from"] {
                let fp = IssuePath.member(p, "from")
                guard let text = raw.stringValue else { problem(fp, "expected a string such as \"{{tasks.gen.outputs.artifacts.report}}\", found \(raw.kindName)"); continue }
                let trimmed = text.trimmingCharacters(in: " ")
                guard trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.dropFirst(2).firstRange(of: "{{") == nil,
                      trimmed.contains(".outputs.artifacts.") else {
                    problem(fp, "expected one reference to another task's or step's output artifact, \"{{tasks.NAME.outputs.artifacts.ARTIFACT}}\" or \"{{steps.NAME.outputs.artifacts.ARTIFACT}}\", found \"\(text)\"")
                    continue
                }
                switch scope.substitute(trimmed, path: fp) {
                case .success(let key): declaration.source = .from(key)
                case .failure(let issue): issues.append(issue); continue
                }
            } else if let raw = a["raw"] {
                let rp = IssuePath.member(p, "raw")
                guard case .object(let r) = raw, let data = r["data"]?.stringValue else { problem(rp, "expected {\"data\": \"…\"}, found \(raw.preview)"); continue }
                rejectUnknown(r, allowed: ["data"], path: rp)
                declaration.source = .raw(substitute(data, scope: scope, path: IssuePath.member(rp, "data")))
            } else if role == .argument {
                problem(p, "artifact \"\(name)\" gives neither from (\"{{tasks.NAME.outputs.artifacts.ARTIFACT}}\") nor raw ({\"data\": \"…\"})")
                continue
            }
            out.append(declaration)
        }
        return out
    }

    /// A template's `inputs.artifacts` with what the call gives for each (`arguments.artifacts`
    /// by name, else the template's own `from` or `raw`); one neither gives is a problem unless
    /// it is optional.
    mutating func bindInputArtifacts(_ raw: JSONValue?, path: String, name: String, container: Bool, arguments: [ArtifactDeclaration], argumentsPath: String, scope: ArgoScope) -> [ArtifactDeclaration] {
        // Arguments for a template without inputs.artifacts are refused by `expand`.
        guard let raw, raw != .null else { return [] }
        guard container else {
            problem(path, "input artifacts of dag and steps templates are not supported yet; give the artifact to the container or script template that reads it (arguments.artifacts with from: \"{{tasks.NAME.outputs.artifacts.ARTIFACT}}\")")
            return []
        }
        let declared = readArtifacts(raw, path: path, role: .input, scope: scope)
        var out: [ArtifactDeclaration] = []
        for (j, d) in declared.enumerated() {
            var bound = d
            if let given = arguments.first(where: { $0.name == d.name }) {
                bound.source = given.source
                bound.optional = d.optional || given.optional
            } else if d.source == nil, !d.optional {
                problem(argumentsPath, "template \"\(name)\" needs input artifact \"\(d.name)\" (\(path)[\(j)]), and the call gives none (arguments.artifacts with from or raw)")
                continue
            }
            out.append(bound)
        }
        for a in arguments where !declared.contains(where: { $0.name == a.name }) {
            problem(IssuePath.member(argumentsPath, "artifacts"), "template \"\(name)\" has no input artifact \"\(a.name)\"\(declared.isEmpty ? "" : "; it declares: " + declared.map(\.name).joined(separator: ", "))")
        }
        return out
    }

    /// A template's `outputs.artifacts`: on a container or script, saved after it exits; on
    /// other templates refused as not supported yet.
    mutating func outputArtifacts(_ raw: JSONValue?, path: String, container: Bool, scope: ArgoScope) -> [ArtifactDeclaration] {
        guard let raw, raw != .null else { return [] }
        guard container else {
            problem(path, "output artifacts of dag, steps and suspend templates are not supported yet; read the artifact of the task or step that writes it ({{tasks.NAME.outputs.artifacts.ARTIFACT}})")
            return []
        }
        return readArtifacts(raw, path: path, role: .output, scope: scope)
    }
}
