import Foundation
import Hummingbird
import SluiceCore
import SluiceYAML

/// `GET /openapi.yaml`, `GET /openapi.json` and `GET /docs`: the API contract and a page that
/// reads it.
struct ContractController {
    func register(on router: some RouterMethods<SluiceRequestContext>) {
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

    /// A YAML document as JSON (see `YAMLConversion`).
    public static func convert(yaml: String) throws -> JSONValue {
        do {
            return try YAMLConversion.json(fromYAML: yaml)
        } catch {
            throw Failure(description: error.description)
        }
    }
}
