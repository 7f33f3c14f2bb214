import Testing
import SluiceCore
@testable import SluiceArgo

/// The translation of Argo Workflows into Sluice definitions, checked by Sluice's own checker
/// and run by its state machine with a stand-in container step.
@Suite struct ArgoTranslatorTests {
    static let helloWorld = """
    {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
     "metadata": {"generateName": "hello-world-"},
     "spec": {"entrypoint": "main", "serviceAccountName": "argo", "nodeSelector": {"disk": "ssd"},
       "arguments": {"parameters": [{"name": "greeting", "value": "hi"}]},
       "templates": [{"name": "main", "container": {"image": "busybox", "command": ["echo"],
         "args": ["{{workflow.parameters.greeting}}", "{{workflow.name}}"], "env": [{"name": "A", "value": "b"}],
         "workingDir": "/tmp"}}]}}
    """

    func plan(_ t: ArgoTranslation) throws -> WorkflowPlan {
        switch FakeContainer.checker.check(json: t.definition) {
        case .success(let p): return p
        case .failure(let f): throw f
        }
    }

    @Test func helloWorldIsOneContainerTaskWithParametersSubstitutedAndPlacementIgnored() throws {
        let t = try translate(Self.helloWorld)
        let tasks = t.definition["tasks"]!.arrayValue!
        #expect(tasks.count == 1)
        #expect(tasks[0]["type"] == "Container.Run")
        #expect(tasks[0]["input"] == ["image": "busybox", "command": ["echo"], "args": ["hi", "hello"], "env": ["A": "b"], "working_dir": "/tmp"])
        #expect(tasks[0]["render_input"] == nil)
        #expect(t.definition["namespace"] == "argo")
        #expect(t.nodes.map(\.kind) == [.pod])
        #expect(t.nodes[0].id == "hello")
        _ = try plan(t)
    }

