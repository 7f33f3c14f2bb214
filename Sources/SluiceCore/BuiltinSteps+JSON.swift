/// The JSON step types: Build, Get, Parse and Format.
extension StepRegistry {
    static let jsonBuild = StepType(
        name: "JSON.Build",
        summary: "Wraps the input's members into one JSON object ({\"text\": \"a\", \"number\": 3} becomes {\"json\": {\"text\": \"a\", \"number\": 3}}), adding the constant members of `fields` that the input does not have (the input wins).",
        input: .any, output: .value(.json),
        parameters: .object([
            ("fields", Schema(type: .object).described("constant members to add; a member the input also has keeps the input's value")),
        ]),
        implementation: .pure { input, parameters throws(StepFailure) in
            var object = members(input)
            if let fields = try optionalParameter(parameters, "fields", of: "JSON.Build", .object)?.objectValue {
                for member in fields where object[member.key] == nil { object.append(member.key, member.value) }
            }
            return ["json": .object(object)]
        }
    )

    static let jsonGet = StepType(
        name: "JSON.Get",
        summary: "Picks the value at `pointer` (a JSON Pointer, RFC 6901: \"/items/0/name\"; \"\" is the whole value) out of the JSON value and produces it as the type named by `as` (default json).",
        input: .value(.json), output: .named(byParameter: "as", default: .json),
        parameters: .object([
            ("pointer", Schema.string().described("a JSON Pointer such as \"/items/0/name\": \"/\" before each member name or array index, \"~1\" for a \"/\" and \"~0\" for a \"~\" in a name; \"\" is the whole value")),
            ("as", Schema.string().described("the type to produce: \(DataType.validNames); the value found must have it").defaulting(to: "json")),
        ], required: ["pointer"]),
        parametersRequired: true,
        parameterCheck: { parameters, path in
            guard let text = parameters["pointer"]?.stringValue else { return [] }
            do throws(JSONPointer.SyntaxError) {
                _ = try JSONPointer(parsing: text)
                return []
            } catch {
                return [.init(path: IssuePath.member(path, "pointer"), code: "invalid_pointer", message: error.message)]
            }
        },
        implementation: .pure { input, parameters throws(StepFailure) in
            let name = "JSON.Get"
            let json = try require(.json, input)
            let text = try parameter(parameters, "pointer", of: name, .string).stringValue!
            let pointer: JSONPointer
            do throws(JSONPointer.SyntaxError) { pointer = try JSONPointer(parsing: text) } catch { throw StepFailure(error.message) }
            var type = DataType.json
            if let typeName = try optionalParameter(parameters, "as", of: name, .string)?.stringValue {
                guard let t = DataType(name: typeName) else {
                    throw StepFailure("\(name)'s parameter \"as\" names no type: \(JSONValue.string(typeName).jsonString); expected one of \(DataType.validNames)")
                }
                type = t
            }
            let value: JSONValue
            do throws(JSONPointer.ResolutionFailure) { value = try pointer.resolve(in: json) } catch { throw StepFailure(error.message) }
            if let why = type.mismatch(in: value) {
                let place = pointer.tokens.isEmpty ? "the whole value (pointer \"\")" : "the value at \(pointer)"
                throw StepFailure("\(place) is not \(type.name): \(why)")
            }
            return [type.field: value]
        }
    )

    static let jsonParse = StepType(
        name: "JSON.Parse",
        summary: "Parses the text as JSON (RFC 8259); text that is not JSON fails with the line and column where it went wrong.",
        input: .value(.text), output: .value(.json),
        implementation: .pure { input, _ throws(StepFailure) in
            let text = try requireText(input)
            do throws(JSONParser.Failure) {
                return ["json": try JSONParser.parse(text)]
            } catch {
                throw StepFailure("the text is not valid JSON: \(error.description)")
            }
        }
    )

    static let jsonFormat = StepType(
        name: "JSON.Format",
        summary: "Writes the JSON value as text: compact, or indented by two spaces if `pretty` is true.",
        input: .value(.json), output: .value(.text),
        parameters: .object([
            ("pretty", Schema(type: .boolean).described("indent by two spaces, one member or item per line").defaulting(to: false)),
        ]),
        implementation: .pure { input, parameters throws(StepFailure) in
            let json = try require(.json, input)
            let pretty = try optionalParameter(parameters, "pretty", of: "JSON.Format", .boolean) == .bool(true)
            return ["text": .string(pretty ? json.prettyJSONString : json.jsonString)]
        }
    )
}
