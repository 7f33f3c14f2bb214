import Foundation
import SluiceCore
import Testing

/// The `sluice` binary's client commands against a real `sluice serve`, as a person or a
/// script would use them: files, pipes, exit codes, output formats.
@Suite(.serialized) struct CLITests {
    /// Runs `sluice ARGS` with the server chosen through SLUICE_SERVER, feeding `stdin`.
    func sluice(_ arguments: [String], server: String, stdin: String? = nil) throws -> (code: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_SERVER"] = server
        environment.removeValue(forKey: "NO_COLOR")
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test func createFromYAMLRunWaitReadJSONAndSeeValidationErrors() async throws {
        let dir = try temporaryDirectory()
        let server = try ServerProcess(database: "sqlite:\(dir.path)/sluice.db", logURL: dir.appendingPathComponent("server.log"))
        defer { _ = server.terminate() }
        let file = dir.appendingPathComponent("greet.yaml")
        try """
            # A chain: the input text, reversed, then upper-cased.
            name: greet
            input_schema:
              type: object
              properties:
                text: {type: string}
              required: [text]
            steps:
              - type: TextOperation.Reverse
              - type: TextOperation.Uppercase
              - type: Echo
            """.write(to: file, atomically: true, encoding: .utf8)

        let created = try sluice(["workflow", "create", "-f", file.path], server: server.baseURL)
        #expect(created.code == 0, "\(created.err)")
        let workflowID = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(workflowID.hasPrefix("wf-"))

        // A number-looking text stays text: the schema types --input values.
        let run = try sluice(["run", workflowID, "--input", "text=abc123", "--wait"], server: server.baseURL)
        #expect(run.code == 0, "\(run.err)")
        #expect(run.out.contains(" COMPLETED in "))
        #expect(run.out.contains("\"text\": \"321CBA\""))
        #expect(!run.out.contains("\u{1B}["), "no colour when not on a terminal")

        let executionID = try #require(run.out.split(separator: " ").first.map(String.init))
        let json = try sluice(["execution", "get", executionID, "-o", "json"], server: server.baseURL)
        #expect(json.code == 0, "\(json.err)")
        let execution = try JSONParser.parse(Array(json.out.utf8))
        #expect(execution["status"] == "COMPLETED")
        #expect(execution["output"] == ["text": "321CBA"])

        // The same definition from standard input, as JSON.
        let piped = try sluice(["workflow", "create", "-f", "-"], server: server.baseURL, stdin: #"{"name": "piped", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Echo"}]}"#)
        #expect(piped.code == 0, "\(piped.err)")

        // Validation errors: exit 2, each problem with its path and place in the file; nothing stored.
        let bad = dir.appendingPathComponent("bad.yaml")
        try "name: bad\nsteps:\n  - type: TextOperation.Length\n  - type: TextOperation.Reverse\n".write(to: bad, atomically: true, encoding: .utf8)
        for command in [["workflow", "validate"], ["workflow", "create"]] {
            let refused = try sluice(command + ["-f", bad.path], server: server.baseURL)
            #expect(refused.code == 2)
            #expect(refused.out.isEmpty)
            #expect(refused.err.contains("Invalid workflow definition: 1 problem"), "\(refused.err)")
            #expect(refused.err.contains("bad.yaml:4:11: steps[1].type: TextOperation.Reverse expects text input"), "\(refused.err)")
            #expect(refused.err.contains("[type_mismatch]"))
        }
        let listed = try sluice(["workflow", "list", "-o", "json"], server: server.baseURL)
        #expect(try JSONParser.parse(Array(listed.out.utf8))["workflows"]?.arrayValue?.count == 2)

        // A failed execution exits 1; a usage error 2.
        let failing = try sluice(["workflow", "create", "-f", "-"], server: server.baseURL, stdin: "name: fails\nsteps:\n  - type: Fail\n    input: {message: no luck}\n")
        let failed = try sluice(["run", failing.out.trimmingCharacters(in: .whitespacesAndNewlines), "--wait"], server: server.baseURL)
        #expect(failed.code == 1)
        #expect(failed.out.contains("no luck"))
        let usage = try sluice(["run"], server: server.baseURL)
        #expect(usage.code == 2)
        #expect(usage.err.contains("Missing expected argument '<workflow-id>'"))
    }

    @Test func anUnreachableServerExitsWith3() throws {
        let result = try sluice(["workflow", "list"], server: "http://127.0.0.1:1")
        #expect(result.code == 3)
        #expect(result.err.contains("could not reach the Sluice server at http://127.0.0.1:1"))
    }
}
