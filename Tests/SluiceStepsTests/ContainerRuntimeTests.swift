import Foundation
import SluiceCore
import Testing

@testable import SluiceSteps
import SluiceTestSupport

/// The pieces under the runtimes: the podman and docker command lines, container names,
/// resource quantities, and how `--container-runtime` and its command resolve.
@Suite struct ContainerRuntimeTests {
    func spec() -> ContainerSpec {
        var spec = ContainerSpec(name: "sluice-ex-1-step-1-1", image: "busybox")
        spec.command = ["sh", "-c"]
        spec.args = ["echo $A"]
        spec.env = [("A", "b c")]
        spec.workingDirectory = "/tmp"
        spec.cpus = 0.5
        spec.memoryBytes = 64 << 20
        return spec
    }

    @Test func podmanRunsTheSpecWithoutNetworkAndReplacesALeftover() {
        let podman = CLIContainerRuntime(flavor: .podman, command: ["podman", "--runtime", "runc"], environment: [:])
        #expect(podman.runArguments(spec()) == [
            "run", "--rm", "--name", "sluice-ex-1-step-1-1", "--replace", "--network", "none", "--cpus", "0.5", "--memory", "67108864",
            "--pull", "missing", "--workdir", "/tmp", "--env", "A=b c", "--entrypoint", "sh", "busybox", "-c", "echo $A",
        ])
        #expect(podman.removeArguments("x") == ["rm", "--force", "--time", "0", "x"])
        var open = ContainerSpec(name: "n", image: "img")
        open.network = true
        open.pull = .never
        open.input = Array("echo".utf8)
        open.args = ["a"]
        #expect(podman.runArguments(open) == ["run", "--rm", "--name", "n", "--replace", "--pull", "never", "--interactive", "img", "a"])
    }

    @Test func dockerSpeaksTheSameLineButRemovesALeftoverFirst() {
        let docker = CLIContainerRuntime(flavor: .docker, environment: [:])
        #expect(docker.command == ["docker"])
        #expect(docker.runArguments(spec()).contains("--replace") == false)
        #expect(docker.runArguments(spec()).prefix(6) == ["run", "--rm", "--name", "sluice-ex-1-step-1-1", "--network", "none"])
        #expect(docker.removeArguments("x") == ["rm", "--force", "x"])
    }

    @Test func cpuCountsAreWrittenAsRuntimesReadThem() {
        #expect(CLIContainerRuntime.decimal(2) == "2")
        #expect(CLIContainerRuntime.decimal(0.5) == "0.5")
        #expect(CLIContainerRuntime.decimal(0.125) == "0.125")
        #expect(CLIContainerRuntime.decimal(1.05) == "1.05")
    }

    @Test func containerNamesKeepOnlyWhatRuntimesAccept() {
        #expect(ContainerSpec.name(executionID: "ex-abc", stepID: "fetch[3]", attempt: 2) == "sluice-ex-abc-fetch-3--2")
        #expect(ContainerSpec.name(executionID: "ex-abc", stepID: "a.b_c", attempt: 1) == "sluice-ex-abc-a.b_c-1")
    }

    @Test func quantitiesReadAsKubernetesWritesThem() throws {
        #expect(try ResourceQuantity.cpus("500m").get() == 0.5)
        #expect(try ResourceQuantity.cpus(2).get() == 2)
        #expect(try ResourceQuantity.cpus("1.5").get() == 1.5)
        #expect(try ResourceQuantity.memory("256Mi").get() == 256 << 20)
        #expect(try ResourceQuantity.memory("1G").get() == 1_000_000_000)
        #expect(try ResourceQuantity.memory("1e9").get() == 1_000_000_000)
        #expect(try ResourceQuantity.memory(.number(Double(6 << 20))).get() == 6 << 20)
        for bad: JSONValue in ["128MB", "128m", "-1Gi", "Gi", "", true] {
            #expect(throws: (any Error).self, "\(bad)") { try ResourceQuantity.memory(bad).get() }
        }
        for bad: JSONValue in ["0", "-1", "1 CPU", "m", 0] {
            #expect(throws: (any Error).self, "\(bad)") { try ResourceQuantity.cpus(bad).get() }
        }
    }

    /// A directory holding executable files named `names`, for a `PATH`.
    func binDirectory(_ names: [String]) throws -> String {
        let dir = Scratch.root.appendingPathComponent("sluice-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in names {
            let path = dir.appendingPathComponent(name).path
            _ = FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        }
        return dir.path
    }

    func resolve(_ choice: ContainerRuntimeChoice?, _ command: [String]? = nil, path: String) throws(ContainerRuntimeError) -> ContainerOptions {
        try ContainerOptions.resolve(choice: choice, command: command, networkByDefault: false, environment: ["PATH": path])
    }

    @Test func theDefaultIsPodmanThenDockerFromPATHElseNone() throws {
        let both = try binDirectory(["docker", "podman"])
        let docker = try binDirectory(["docker"])
        #expect(try resolve(nil, path: both).runtime?.name == "podman")
        #expect(try resolve(nil, path: "/nonexistent:" + docker).runtime?.name == "docker")
        let none = try resolve(nil, path: "/nonexistent")
        #expect(none.runtime == nil)
        #expect(none.unavailableReason.contains("--container-runtime podman"))
        #expect(none.unavailableReason.contains("neither podman nor docker was found in PATH (/nonexistent)"))
        #expect(try resolve(.process, path: "/nonexistent").runtime?.usesImages == false)
        #expect(try resolve(ContainerRuntimeChoice.none, path: both).unavailableReason.contains("--container-runtime none"))
    }

    @Test func theCommandLineNamesItsRuntimeAndIsChecked() throws {
        let dir = try binDirectory(["podman", "docker-rootless"])
        let chosen = try resolve(nil, [dir + "/podman", "--runtime", "runc"], path: "")
        #expect((chosen.runtime as? CLIContainerRuntime)?.command == [dir + "/podman", "--runtime", "runc"])
        #expect((try resolve(nil, ["docker-rootless"], path: dir).runtime as? CLIContainerRuntime)?.flavor == .docker)
        func message(_ body: () throws(ContainerRuntimeError) -> ContainerOptions) -> String {
            do throws(ContainerRuntimeError) { _ = try body(); return "" } catch { return error.message }
        }
        #expect(message { () throws(ContainerRuntimeError) in try resolve(.podman, path: "/nonexistent") }.contains("--container-runtime podman: podman was not found in PATH"))
        #expect(message { () throws(ContainerRuntimeError) in try resolve(nil, ["nerdctl"], path: dir) }.contains("add --container-runtime podman or --container-runtime docker"))
        #expect(message { () throws(ContainerRuntimeError) in try resolve(.process, ["podman"], path: dir) }.contains("--container-runtime-command does not apply"))
        #expect(message { () throws(ContainerRuntimeError) in try resolve(.docker, [dir + "/missing"], path: dir) }.contains("is not an executable file"))
    }
}
