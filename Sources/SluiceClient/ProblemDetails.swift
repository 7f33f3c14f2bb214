import SluiceCore

/// An error answer of the server: an RFC 9457 problem (`application/problem+json`).
///
/// Validation problems (`400`) list every issue found in ``errors``, each with the ``Issue/path``
/// into the request body (`steps[2].type`, `input.text`) or the name of the query parameter or
/// header, and a stable machine-readable ``Issue/code``.
public struct ProblemDetails: Sendable, Hashable, CustomStringConvertible {
    /// One problem found in a request.
    public struct Issue: Sendable, Hashable, CustomStringConvertible {
        /// Where: a path into the request body, or a parameter or header name; empty for the whole body.
        public var path: String
        /// The stable kind (`required`, `unknown_step_type`, `type_mismatch`, …).
        public var code: String
        /// What is wrong, for a person.
        public var message: String

        /// An issue from its parts.
        public init(path: String, code: String, message: String) {
            self.path = path
            self.code = code
            self.message = message
        }

        /// `path: message`, or the message alone for the whole body.
        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// The HTTP status (`400`, `404`, `409`, …).
    public var status: Int
    /// A URI naming the kind of problem (`urn:sluice:problem:validation`, `…:not-found`, …).
    public var type: String
    /// A short summary of the kind of problem.
    public var title: String
    /// What happened in this case.
    public var detail: String
    /// The request path the problem is about, when the server gave it.
    public var instance: String?
    /// Every issue of a validation problem; empty otherwise.
    public var errors: [Issue]

    /// A problem from its parts.
    public init(status: Int, type: String = "about:blank", title: String, detail: String, instance: String? = nil, errors: [Issue] = []) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = instance
        self.errors = errors
    }

    /// Reads a problem+json body; `nil` when it is not one.
    init?(json: JSONValue) {
        guard let status = json["status"]?.numberValue, let title = json["title"]?.stringValue else { return nil }
        self.status = Int(status)
        self.type = json["type"]?.stringValue ?? "about:blank"
        self.title = title
        self.detail = json["detail"]?.stringValue ?? title
        self.instance = json["instance"]?.stringValue
        self.errors = (json["errors"]?.arrayValue ?? []).map { e in
            Issue(path: e["path"]?.stringValue ?? "", code: e["code"]?.stringValue ?? "", message: e["message"]?.stringValue ?? "")
        }
    }

    /// `status title: detail`, then one line per issue.
    public var description: String {
        var text = "\(status) \(title): \(detail)"
        if errors.count > 1 {
            for issue in errors { text += "\n  - \(issue)" }
        }
        return text
    }
}