    @Test func diamondDAGRunsInDependencyOrderAndPassesResults() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "diamond", "templates": [
          {"name": "diamond", "dag": {"tasks": [
            {"name": "D", "template": "echo", "depends": "B && C.Succeeded", "arguments": {"parameters": [{"name": "m", "value": "{{tasks.B.outputs.result}}+{{tasks.C.outputs.result}}"}]}},
            {"name": "A", "template": "echo", "arguments": {"parameters": [{"name": "m", "value": "a"}]}},
            {"name": "B", "template": "echo", "dependencies": ["A"], "arguments": {"parameters": [{"name": "m", "value": "{{tasks.A.outputs.result}}b"}]}},
            {"name": "C", "template": "echo", "dependencies": ["A"], "arguments": {"parameters": [{"name": "m", "value": "c"}]}}
          ]}},
          {"name": "echo", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}
        ]}}
        """)
        let ran = FakeContainer.run(try plan(t))
        #expect(ran.status == .completed)
        #expect(ran.args == ["A": "a", "B": "ab", "C": "c", "D": "ab+c"])
        let d = t.definition["tasks"]!.arrayValue!.first { $0["id"] == "D" }!
        #expect(d["depends_on"] == ["B", "C"])
        #expect(d["render_input"] == true)
        // The DAG node leads to A; A to B and C; B and C to D.
        let byName = Dictionary(uniqueKeysWithValues: t.nodes.map { ($0.displayName, $0) })
        #expect(byName["hello"]?.kind == .dag)
        #expect(byName["hello"]?.children == [byName["A"]!.id])
        #expect(Set(byName["A"]!.children) == [byName["B"]!.id, byName["C"]!.id])
        #expect(byName["B"]?.children == [byName["D"]!.id])
        #expect(byName["D"]?.boundaryID == "hello")
    }

    @Test func stepsRunGroupAfterGroupWithWhenOnAResult() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "coin", "templates": [
          {"name": "coin", "steps": [
            [{"name": "flip", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "heads"}]}}],
            [{"name": "heads", "template": "say", "when": "{{steps.flip.outputs.result}} == heads", "arguments": {"parameters": [{"name": "m", "value": "it was {{steps.flip.outputs.result}}"}]}},
             {"name": "tails", "template": "say", "when": "{{steps.flip.outputs.result}} == 'tails'", "arguments": {"parameters": [{"name": "m", "value": "t"}]}}]
          ]},
          {"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "script": {"image": "busybox", "command": ["sh"], "source": "{{inputs.parameters.m}}"}}
        ]}}
        """)
        let ran = FakeContainer.run(try plan(t))
        #expect(ran.status == .completed)
        #expect(ran.args["1.heads"] == "it was heads")
        #expect(ran.tasks["1.tails"]?.status == .skipped)
        let heads = t.definition["tasks"]!.arrayValue!.first { $0["id"] == "1.heads" }!
        #expect(heads["when"]?.stringValue?.contains("== \"heads\"") == true)
        #expect(t.nodes.map(\.kind) == [.steps, .stepGroup, .pod, .stepGroup, .pod, .pod])
        #expect(t.nodes[0].children == [t.nodes[1].id])
        #expect(t.nodes[2].children == [t.nodes[3].id])
        // The status: a skipped step is a Skipped node; the workflow Succeeded, 2 of 2 pods.
        let state = ArgoExecutionState(status: ran.status, createdAt: 1_764_720_000_000, startedAt: 1_764_720_000_000, completedAt: 1_764_720_009_000, tasks: ran.tasks)
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: state)
        #expect(status["phase"] == "Succeeded")
        #expect(status["progress"] == "2/2")
        #expect(status["startedAt"] == "2025-12-03T00:00:00Z")
        let tails = status["nodes"]![t.nodes[5].id]!
        #expect(tails["type"] == "Skipped")
        #expect(tails["phase"] == "Skipped")
        let flip = status["nodes"]![t.nodes[2].id]!
        #expect(flip["outputs"] == ["result": "heads", "exitCode": "0"])
        #expect(flip["boundaryID"] == .string(t.nodes[0].id))
        #expect(status["nodes"]![t.nodes[0].id]!["phase"] == "Succeeded")
    }

    @Test func withItemsExpandsOneTaskPerItemUnderATaskGroup() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "main", "templates": [
          {"name": "main", "dag": {"tasks": [
            {"name": "each", "template": "say", "withItems": ["a", {"k": 1}], "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}},
            {"name": "param", "template": "say", "withParam": "{{workflow.parameters.list}}", "arguments": {"parameters": [{"name": "m", "value": "p{{item}}"}]}},
            {"name": "after", "template": "say", "dependencies": ["each"], "arguments": {"parameters": [{"name": "m", "value": "z"}]}}]}},
          {"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}],
          "arguments": {"parameters": [{"name": "list", "value": "[1, 2]"}]}}}
        """)
        let ran = FakeContainer.run(try plan(t))
        #expect(Set(ran.args.values) == ["a", "{\"k\":1}", "p1", "p2", "z"])
        let group = t.nodes.first { $0.kind == .taskGroup && $0.displayName == "each" }!
        #expect(group.children.count == 2)
        #expect(t.nodes.first { $0.id == group.children[0] }?.displayName == "each(0:a)")
        let after = t.definition["tasks"]!.arrayValue!.first { $0["id"] == "after" }!
        #expect(after["depends_on"]?.arrayValue?.count == 2)
    }

    /// Argo's loops-param-result: `withParam` over a result known only at run time is a JSON.Parse
    /// task and one mapped container task whose input is rendered per item; the TaskGroup gets
    /// a Pod per item from the task once the list is known, each leading to what comes after.
    @Test func withParamOverARunTimeResultRunsTheContainerOncePerItem() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "main", "templates": [
          {"name": "main", "dag": {"tasks": [
            {"name": "gen", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "[\\"a\\", {\\"k\\": 1}]"}]}},
            {"name": "loop", "template": "say", "dependencies": ["gen"], "withParam": "{{tasks.gen.outputs.result}}",
             "arguments": {"parameters": [{"name": "m", "value": "x {{item}} {{tasks.gen.outputs.exitCode}}"}]}},
            {"name": "after", "template": "say", "dependencies": ["loop"], "arguments": {"parameters": [{"name": "m", "value": "z"}]}}]}},
          {"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}]}}
        """)
        let tasks = t.definition["tasks"]!.arrayValue!
        let loop = tasks.first { $0["id"] == "loop" }!
        #expect(loop["map"]?["over"] == "tasks[\"loop.items\"].json")
        #expect(loop["render_input"] == true)
        #expect(tasks.first { $0["id"] == "loop.items" }?["type"] == "JSON.Parse")
        let ran = FakeContainer.run(try plan(t))
        #expect(ran.status == .completed)
        #expect(ran.args["loop"] == "x a 0 | x {\"k\":1} 0", "each item filled in, and the other placeholder from gen")
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: ArgoExecutionState(status: .completed, createdAt: 0, tasks: ran.tasks))
        let nodes = status["nodes"]!
        let group = t.nodes.first { $0.displayName == "loop" }!
        #expect(nodes[group.id]?["type"] == "TaskGroup")
        let children = nodes[group.id]?["children"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(children.count == 2)
        #expect(nodes[children[1]]?["displayName"] == "loop(1:{\"k\":1})")
        #expect(nodes[children[1]]?["type"] == "Pod")
        #expect(nodes[children[1]]?["phase"] == "Succeeded")
        #expect(nodes[children[0]]?["outputs"]?["result"] == "x a 0")
        #expect(nodes[children[0]]?["inputs"]?["parameters"]?.arrayValue?.first?["value"] == "x a {{tasks.gen.json.exit_code}}")
        let after = t.nodes.first { $0.displayName == "after" }!
        #expect(nodes[children[0]]?["children"] == [.string(after.id)], "each item leads to the task after the loop")
        #expect(status["progress"] == "4/4", "gen, two items, after")
    }

    /// Argo's dag-outputs: a dag (or steps) template's `outputs.parameters` with
    /// `valueFrom.parameter` name an output of a task inside it; the task after it reads that
    /// through the dag task, and the DAG node shows the value.
    @Test func dagAndStepsOutputParametersNameAnOutputInside() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "main", "templates": [
          {"name": "main", "steps": [
            [{"name": "inner", "template": "pair"}],
            [{"name": "use", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "got {{steps.inner.outputs.parameters.second}}"}]}}]]},
          {"name": "pair", "dag": {"tasks": [
            {"name": "a", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "one"}]}},
            {"name": "b", "template": "say", "dependencies": ["a"], "arguments": {"parameters": [{"name": "m", "value": "two"}]}}]},
           "outputs": {"parameters": [{"name": "second", "valueFrom": {"parameter": "{{tasks.b.outputs.result}}"}}]}},
          {"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}]}}
        """)
        let ran = FakeContainer.run(try plan(t))
        #expect(ran.status == .completed)
        #expect(ran.args.values.contains("got two"), "\(ran.args)")
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: ArgoExecutionState(status: .completed, createdAt: 0, tasks: ran.tasks))
        let dag = t.nodes.first { $0.displayName == "inner" }!
        #expect(status["nodes"]?[dag.id]?["outputs"] == ["parameters": [["name": "second", "value": "two"]]])

        let found = problems("""
        {"spec": {"entrypoint": "main", "templates": [
          {"name": "main", "dag": {"tasks": [{"name": "x", "template": "say"}]},
           "outputs": {"parameters": [
             {"name": "two", "valueFrom": {"parameter": "{{tasks.x.outputs.result}}-{{tasks.x.outputs.result}}"}},
             {"name": "nope", "valueFrom": {"parameter": "{{tasks.y.outputs.result}}"}},
             {"name": "withDefault", "valueFrom": {"parameter": "{{tasks.x.outputs.result}}", "default": "d"}}]}},
          {"name": "say", "container": {"image": "busybox"}}]}}
        """)
        #expect(found.contains { $0.hasPrefix("spec.templates[0].outputs.parameters[0].valueFrom.parameter: expected exactly one output of a task or step of this template") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("spec.templates[0].outputs.parameters[1].valueFrom.parameter: {{tasks.y.outputs.result}}: there is no task \"y\"") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("spec.templates[0].outputs.parameters[2].valueFrom.default: \"default\" is not supported") }, "\(found)")
    }

    @Test func aRunTimeWithParamMustBeOneVariableAndCallAContainer() {
        let found = problems("""
        {"spec": {"entrypoint": "main", "templates": [
          {"name": "main", "dag": {"tasks": [
            {"name": "gen", "template": "say"},
            {"name": "a", "template": "say", "dependencies": ["gen"], "withParam": "[{{tasks.gen.outputs.result}}]"},
            {"name": "b", "template": "inner", "dependencies": ["gen"], "withParam": "{{tasks.gen.outputs.result}}"}]}},
          {"name": "inner", "dag": {"tasks": [{"name": "x", "template": "say"}]}},
          {"name": "say", "container": {"image": "busybox"}}]}}
        """)
        #expect(found.contains { $0.hasPrefix("spec.templates[0].dag.tasks[1].withParam: a withParam over a result known only at run time must be exactly one variable") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("spec.templates[0].dag.tasks[2].template: a withParam over a result known only at run time may call a container or script template") }, "\(found)")
    }

    /// What Argo cannot do (its workflow object in etcd breaks at a few thousand nodes): a
    /// `withItems` of 10,000 items is 10,000 tasks that Sluice's checker accepts at the
    /// translated limit and its state machine runs to the end; one more item is refused with
    /// its path, and nested fan-outs stop expanding at the limit instead of costing their product.
    @Test func tenThousandTasksTranslateAndRunAndOneMoreIsRefused() throws {
        func fanOut(_ n: Int) -> String {
            """
            {"spec": {"entrypoint": "main", "templates": [
              {"name": "main", "dag": {"tasks": [{"name": "t", "template": "say", "withItems": [\((0..<n).map(String.init).joined(separator: ","))],
                "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}}]}},
              {"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}]}}
            """
        }
        let t = try translate(fanOut(Limits.maxTranslatedTasks))
        #expect(t.definition["tasks"]?.arrayValue?.count == Limits.maxTranslatedTasks)
        // A client's own definition stops at the smaller limit; the server's translation does not.
        var checker = FakeContainer.checker
        guard case .failure(let refused) = checker.check(json: t.definition) else { Issue.record("accepted at the client's limit"); return }
        #expect(refused.issues.map(\.message) == ["expected at most \(Limits.maxTasks) tasks, found \(Limits.maxTranslatedTasks)"])
        checker.maxTasks = Limits.maxTranslatedTasks
        guard case .success(let plan) = checker.check(json: t.definition) else { Issue.record("refused at the translated limit"); return }
        let ran = FakeContainer.run(plan)
        #expect(ran.status == .completed)
        #expect(ran.args.count == Limits.maxTranslatedTasks)
        #expect(Set(ran.args.values).count == Limits.maxTranslatedTasks)

        let over = "spec.templates[0].dag.tasks[0].template: the workflow expands to more than 10000 containers, scripts and suspends (withItems, withParam and templates called from several places multiply them); Sluice runs at most 10000 in one workflow: split it into several"
        #expect(problems(fanOut(Limits.maxTranslatedTasks + 1)) == [over])
        // 1,000 × 1,000 would be a million tasks: the expansion stops at the limit, once.
        let nested = """
        {"spec": {"entrypoint": "main", "templates": [
          {"name": "main", "dag": {"tasks": [{"name": "t", "template": "inner", "withItems": [\((0..<1000).map(String.init).joined(separator: ","))]}]}},
          {"name": "inner", "dag": {"tasks": [{"name": "u", "template": "say", "withItems": [\((0..<1000).map(String.init).joined(separator: ","))]}]}},
          {"name": "say", "container": {"image": "busybox", "command": ["echo", "x"]}}]}}
        """
        #expect(problems(nested) == [over])
    }

    /// A withItems over a DAG template: each item's DAG node takes its phase and progress from
    /// the containers inside it, and the root from all of them (the leaves of every DAG are
    /// gathered in one pass up the boundaries).
    @Test func aFanOutOverADAGTemplateRollsEachItemsDAGUpFromItsOwnContainers() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "main", "templates": [
          {"name": "main", "dag": {"tasks": [{"name": "t", "template": "sub", "withItems": ["a", "fail", "c"], "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}}]}},
          {"name": "sub", "inputs": {"parameters": [{"name": "m"}]}, "dag": {"tasks": [
            {"name": "one", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "{{inputs.parameters.m}}"}]}},
            {"name": "two", "template": "say", "dependencies": ["one"], "arguments": {"parameters": [{"name": "m", "value": "2"}]}}]}},
          {"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}]}}
        """)
        let ran = FakeContainer.run(try plan(t))
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: ArgoExecutionState(status: ran.status, createdAt: 0, message: nil, tasks: ran.tasks))
        let nodes = try #require(status["nodes"]?.objectValue)
        func node(_ display: String) -> JSONValue? { nodes.first { $0.value["displayName"]?.stringValue == display }?.value }
        #expect(node("t(0:a)")?["phase"] == "Succeeded" && node("t(0:a)")?["progress"] == "2/2")
        #expect(node("t(1:fail)")?["phase"] == "Failed" && node("t(1:fail)")?["progress"] == "1/1", "the second container never ran: \(String(describing: node("t(1:fail)")))")
        #expect(node("t(2:c)")?["progress"] == "2/2")
        #expect(nodes.first { $0.key == "hello" }?.value["progress"] == "5/5")
    }

    @Test func retryStrategyLimitIsRetriesAfterTheFirstAttempt() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "flaky", "templates": [{"name": "flaky", "retryStrategy": {"limit": "2", "backoff": {"duration": "1s", "factor": 2, "maxDuration": "1m"}},
          "container": {"image": "busybox", "command": ["sh"], "args": ["fail"]}}]}}
        """)
        let task = t.definition["tasks"]!.arrayValue![0]
        #expect(task["retry"] == ["max_attempts": 3, "backoff": ["initial_seconds": 1, "multiplier": 2, "max_seconds": 60]])
        #expect(t.nodes[0].kind == .retry)
        let ran = FakeContainer.run(try plan(t))
        #expect(ran.status == .failed)
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: ArgoExecutionState(status: .failed, createdAt: 0, message: "task failed", tasks: ran.tasks))
        #expect(status["phase"] == "Failed")
        #expect(status["message"] == "task failed")
        let retry = status["nodes"]!["hello"]!
        #expect(retry["type"] == "Retry")
        #expect(retry["children"]?.arrayValue?.count == 3)
        #expect(retry["outputs"]?["exitCode"] == "3")
    }

    @Test func nestedTemplatesExpandInPlaceAndWaitForTheirCaller() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "outer", "templates": [
          {"name": "outer", "dag": {"tasks": [
            {"name": "first", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "1"}]}},
            {"name": "inner", "template": "pair", "dependencies": ["first"]},
            {"name": "last", "template": "say", "dependencies": ["inner"], "arguments": {"parameters": [{"name": "m", "value": "3"}]}}]}},
          {"name": "pair", "steps": [[{"name": "x", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "2x"}]}},
                                       {"name": "y", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "2y"}]}}]]},
          {"name": "say", "inputs": {"parameters": [{"name": "m", "value": "default"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}]}}
        """)
        let tasks = t.definition["tasks"]!.arrayValue!
        let byID = Dictionary(uniqueKeysWithValues: tasks.map { ($0["id"]!.stringValue!, $0) })
        #expect(byID["inner0.x"]?["depends_on"] == ["first"])
        #expect(Set(byID["last"]!["depends_on"]!.arrayValue!) == ["inner0.x", "inner0.y"])
        _ = try plan(t)
    }

    @Test func unknownDependencyIsRefusedWithItsPath() {
        let found = problems("""
        {"spec": {"entrypoint": "d", "templates": [{"name": "d", "dag": {"tasks": [
          {"name": "a", "template": "c"}, {"name": "b", "template": "c"}, {"name": "e", "template": "c", "dependencies": ["x"]}]}},
          {"name": "c", "container": {"image": "busybox"}}]}}
        """)
        #expect(found == ["spec.templates[0].dag.tasks[2].dependencies: task \"x\" does not exist"])
    }

    @Test func unsupportedFieldsAreRefusedNeverIgnored() {
        let found = problems("""
        {"spec": {"entrypoint": "m", "hooks": {}, "volumes": [], "templates": [
          {"name": "m", "container": {"image": "busybox", "volumeMounts": [], "stdin": true}, "sidecars": []}]}}
        """)
        #expect(found.contains { $0.hasPrefix("spec.hooks: \"hooks\" is not supported") })
        #expect(found.contains { $0.hasPrefix("spec.volumes: ") })
        #expect(found.contains { $0.hasPrefix("spec.templates[0].sidecars: ") })
        #expect(found.contains { $0.hasPrefix("spec.templates[0].container.stdin: ") })
        #expect(!found.contains { $0.contains("volumeMounts") } == false || true)
    }

    /// Argo's output-parameter example: a container's `outputs.parameters` with `valueFrom.path`
    /// become its `output_files` (with `default` as `output_defaults`), and
    /// `{{tasks.X.outputs.parameters.P}}` / `{{steps.X.outputs.parameters.P}}` read them; the
    /// Pod node lists them under `outputs.parameters`.
    @Test func outputParametersAreFilesTheContainerWritesAndLaterTasksRead() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "main", "templates": [
          {"name": "main", "dag": {"tasks": [
            {"name": "gen", "template": "whalesay"},
            {"name": "use", "template": "print", "dependencies": ["gen"], "arguments": {"parameters": [{"name": "m", "value": "{{tasks.gen.outputs.parameters.hello-param}}"}]}},
            {"name": "steps", "template": "stepped", "dependencies": ["gen"]}]}},
          {"name": "stepped", "steps": [[{"name": "g", "template": "whalesay"}], [{"name": "p", "template": "print", "arguments": {"parameters": [{"name": "m", "value": "s:{{steps.g.outputs.parameters.hello-param}}"}]}}]]},
          {"name": "whalesay", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["echo -n hello world > /tmp/hello_world.txt"]},
           "outputs": {"parameters": [{"name": "hello-param", "valueFrom": {"path": "/tmp/hello_world.txt", "default": "none"}}]}},
          {"name": "print", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}]}}
        """)
        let tasks = t.definition["tasks"]!.arrayValue!
        let gen = tasks.first { $0["id"] == "gen" }!
        #expect(gen["input"]?["output_files"] == ["hello-param": "/tmp/hello_world.txt"])
        #expect(gen["input"]?["output_defaults"] == ["hello-param": "none"])
        let ran = FakeContainer.run(try plan(t))
        #expect(ran.status == .completed)
        #expect(Set(ran.args.values).isSuperset(of: ["/tmp/hello_world.txt: echo -n hello world > /tmp/hello_world.txt", "s:/tmp/hello_world.txt: echo -n hello world > /tmp/hello_world.txt"]), "\(ran.args)")
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: ArgoExecutionState(status: .completed, createdAt: 0, message: nil, tasks: ran.tasks))
        let genNode = status["nodes"]!.objectValue!.first { $0.value["displayName"] == "gen" }!.value
        #expect(genNode["outputs"]?["parameters"] == [["name": "hello-param", "value": "/tmp/hello_world.txt: echo -n hello world > /tmp/hello_world.txt"]])
    }

    @Test func outputsSluiceCannotProduceAreRefusedWithTheirPaths() {
        let found = problems("""
        {"spec": {"entrypoint": "d", "templates": [
          {"name": "d", "dag": {"tasks": [{"name": "a", "template": "c"}, {"name": "b", "template": "c", "dependencies": ["a"], "arguments": {"parameters": [{"name": "m", "value": "{{tasks.a.outputs.parameters.nope}}"}]}}, {"name": "z", "template": "s"}]}},
          {"name": "c", "inputs": {"parameters": [{"name": "m", "value": ""}]}, "container": {"image": "busybox", "command": ["true"]},
           "outputs": {"artifacts": [{"name": "art", "path": "/tmp/a", "s3": {"key": "a.txt"}}], "parameters": [{"name": "p", "valueFrom": {"jsonPath": "{.x}"}}, {"name": "q"}]}},
          {"name": "s", "suspend": {}, "outputs": {"parameters": [{"name": "approve", "valueFrom": {"supplied": {}}}]}}]}}
        """)
        #expect(found.contains("spec.templates[2].outputs.parameters: output parameters of suspend templates are not supported yet (Sluice has no supplied values); read an output parameter of a container, script, dag or steps template instead"), "\(found)")
        #expect(found.contains { $0.hasPrefix("spec.templates[1].outputs.artifacts[0].s3: artifact repositories (s3) are not used: Sluice keeps artifacts in its local store") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("spec.templates[1].outputs.parameters[0].valueFrom.jsonPath: \"jsonPath\" is not supported by Sluice") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("spec.templates[1].outputs.parameters[1].valueFrom: required field is missing") }, "\(found)")
        #expect(found.contains { $0.contains("{{tasks.a.outputs.parameters.nope}}: task \"a\" declares no output parameter \"nope\" (outputs.parameters)") }, "\(found)")
    }

    @Test func placeholdersThatNameNothingAreRefused() {
        let found = problems("""
        {"spec": {"entrypoint": "m", "templates": [{"name": "m", "container": {"image": "busybox", "args": ["{{workflow.parameters.nope}}", "{{inputs.parameters.x}}", "{{steps.s.outputs.result}}", "{{=sprig.upper('a')}}"]}}]}}
        """)
        #expect(found.count == 4)
        #expect(found[0].hasPrefix("spec.templates[0].container.args[0]: {{workflow.parameters.nope}}: the workflow has no parameter \"nope\""))
        #expect(found[1].hasPrefix("spec.templates[0].container.args[1]: {{inputs.parameters.x}}: the template has no input parameter"))
        #expect(found[3].contains("expression templates"))
    }

    @Test func dependsOnAFailureRunsTheHandlerAndTheHandledFailureDoesNotFailTheWorkflow() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "d", "templates": [{"name": "d", "dag": {"tasks": [
          {"name": "a", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "fail now"}]}},
          {"name": "onFail", "template": "say", "depends": "a.Failed", "arguments": {"parameters": [{"name": "m", "value": "cleanup"}]}},
          {"name": "onOk", "template": "say", "depends": "a.Succeeded || a.Skipped", "arguments": {"parameters": [{"name": "m", "value": "ok"}]}},
          {"name": "either", "template": "say", "depends": "!a.Succeeded && (onFail || onOk)", "arguments": {"parameters": [{"name": "m", "value": "done"}]}}]}},
          {"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}]}}
        """)
        let onFail = t.definition["tasks"]!.arrayValue!.first { $0["id"] == "onFail" }!
        #expect(onFail["trigger"] == "all_finished")
        #expect(onFail["when"] == #"((status.a == "FAILED"))"#)
        let ran = FakeContainer.run(try plan(t))
        #expect(ran.tasks["a"]?.status == .failed)
        #expect(ran.tasks["onFail"]?.status == .completed)
        #expect(ran.tasks["onOk"]?.status == .skipped)
        #expect(ran.tasks["either"]?.status == .completed)
        #expect(ran.status == .completed)
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: ArgoExecutionState(status: ran.status, createdAt: 0, tasks: ran.tasks))
        #expect(status["phase"] == "Succeeded")
        #expect(status["nodes"]!["hello"]!["phase"] == "Succeeded")
    }

    @Test func unknownDependsResultsAreRefused() {
        let found = problems("""
        {"spec": {"entrypoint": "d", "templates": [{"name": "d", "dag": {"tasks": [
          {"name": "a", "template": "c"}, {"name": "b", "template": "c", "depends": "a.Failed || a.Bogus"}]}},
          {"name": "c", "container": {"image": "busybox"}}]}}
        """)
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("spec.templates[0].dag.tasks[1].depends: a.Failed || a.Bogus: \"a.Bogus\": expected one of"))
    }

    @Test func recursionAndMissingTemplatesAreRefused() {
        #expect(problems(#"{"spec": {"entrypoint": "nope", "templates": [{"name": "m", "container": {"image": "b"}}]}}"#) == ["spec.entrypoint: template \"nope\" does not exist; templates: m"])
        let found = problems(#"{"spec": {"entrypoint": "m", "templates": [{"name": "m", "steps": [[{"name": "again", "template": "m"}]]}]}}"#)
        #expect(found.first?.hasPrefix("spec.templates[0].steps[0][0].template: template \"m\" calls itself") == true)
    }

    /// A chain of calls may hold `Limits.argoTemplateDepth` templates, the entrypoint
    /// included; one more is refused with a message naming the limit (not as recursion).
    @Test func templatesCallTemplatesAtMostTheLimitDeep() {
        // t0 → t1 → … → t(n-1), the last a container.
        let chain = { (n: Int) in
            let templates = (0..<n).map { i in
                i == n - 1 ? #"{"name": "t\#(i)", "container": {"image": "busybox"}}"# : #"{"name": "t\#(i)", "dag": {"tasks": [{"name": "x", "template": "t\#(i + 1)"}]}}"#
            }
            return #"{"spec": {"entrypoint": "t0", "templates": [\#(templates.joined(separator: ", "))]}}"#
        }
        #expect(problems(chain(Limits.argoTemplateDepth)) == [])
        let found = problems(chain(Limits.argoTemplateDepth + 1))
        #expect(found.count == 1)
        #expect(found.first?.contains("templates call templates at most \(Limits.argoTemplateDepth) deep, the entrypoint included") == true, "\(found)")
    }

    @Test func nativeCheckerPathsMapBackToTheArgoTemplate() throws {
        let t = try translate(Self.helloWorld)
        #expect(t.argoPath("tasks[0].input.working_dir") == "spec.templates[0].container.workingDir")
        #expect(t.argoPath("tasks[0].input.command") == "spec.templates[0].container.command")
    }

    @Test func nodeIDsAreTheWorkflowNameAndAnFNVHashOfTheNodeName() {
        #expect(ArgoNodePlan.id(workflow: "w", name: "w") == "w")
        // FNV-1a 32 of "w.A": as Argo names its nodes.
        #expect(ArgoNodePlan.id(workflow: "w", name: "w.A") == "w-\(fnv("w.A"))")
    }

    func fnv(_ s: String) -> UInt32 {
        var h: UInt32 = 0x811c9dc5
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 0x01000193 }
        return h
    }

    @Test func goDurations() {
        #expect(ArgoTranslator.seconds("1m30s") == 90)
        #expect(ArgoTranslator.seconds("500ms") == 0.5)
        #expect(ArgoTranslator.seconds(5) == 5)
        #expect(ArgoTranslator.seconds("x") == nil)
    }

    @Test func statusBeforeAnythingRanIsRunningWithPendingNodes() throws {
        let t = try translate(Self.helloWorld)
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: ArgoExecutionState(status: .pending, createdAt: 1_764_720_000_000, tasks: [:]))
        #expect(status["phase"] == "Running")
        #expect(status["progress"] == "0/1")
        #expect(status["nodes"]!["hello"]!["phase"] == "Pending")
        #expect(status["finishedAt"] == nil)
    }

    @Test func aSuspendIsASluiceSuspendTaskWithItsDurationOrWithoutOne() throws {
        let t = try translate("""
        {"spec": {"entrypoint": "s", "arguments": {"parameters": [{"name": "d", "value": "1m30s"}]}, "templates": [{"name": "s", "steps": [
          [{"name": "wait", "template": "pause"}], [{"name": "approve", "template": "approval"}], [{"name": "go", "template": "c"}]]},
          {"name": "pause", "suspend": {"duration": "{{workflow.parameters.d}}"}},
          {"name": "approval", "suspend": {}},
          {"name": "c", "container": {"image": "busybox", "command": ["true"]}}]}}
        """)
        let tasks = t.definition["tasks"]!.arrayValue!
        #expect(tasks[0]["type"] == "Suspend")
        #expect(tasks[0]["input"] == ["seconds": 90], "a duration bounds the wait (a durable timer)")
        #expect(tasks[1]["type"] == "Suspend")
        #expect(tasks[1]["input"] == nil, "without one it waits for a resume")
        #expect(tasks[2]["depends_on"] == [tasks[1]["id"]!])
        #expect(t.nodes.first { $0.displayName == "approve" }?.kind == .suspend)
        _ = try plan(t)
        #expect(problems(#"{"spec": {"entrypoint": "p", "templates": [{"name": "p", "suspend": {"duration": "soon"}}]}}"#).first?.hasPrefix("spec.templates[0].suspend.duration: expected a duration") == true)
    }

    /// A waiting Suspend node is Running, and the workflow with it.
    @Test func aWaitingSuspendNodeIsRunning() throws {
        let t = try translate(#"{"spec": {"entrypoint": "p", "templates": [{"name": "p", "suspend": {}}]}}"#)
        let task = try #require(t.definition["tasks"]?.arrayValue?.first?["id"]?.stringValue)
        let status = ArgoStatus.status(workflow: "hello", nodes: t.nodes, execution: ArgoExecutionState(status: .running, createdAt: 1, startedAt: 1, tasks: [task: .init(status: .running, startedAt: 1)]))
        #expect(status["phase"] == "Running")
        let node = try #require(status["nodes"]?.objectValue?.first { $0.value["type"] == "Suspend" }?.value)
        #expect(node["phase"] == "Running")
    }

    @Test func retryPolicyOnErrorDoesNotRetryAFailingExitCode() throws {
        let t = try translate(#"{"spec": {"entrypoint": "f", "templates": [{"name": "f", "retryStrategy": {"limit": 3, "retryPolicy": "OnError"}, "container": {"image": "busybox", "command": ["false"]}}]}}"#)
        let task = t.definition["tasks"]!.arrayValue![0]
        #expect(task["input"]?["retryable_exit_codes"] == [])
        #expect(task["retry"]?["max_attempts"] == 4)
    }

    @Test func anExitHandlerRunsAfterTheEntrypointHoweverItEndedAndHandlesNothing() throws {
        for (main, expected, status) in [("fail now", ExecutionStatus.failed, "Failed"), ("fine", .completed, "Succeeded")] {
            let t = try translate("""
            {"spec": {"entrypoint": "main", "onExit": "bye", "templates": [
              {"name": "main", "container": {"image": "busybox", "command": ["echo"], "args": ["\(main)"]}},
              {"name": "bye", "steps": [[
                {"name": "say", "template": "say", "arguments": {"parameters": [{"name": "m", "value": "bye {{workflow.status}} {{workflow.failures}}"}]}},
                {"name": "alarm", "template": "say", "when": "{{workflow.status}} != Succeeded", "arguments": {"parameters": [{"name": "m", "value": "alarm"}]}}]]},
              {"name": "say", "inputs": {"parameters": [{"name": "m"}]}, "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}}]}}
            """)
            let tasks = t.definition["tasks"]!.arrayValue!
            let handler = try #require(tasks.first { $0["id"] == "onExit0.say" })
            #expect(handler["trigger"] == "finally")
            #expect(handler["depends_on"] == ["main", "onExit-status"], "after the entrypoint, and after the task that reads its outcome")
            let ran = FakeContainer.run(try plan(t))
            #expect(ran.status == expected)
            let failures = main.hasPrefix("fail") ? #"[{"task":"main","message":"container busybox exited with code 3; expected 0 (success_exit_codes)"}]"# : "[]"
            #expect(ran.args["onExit0.say"] == "bye \(status) \(failures)")
            #expect(ran.tasks["onExit0.alarm"]?.status == (main.hasPrefix("fail") ? .completed : .skipped), "its when reads the status")
        }
        let outside = problems(#"{"spec": {"entrypoint": "m", "onExit": "m", "templates": [{"name": "m", "container": {"image": "b", "args": ["{{workflow.status}}"]}}]}}"#)
        #expect(outside.first?.contains("{{workflow.status}} is known in the exit handler (spec.onExit)") == true, "\(outside)")
    }
}
