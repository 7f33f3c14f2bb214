import Foundation
import PropertyBased
import SluiceCore
import SluiceEngine
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// Property-based round trips through the engine and a durable store (SQLite; PostgreSQL in
/// CI's PostgreSQL pass) (issue 21): a definition
/// stored is read back exactly as it was sent, after a reopen of the database too; and a start
/// repeated with an idempotency key gives back the execution the first one made, however the
/// starts interleave.
@Suite(.testStores) struct StoredRoundTripPropertyTests {
    /// Random bytes read as a valid definition: a chain or a DAG of text steps, with names,
    /// descriptions and inputs drawn from strings that stress storage (quotes, escapes,
    /// control characters, text beyond ASCII, long runs).
    static let definitions = Gen<UInt8>.value(in: 0...255).array(of: 4...120).map { bytes in
        var reader = DefinitionReader(bytes: bytes)
        return reader.definition()
    }

    @Test func aStoredDefinitionIsReadBackAsSentAlsoAfterAReopen() async throws {
        let store = try await durableStore()
        let stored: [(String, JSONValue)] = try await withEngine(store: store) { engine in
            let ids = Mutex<[(String, JSONValue)]>([])
            await propertyCheck(count: 60, input: Self.definitions) { definition in
                do {
                    let created = try await engine.createWorkflow(definition)
                    let read = try await engine.store.workflow(id: created.record.id)
                    #expect(read?.definition == definition, "\(definition.jsonString)")
                    #expect(read?.definition.jsonBytes == definition.jsonBytes, "member order kept")
                    ids.withLock { $0.append((created.record.id, definition)) }
                } catch {
                    Issue.record("a valid definition was refused: \(error)\n\(definition.jsonString)")
                }
            }
            return ids.withLock { $0 }
        }
        #expect(stored.count >= 60)
        // The same bytes after the database is closed and opened again (SQLite; on PostgreSQL,
        // the engine's store is read again directly).
        let reopened: any Store = if let sqlite = store as? SQLiteStore { try SQLiteStore(path: sqlite.path) } else { store }
        for (id, definition) in stored {
            let read = try await reopened.workflow(id: id)
            #expect(read?.definition.jsonBytes == definition.jsonBytes, "\(id)")
        }
    }

    /// Starts of one workflow with keys from a small pool, in a random order and some at once:
    /// each key makes one execution, every repeat answers it (`replayed`), and the input of the
    /// first start is the one kept.
    @Test func repeatedStartsWithAKeyGiveTheFirstStartsExecution() async throws {
        let plan = Gen<UInt8>.value(in: 0...255).array(of: 1...40)
        try await withEngine(store: try await durableStore()) { engine in
            let workflow = try await engine.createWorkflow(["name": "keys", "steps": [["type": "TextOperation.Uppercase"], ["type": "Echo"]]])
            await propertyCheck(count: 25, input: plan) { draws in
                let round = UUID().uuidString.prefix(8)
                // Each draw picks a key (of 4) and whether it goes out together with the next.
                let starts = draws.enumerated().map { (k, d) in (key: "\(round)-\(d % 4)", text: "t\(k)", together: d & 0x10 != 0) }
                var batches: [[(key: String, text: String, together: Bool)]] = [[]]
                for s in starts {
                    batches[batches.count - 1].append(s)
                    if !s.together { batches.append([]) }
                }
                var answers: [(key: String, text: String, started: Engine.Started)] = []
                for batch in batches where !batch.isEmpty {
                    let results = await withTaskGroup(of: (String, String, Engine.Started?).self) { group in
                        for s in batch {
                            group.addTask {
                                let started = try? await engine.startExecution(workflowID: workflow.record.id, request: ExecutionRequest(input: ["text": .string(s.text)]), idempotencyKey: s.key)
                                return (s.key, s.text, started)
                            }
                        }
                        var out: [(String, String, Engine.Started?)] = []
                        for await r in group { out.append(r) }
                        return out
                    }
                    for (key, text, started) in results {
                        guard let started else { Issue.record("a start of \(key) failed"); continue }
                        answers.append((key, text, started))
                    }
                }
                let byKey = Dictionary(grouping: answers, by: \.key)
                for (key, group) in byKey {
                    let ids = Set(group.map(\.started.executionID))
                    #expect(ids.count == 1, "key \(key) made \(ids.count) executions")
                    #expect(group.filter { !$0.started.replayed }.count == 1, "key \(key): exactly one start is not a replay")
                    // The execution kept the input of the start that made it.
                    if let first = group.first(where: { !$0.started.replayed }), let id = ids.first {
                        let detail = try? await engine.store.execution(id: id)
                        #expect(detail?.execution.input == ["text": .string(first.text)], "key \(key)")
                    }
                }
            }
        }
    }

