/// Why a reference cannot be given a type: a sentence such as
/// `task "length" outputs {number}; it has no member "text"`.
///
/// It is the failure of `Reference.staticType(rootType:)` and of the `typeOf` function a caller
/// passes to `Condition.check(typeOf:)`; a string literal (interpolated or not) makes one (`.failure("task \"b\" is not
/// upstream")`).
public struct TypeProblem: Error, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public var message: String

    public init(_ message: String) { self.message = message }
    public init(stringLiteral message: String) { self.message = message }

    public var description: String { message }
}
