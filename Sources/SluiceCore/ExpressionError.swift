/// Why a reference or a condition could not be parsed: where the problem is and a sentence that
/// says what was expected and what was found.
///
/// `message` is complete on its own and already names the offset
/// (`expected an operand after "and" at offset 12, found end of expression`), so it can be put
/// into a `ValidationIssue` unchanged; `offset` is there for tools that point at the source.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is, in characters from the start of the source (0 is the first character).
    public var offset: Int
    /// What was expected and what was found, including "at offset N".
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { message }
}