    /// The generator reaches chains, DAGs, descriptions and the awkward strings.
    @Test func theGeneratorMakesChainsAndDAGsThatAreValid() throws {
        var chains = 0, dags = 0, described = 0
        for seed in 0..<200 {
            var reader = DefinitionReader(bytes: (0..<120).map { UInt8(truncatingIfNeeded: ($0 &* 131 &+ seed &* 71 &+ 7) % 256) })
            let definition = reader.definition()
            if definition["steps"] != nil { chains += 1 }
            if definition["tasks"] != nil { dags += 1 }
            if definition["description"] != nil { described += 1 }
            guard case .success = TypeChecker(registry: testRegistry).check(json: definition) else {
                Issue.record("not valid: \(definition.jsonString)")
                continue
            }
        }
        #expect(chains > 20 && dags > 20 && described > 20, "\(chains) chains, \(dags) DAGs, \(described) described")
    }
}

/// Reads a valid workflow definition from bytes; runs out into defaults, never fails.
struct DefinitionReader {
    var bytes: [UInt8]
    var index = 0

    static let texts = [
        "plain", "with \"quotes\"", "back\\slash", "tab\there", "line\nbreak", "\u{1}\u{1F}", "é ü ß", "日本語", "😀🚀", "\u{2028}",
        "'single'", "{{not a template}}", "-- comment", "NULL", "", "x",
    ]
    static let textSteps = ["TextOperation.Uppercase", "TextOperation.Lowercase", "TextOperation.Reverse", "TextOperation.Trim", "Echo"]

    mutating func next() -> Int {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return Int(bytes[index])
    }

    mutating func text() -> String {
        var s = Self.texts[next() % Self.texts.count]
        if next() % 5 == 0 { s += String(repeating: "ab", count: next() * 4) }
        return s
    }

    mutating func definition() -> JSONValue {
        var object = JSONObject()
        // Member order varies too: it is kept.
        let nameFirst = next() % 2 == 0
        let name = "wf " + Self.texts[next() % Self.texts.count]
        if nameFirst { object.append("name", .string(name)) }
        if next() % 3 == 0 { object.append("description", .string(text())) }
        let count = 1 + next() % 6
        if next() % 2 == 0 {
            var steps: [JSONValue] = [["type": "StaticTextInput", "input": .string(text())]]
            for _ in 1..<max(count, 2) { steps.append(["type": .string(Self.textSteps[next() % Self.textSteps.count])]) }
            object.append("steps", .array(steps))
        } else {
            var tasks: [JSONValue] = [["id": "source", "type": "StaticTextInput", "input": .string(text())]]
            for k in 1..<max(count, 2) {
                // Each task depends on one before it: a DAG with fan-out.
                let parent = k == 1 ? "source" : (next() % 2 == 0 ? "source" : "t\(1 + next() % (k - 1))")
                tasks.append(["id": .string("t\(k)"), "type": .string(Self.textSteps[next() % Self.textSteps.count]), "depends_on": [.string(parent)]])
            }
            object.append("tasks", .array(tasks))
        }
        if !nameFirst { object.append("name", .string(name)) }
        return .object(object)
    }
}
