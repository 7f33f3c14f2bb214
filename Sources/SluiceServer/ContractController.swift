import Foundation
import Hummingbird
import SluiceCore
import Yams

/// `GET /openapi.yaml`, `GET /openapi.json` and `GET /docs`: the API contract and a page that
/// reads it.
struct ContractController {
    func register(on router: some RouterMethods<BasicRequestContext>) {
        router.get("/openapi.yaml") { _, _ in
            Self.file(try APIContract.yaml(), contentType: "application/yaml")
        }
        router.get("/openapi.json") { _, _ in
            Self.file(try APIContract.json(), contentType: "application/json")
        }
        router.get("/docs") { _, _ in
            Self.file(try APIContract.docsPage(), contentType: "text/html; charset=utf-8")
        }
    }

    static func file(_ bytes: [UInt8], contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The OpenAPI document (`Resources/openapi.yaml`, the only copy; the repository's
/// `openapi.yaml` is a link to it) and the docs page, read from the target's resource bundle
/// once, on first use.
public enum APIContract {
    /// A resource that could not be read or converted; answered as a 500.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private static let yamlResult: Result<[UInt8], Failure> = resource("openapi", "yaml")
    private static let docsResult: Result<[UInt8], Failure> = resource("docs", "html")
    private static let jsonResult: Result<[UInt8], Failure> = {
        do {
            var json = try convert(yaml: String(decoding: try yamlResult.get(), as: UTF8.self)).jsonBytes
            json.append(0x0A)
            return .success(json)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }()

    /// `openapi.yaml` byte for byte.
    public static func yaml() throws -> [UInt8] { try yamlResult.get() }
    /// The same document as JSON (object members in the YAML's order).
    public static func json() throws -> [UInt8] { try jsonResult.get() }
    /// The `/docs` page.
    public static func docsPage() throws -> [UInt8] { try docsResult.get() }

    static func resource(_ name: String, _ ext: String) -> Result<[UInt8], Failure> {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext) else {
            return .failure(Failure(description: "the resource \(name).\(ext) is missing from the SluiceServer resource bundle"))
        }
        do {
            return .success(Array(try Data(contentsOf: url)))
        } catch {
            return .failure(Failure(description: "could not read \(url.path): \(error)"))
        }
    }

    /// A YAML document as JSON, with the JSON-compatible reading of plain scalars (YAML 1.2's
    /// core schema): `null`, `~` and nothing are null, `true`/`false` booleans, decimal numbers
    /// numbers, anything else a string; quoted scalars are always strings.
    public static func convert(yaml: String) throws -> JSONValue {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw Failure(description: "not valid YAML: \(error)")
        }
        guard let root else { throw Failure(description: "the YAML document is empty") }
        return try value(root)
    }

    static func value(_ node: Yams.Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            return self.scalar(scalar)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try value(item)) }
            return .array(items)
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, item) in mapping {
                guard case .scalar(let k) = key else {
                    throw Failure(description: "a mapping key that is not a scalar at line \((key.mark?.line).map(String.init) ?? "?")")
                }
                object.append(k.string, try value(item))
            }
            return .object(object)
        case .alias:
            throw Failure(description: "YAML aliases are not supported")
        }
    }

    static func scalar(_ scalar: Yams.Node.Scalar) -> JSONValue {
        let s = scalar.string
        guard scalar.style == .plain || scalar.style == .any, scalar.tag.rawValue != Yams.Tag.Name.str.rawValue else { return .string(s) }
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if isDecimalNumber(s), let n = Double(s), n.isFinite { return .number(n) }
        return .string(s)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isDecimalNumber(_ s: String) -> Bool {
        var chars = Substring(s).utf8[...]
        func digits() -> Int {
            var n = 0
            while let c = chars.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { chars.removeFirst(); n += 1 }
            return n
        }
        if chars.first == UInt8(ascii: "-") || chars.first == UInt8(ascii: "+") { chars.removeFirst() }
        var mantissa = digits()
        if chars.first == UInt8(ascii: ".") {
            chars.removeFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if chars.first == UInt8(ascii: "e") || chars.first == UInt8(ascii: "E") {
            chars.removeFirst()
            if chars.first == UInt8(ascii: "-") || chars.first == UInt8(ascii: "+") { chars.removeFirst() }
            guard digits() > 0 else { return false }
        }
        return chars.isEmpty
    }
}
