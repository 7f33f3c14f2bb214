import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceSteps
import SluiceTestSupport
import Testing

/// A server without a container runtime refuses a workflow that uses `Container.Run` when it is
/// created — a `400` that says why and names `--container-runtime` — rather than storing it and
/// failing its executions later. With a runtime, the same workflow is stored.
@Suite(.testStores) struct ContainerStepAvailabilityTests {
    static let workflow = #"{"name": "c", "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Container.Run", "input": {"image": "busybox", "command": ["echo", "hi"]}}]}"#

    func registry(_ containers: ContainerOptions) -> StepRegistry {
        StepRegistry.standard(options: .init(httpClient: webhookTestClient, containers: containers))
    }

    @Test func withoutARuntimeTheWorkflowIsA400NamingTheFlag() async throws {
        try await makeApp(registry: registry(.none)).test(.router) { client in
            for (method, uri) in [(HTTPRequest.Method.post, "/workflows"), (.post, "/workflows/validate")] {
                let reply = try await client.send(method, uri, body: Self.workflow)
                let message = try expectValidation(reply, path: "steps[1].type", code: "step_type_unavailable")
                #expect(message.contains("Container.Run is not available on this server: this server has no container runtime"), "\(message)")
                #expect(message.contains("--container-runtime podman"), "\(message)")
            }
            let list = try await client.send(.get, "/workflows")
            #expect(try list.json()["workflows"]?.arrayValue?.isEmpty == true, "nothing was stored")
        }
    }

    @Test func withTheProcessRuntimeTheSameWorkflowIsCreated() async throws {
        try await makeApp(registry: registry(ContainerOptions(runtime: ProcessContainerRuntime()))).test(.router) { client in
            let reply = try await client.send(.post, "/workflows", body: Self.workflow)
            #expect(reply.status == .created, "\(reply.text)")
        }
    }
}
