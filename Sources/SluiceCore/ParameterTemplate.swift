/// A task's parameters with `{{reference}}` placeholders in their strings (`"render_input":
/// true`), parsed once when the workflow is created and rendered each time an attempt starts:
/// `{"args": ["echo", "{{tasks.a.json.result}}"]}` becomes `{"args": ["echo", "hello"]}`.
///
/// References are those of `when` and `input_from` (`input.x`, `tasks.a.json.result`); a text
/// value goes in as is, anything else as compact JSON, and a reference that finds nothing
/// (a skipped task's output) as the empty string.
public struct ParameterTemplate: Sendable {
    indirect enum Node: Sendable {
        case constant(JSONValue)
        case text([Piece])
        case array([Node])
        case object([(String, Node)])
    }

    enum Piece: Sendable {
        case literal(String)
        case reference(Reference)
    }

    let root: Node
    /// Every placeholder's reference with the path of the string that holds it.
    public let references: [(reference: Reference, path: String)]

    /// Parses the placeholders of `parameters`; a string whose `{{…}}` is not a reference is
    /// reported at its path (`tasks[2].input.args[1]`). `nil` when `parameters` has none.
    public static func parse(_ parameters: JSONValue, path: String, issues: inout [ValidationIssue]) -> ParameterTemplate? {
        var references: [(Reference, String)] = []
        let root = node(parameters, path: path, references: &references, issues: &issues)
        guard !references.isEmpty else { return nil }
        return ParameterTemplate(root: root, references: references)
    }

    static func node(_ value: JSONValue, path: String, references: inout [(Reference, String)], issues: inout [ValidationIssue]) -> Node {
        switch value {
        case .string(let s) where s.contains("{{"):
            let template: Template
            do throws(Template.ParseError) { template = try Template(parsing: s) } catch {
                issues.append(.init(path: path, code: "invalid_template", message: error.description))
                return .constant(value)
            }
            var pieces: [Piece] = []
            for part in template.parts {
                switch part {
                case .literal(let l): pieces.append(.literal(l))
                case .placeholder(let name):
                    do throws(ExpressionError) {
                        let reference = try Reference.parse(name)
                        references.append((reference, path))
                        pieces.append(.reference(reference))
                    } catch {
                        issues.append(.init(path: path, code: "invalid_reference", message: "{{\(name)}}: \(error.message)"))
                    }
                }
            }
            return .text(pieces)
        case .array(let items):
            return .array(items.enumerated().map { node($0.element, path: IssuePath.index(path, $0.offset), references: &references, issues: &issues) })
        case .object(let members):
            return .object(members.map { ($0.key, node($0.value, path: IssuePath.member(path, $0.key), references: &references, issues: &issues)) })
        default:
            return .constant(value)
        }
    }

    /// The parameters with every placeholder replaced by what `resolve` finds for its reference.
    public func render(_ resolve: (Reference) -> JSONValue?) -> JSONValue {
        Self.render(root, resolve)
    }

    static func render(_ node: Node, _ resolve: (Reference) -> JSONValue?) -> JSONValue {
        switch node {
        case .constant(let v): return v
        case .text(let pieces):
            var out = ""
            for piece in pieces {
                switch piece {
                case .literal(let l): out += l
                case .reference(let r): out += resolve(r).map(Template.text(for:)) ?? ""
                }
            }
            return .string(out)
        case .array(let items): return .array(items.map { render($0, resolve) })
        case .object(let members):
            var o = JSONObject()
            for (k, v) in members { o.append(k, render(v, resolve)) }
            return .object(o)
        }
    }
}
