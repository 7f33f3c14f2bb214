"""The Argo Workflows API of `sluice serve --container-runtime process` (and podman), driven by the real
clients Argo users have: Hera (`hera`) and the generated `argo-workflows` client, both from PyPI,
unmodified. Each assertion checks what Argo's own server would answer. Run by `.ci/argo`, which
starts the server and sets SLUICE_ARGO_URL.
"""
import json
import os
import time
import unittest
import urllib.error
import urllib.request

from hera.shared import global_config
from hera.workflows import DAG, Artifact, Container, Parameter, RetryStrategy, Steps, Workflow, WorkflowsService, script
from hera.workflows.models import Arguments, Parameter as ModelParameter, ValueFrom

URL = os.environ.get("SLUICE_ARGO_URL", "http://127.0.0.1:8080")
NAMESPACE = "argo"
# The server's container runtime: process (commands on the host) or podman.
RUNTIME = os.environ.get("SLUICE_ARGO_RUNTIME", "process")

global_config.host = URL
global_config.namespace = NAMESPACE


def service():
    return WorkflowsService(host=URL, namespace=NAMESPACE)


def node_by_display(wf, display):
    for node in (wf.status.nodes or {}).values():
        if node.display_name == display:
            return node
    raise AssertionError(f"no node {display!r} in {sorted(n.display_name for n in wf.status.nodes.values())}")


def fnv(name):
    """Argo's node id hash: FNV-1a, 32 bits."""
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def when(time):
    """The datetime inside Hera's Time model (pydantic v1 `__root__`, v2 `root`)."""
    return getattr(time, "root", getattr(time, "__root__", time))


class HeraTests(unittest.TestCase):
    def test_hello_world_succeeds_with_its_pod_output(self):
        with Workflow(generate_name="hello-world-", entrypoint="main", workflows_service=service()) as w:
            Container(name="main", image="busybox", command=["sh", "-c"], args=["echo hello world"])
        created = w.create()
        self.assertTrue(created.metadata.name.startswith("hello-world-"))
        self.assertEqual(len(created.metadata.name), len("hello-world-") + 5)
        self.assertEqual(created.status.phase, "Running")
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded")
        self.assertEqual(done.status.progress, "1/1")
        pod = done.status.nodes[created.metadata.name]
        self.assertEqual(pod.type, "Pod")
        self.assertEqual(pod.outputs.result, "hello world")
        self.assertEqual(pod.outputs.exit_code, "0")

    def test_dag_diamond_runs_every_task_after_its_dependencies(self):
        echo = Container(name="echo", image="busybox", command=["sh", "-c"], args=["echo {{inputs.parameters.m}}"],
                         inputs=[Parameter(name="m")])
        with Workflow(generate_name="diamond-", entrypoint="diamond", workflows_service=service()) as w:
            echo_t = echo
            with DAG(name="diamond"):
                a = echo_t(name="A", arguments={"m": "A"})
                b = echo_t(name="B", arguments={"m": "B"})
                c = echo_t(name="C", arguments={"m": "C"})
                d = echo_t(name="D", arguments={"m": "D"})
                a >> [b, c] >> d
        w.create()
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded")
        self.assertEqual(done.status.progress, "4/4")
        nodes = {n: node_by_display(done, n) for n in "ABCD"}
        self.assertLessEqual(when(nodes["A"].finished_at), when(nodes["B"].started_at))
        self.assertLessEqual(when(nodes["A"].finished_at), when(nodes["C"].started_at))
        self.assertLessEqual(when(nodes["B"].finished_at), when(nodes["D"].started_at))
        self.assertLessEqual(when(nodes["C"].finished_at), when(nodes["D"].started_at))
        self.assertEqual(done.status.nodes[done.metadata.name].type, "DAG")

    def test_steps_with_parameters_and_results_passed_on(self):
        @script(image="python", command=["python3"])
        def produce(word: str):
            print(word.upper())

        consume = Container(name="consume", image="busybox", command=["sh", "-c"],
                            args=["echo got {{inputs.parameters.v}}"], inputs=[Parameter(name="v")])
        with Workflow(generate_name="steps-", entrypoint="main", arguments={"word": "quiet"},
                      workflows_service=service()) as w:
            with Steps(name="main"):
                p = produce(arguments={"word": "{{workflow.parameters.word}}"})
                consume(arguments={"v": p.result})
        w.create()
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        self.assertEqual(node_by_display(done, "consume").outputs.result, "got QUIET")
        self.assertEqual(done.status.nodes[done.metadata.name].type, "Steps")

    def test_an_output_parameter_is_the_file_the_container_wrote(self):
        # Argo's output-parameter example; on the process runtime the path is the host's own.
        path = f"/tmp/sluice-hera-{os.getpid()}-{time.time_ns()}.txt"
        gen = Container(name="gen", image="busybox", command=["sh", "-c"], args=[f"echo hello world > {path}"],
                        outputs=[Parameter(name="hello-param", value_from=ValueFrom(path=path))])
        use = Container(name="use", image="busybox", command=["sh", "-c"], args=["echo got {{inputs.parameters.m}}"],
                        inputs=[Parameter(name="m")])
        with Workflow(generate_name="output-parameter-", entrypoint="main", workflows_service=service()) as w:
            with DAG(name="main"):
                g = gen()
                u = use(arguments={"m": "{{tasks.gen.outputs.parameters.hello-param}}"})
                g >> u
        w.create()
        done = w.wait(poll_interval=1)
        if os.path.exists(path):  # the process runtime wrote the host's own path
            os.unlink(path)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        node = node_by_display(done, "gen")
        self.assertEqual([(p.name, p.value) for p in node.outputs.parameters], [("hello-param", "hello world")])
        self.assertEqual(node_by_display(done, "use").outputs.result, "got hello world")

    def test_artifacts_pass_between_tasks_through_the_local_store(self):
        # Argo's artifact-passing example without S3: Sluice keeps the artifact in its local store,
        # places it for the next task and serves it from argo-server's download route.
        tag = f"{os.getpid()}-{time.time_ns()}"
        out, into = f"/tmp/sluice-hera-art-{tag}.txt", f"/tmp/sluice-hera-art-in-{tag}.txt"
        gen = Container(name="gen", image="busybox", command=["sh", "-c"], args=[f"echo hello artifact > {out}"],
                        outputs=[Artifact(name="report", path=out)])
        use = Container(name="use", image="busybox", command=["sh", "-c"], args=[f"cat {into}"],
                        inputs=[Artifact(name="report", path=into)])
        with Workflow(generate_name="artifact-passing-", entrypoint="main", workflows_service=service()) as w:
            with DAG(name="main"):
                g = gen()
                u = use(arguments=[Artifact(name="report", from_="{{tasks.gen.outputs.artifacts.report}}")])
                g >> u
        w.create()
        done = w.wait(poll_interval=1)
        for path in (out, into):
            if os.path.exists(path):  # the process runtime wrote the host's own paths
                os.unlink(path)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        node = node_by_display(done, "gen")
        self.assertEqual([(a.name, a.path) for a in node.outputs.artifacts], [("report", out)])
        self.assertEqual(node_by_display(done, "use").outputs.result, "hello artifact")
        with urllib.request.urlopen(f"{URL}/artifacts/{NAMESPACE}/{done.metadata.name}/{node.id}/report") as reply:
            self.assertEqual(reply.read(), b"hello artifact\n")

    def test_a_failing_exit_code_fails_the_workflow(self):
        with Workflow(generate_name="fail-", entrypoint="main", workflows_service=service()) as w:
            Container(name="main", image="busybox", command=["sh", "-c"], args=["echo oops >&2; exit 3"])
        w.create()
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Failed")
        pod = done.status.nodes[done.metadata.name]
        self.assertEqual(pod.phase, "Failed")
        self.assertEqual(pod.outputs.exit_code, "3")
        self.assertIn("exited with code 3", done.status.message)

    def test_with_items_when_and_a_handled_failure(self):
        say = Container(name="say", image="busybox", command=["sh", "-c"], args=["echo {{inputs.parameters.m}}"],
                        inputs=[Parameter(name="m")])
        boom = Container(name="boom", image="busybox", command=["sh", "-c"], args=["exit 1"])
        with Workflow(generate_name="items-", entrypoint="d", workflows_service=service()) as w:
            with DAG(name="d"):
                say(name="each", arguments={"m": "{{item}}"}, with_items=["a", "b", "c"])
                flip = say(name="flip", arguments={"m": "heads"})
                heads = say(name="heads", arguments={"m": "H"}, when=f"{flip.result} == heads")
                tails = say(name="tails", arguments={"m": "T"}, when=f"{flip.result} == tails")
                flip >> [heads, tails]
                b = boom(name="b")
                cleanup = say(name="cleanup", arguments={"m": "cleaned"})
                b.on_failure(cleanup)
        w.create()
        done = w.wait(poll_interval=1)
        # b's failure is handled by cleanup (depends: b.Failed), so the DAG succeeds, as in Argo.
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        self.assertEqual(node_by_display(done, "heads").phase, "Succeeded")
        self.assertEqual(node_by_display(done, "tails").phase, "Skipped")
        self.assertEqual(node_by_display(done, "b").phase, "Failed")
        self.assertEqual(node_by_display(done, "cleanup").outputs.result, "cleaned")
        group = node_by_display(done, "each")
        self.assertEqual(group.type, "TaskGroup")
        self.assertEqual(sorted(done.status.nodes[c].outputs.result for c in group.children), ["a", "b", "c"])

    def test_with_param_over_a_result_runs_a_container_per_item(self):
        # Argo's loops-param-result, as Hera writes it: a script prints a JSON list and the next
        # task runs once per item of it (withParam: "{{tasks.gen.outputs.result}}").
        @script(image="python", command=["python3"])
        def gen():
            import json
            import sys
            json.dump([{"n": 1}, {"n": 2}, {"n": 3}], sys.stdout)

        @script(image="python", command=["python3"])
        def double(n: int):
            print(n * 2)

        with Workflow(generate_name="loop-result-", entrypoint="d", workflows_service=service()) as w:
            with DAG(name="d"):
                g = gen()
                d = double(with_param=g.result, arguments={"n": "{{item.n}}"})
                g >> d
        w.create()
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        group = node_by_display(done, "double")
        self.assertEqual(group.type, "TaskGroup")
        items = [done.status.nodes[c] for c in group.children]
        self.assertEqual([n.display_name for n in items], ['double(0:{"n":1})', 'double(1:{"n":2})', 'double(2:{"n":3})'])
        self.assertEqual([n.outputs.result for n in items], ["2", "4", "6"])
        self.assertEqual(done.status.progress, "4/4")

    def test_retries_run_a_failing_container_again(self):
        # On the process runtime a counter file on the host makes the third attempt succeed; a
        # container starts from its image each time, so on podman every attempt fails.
        host = RUNTIME == "process"
        counter = f"/tmp/sluice-argo-{time.time_ns()}"
        with Workflow(generate_name="retry-", entrypoint="flaky", workflows_service=service()) as w:
            Container(name="flaky", image="busybox", command=["sh", "-c"],
                      args=[f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; "
                            f"[ $n -ge 3 ] && echo third || exit 1"],
                      retry_strategy=RetryStrategy(limit=2))
        w.create()
        done = w.wait(poll_interval=1)
        if host:
            os.remove(counter)
        self.assertEqual(done.status.phase, "Succeeded" if host else "Failed", done.status.message)
        retry = done.status.nodes[done.metadata.name]
        self.assertEqual(retry.type, "Retry")
        self.assertEqual(len(retry.children), 3)
        self.assertEqual([done.status.nodes[c].phase for c in retry.children], ["Failed", "Failed", "Succeeded" if host else "Failed"])

    def test_logs_stay_readable_after_the_container_is_gone(self):
        with Workflow(generate_name="logs-", entrypoint="main", workflows_service=service()) as w:
            Container(name="main", image="busybox", command=["sh", "-c"], args=["echo one; sleep 0.3; echo two >&2"])
        w.create()
        done = w.wait(poll_interval=1)
        with urllib.request.urlopen(f"{URL}/api/v1/workflows/{NAMESPACE}/{done.metadata.name}/log?logOptions.container=main") as r:
            frames = [json.loads(line) for line in r.read().decode().splitlines() if line]
        self.assertEqual([f["result"]["content"] for f in frames], ["one", "two"])
        self.assertTrue(all(f["result"]["podName"] == done.metadata.name for f in frames))

    def test_workflow_template_update_and_a_workflow_that_references_it(self):
        from hera.workflows import WorkflowTemplate
        from hera.workflows.models import WorkflowTemplateRef
        with WorkflowTemplate(name="greeter", entrypoint="main", arguments={"who": "x"},
                              workflows_service=service()) as t:
            Container(name="main", image="busybox", command=["sh", "-c"],
                      args=["echo hello {{workflow.parameters.who}}"])
        first = t.update()   # not there yet: Hera's update creates it
        second = t.update()  # there: Hera reads its resourceVersion and updates it
        self.assertEqual(int(second.metadata.resource_version), int(first.metadata.resource_version) + 1)
        with Workflow(generate_name="from-template-", workflow_template_ref=WorkflowTemplateRef(name="greeter"),
                      arguments={"who": "hera"}, workflows_service=service()) as w:
            pass
        w.create()
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        self.assertEqual(done.status.nodes[done.metadata.name].outputs.result, "hello hera")

    def test_template_ref_calls_a_template_of_a_workflow_template(self):
        from hera.workflows import Step, Task, WorkflowTemplate
        from hera.workflows.models import TemplateRef
        with WorkflowTemplate(name="hera-lib", workflows_service=service()) as lib:
            Container(name="say", image="busybox", command=["sh", "-c"], args=["echo said {{inputs.parameters.m}}"],
                      inputs=[Parameter(name="m")])
        lib.update()
        with Workflow(generate_name="template-ref-", entrypoint="main", workflows_service=service()) as w:
            with DAG(name="main"):
                a = Task(name="a", template_ref=TemplateRef(name="hera-lib", template="say"), arguments={"m": "first"})
                b = Task(name="b", template_ref=TemplateRef(name="hera-lib", template="say"),
                         arguments={"m": "{{tasks.a.outputs.result}}"})
                a >> b
        w.create()
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        self.assertEqual(node_by_display(done, "b").outputs.result, "said said first")

    def test_a_cluster_workflow_template_is_called_from_two_namespaces(self):
        from hera.workflows import ClusterWorkflowTemplate, Task
        from hera.workflows.models import TemplateRef
        # A ClusterWorkflowTemplate has no namespace: Hera refuses the one set globally above.
        global_config.namespace = None
        try:
            with ClusterWorkflowTemplate(name="hera-cluster-lib", workflows_service=service()) as lib:
                Container(name="say", image="busybox", command=["sh", "-c"], args=["echo cluster {{inputs.parameters.m}}"],
                          inputs=[Parameter(name="m")])
        finally:
            global_config.namespace = NAMESPACE
        lib.update()  # creates it when it does not exist, as Hera's update does
        got = service().get_cluster_workflow_template("hera-cluster-lib")
        self.assertEqual(got.kind, "ClusterWorkflowTemplate")
        for namespace in ["argo", "team-b"]:
            with Workflow(generate_name="cluster-ref-", entrypoint="main", namespace=namespace,
                          workflows_service=WorkflowsService(host=URL, namespace=namespace)) as w:
                with DAG(name="main"):
                    Task(name="a", template_ref=TemplateRef(name="hera-cluster-lib", template="say", cluster_scope=True),
                         arguments={"m": namespace})
            w.create()
            done = w.wait(poll_interval=1)
            self.assertEqual(done.status.phase, "Succeeded", done.status.message)
            self.assertEqual(node_by_display(done, "a").outputs.result, f"cluster {namespace}")
        service().delete_cluster_workflow_template("hera-cluster-lib")
        with self.assertRaises(Exception):
            service().get_cluster_workflow_template("hera-cluster-lib")

    def test_a_cron_workflow_is_created_updated_suspended_resumed_and_deleted(self):
        from hera.workflows import CronWorkflow
        from hera.workflows.models import CronWorkflowResumeRequest, CronWorkflowSuspendRequest
        with CronWorkflow(name="nightly", schedule="0 3 * * *", timezone="Europe/Berlin", concurrency_policy="Forbid",
                          entrypoint="main", workflows_service=service()) as c:
            Container(name="main", image="busybox", command=["sh", "-c"], args=["echo tick"])
        self.assertEqual(c.lint().metadata.name, "nightly")
        created = c.create()
        self.assertEqual(created.spec.schedules or [created.spec.schedule], ["0 3 * * *"])
        self.assertEqual(created.spec.timezone, "Europe/Berlin")
        self.assertFalse(created.spec.suspend)
        with CronWorkflow(name="nightly", schedule="30 4 * * *", timezone="Europe/Berlin", concurrency_policy="Forbid",
                          entrypoint="main", workflows_service=service()) as later:
            Container(name="main", image="busybox", command=["sh", "-c"], args=["echo tock"])
        updated = later.update()  # reads the resourceVersion, then replaces the spec
        self.assertEqual(updated.spec.schedules or [updated.spec.schedule], ["30 4 * * *"])
        self.assertEqual(updated.metadata.uid, created.metadata.uid)
        svc = service()
        self.assertTrue(svc.suspend_cron_workflow("nightly", CronWorkflowSuspendRequest(name="nightly", namespace=NAMESPACE), namespace=NAMESPACE).spec.suspend)
        self.assertFalse(svc.resume_cron_workflow("nightly", CronWorkflowResumeRequest(name="nightly", namespace=NAMESPACE), namespace=NAMESPACE).spec.suspend)
        self.assertEqual([i.metadata.name for i in svc.list_cron_workflows(namespace=NAMESPACE).items], ["nightly"])
        svc.delete_cron_workflow("nightly", namespace=NAMESPACE)
        self.assertEqual(svc.list_cron_workflows(namespace=NAMESPACE).items or [], [])

    def test_an_exit_handler_runs_after_a_failure_and_the_workflow_still_fails(self):
        with Workflow(generate_name="exit-", entrypoint="main", on_exit="bye", workflows_service=service()) as w:
            Container(name="main", image="busybox", command=["sh", "-c"], args=["exit 2"])
            # Argo's exit-handlers example: the handler reads the outcome ({{workflow.status}}).
            Container(name="bye", image="busybox", command=["sh", "-c"], args=["echo goodbye, {{workflow.status}}"])
        w.create()
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Failed")
        handler = done.status.nodes[f"{done.metadata.name}-{fnv(done.metadata.name + '.onExit')}"]
        self.assertEqual(handler.phase, "Succeeded")
        self.assertEqual(handler.outputs.result, "goodbye, Failed")

    def test_an_exit_handler_branches_on_the_workflow_status(self):
        # Argo's exit-handlers example: steps of the handler run or not by {{workflow.status}}.
        with Workflow(generate_name="exit-status-", entrypoint="main", on_exit="exit-handler", workflows_service=service()) as w:
            say = Container(name="say", image="busybox", command=["sh", "-c"], args=["echo {{inputs.parameters.m}}"],
                            inputs=[Parameter(name="m")])
            Container(name="main", image="busybox", command=["sh", "-c"], args=["echo fine"])
            with Steps(name="exit-handler") as handler:
                with handler.parallel():
                    say(name="celebrate", arguments={"m": "hooray"}, when="{{workflow.status}} == Succeeded")
                    say(name="cry", arguments={"m": "boohoo {{workflow.failures}}"}, when="{{workflow.status}} != Succeeded")
        w.create()
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        self.assertEqual(node_by_display(done, "celebrate").outputs.result, "hooray")
        self.assertEqual(node_by_display(done, "cry").phase, "Skipped")

    def test_a_suspend_template_waits_for_the_resume_and_a_suspended_workflow_resumes(self):
        from hera.workflows import Suspend
        from hera.workflows.models import WorkflowResumeRequest, WorkflowSuspendRequest
        with Workflow(generate_name="approval-", entrypoint="main", workflows_service=service()) as w:
            say = Container(name="say", image="busybox", command=["sh", "-c"], args=["echo hi"])
            approve = Suspend(name="approve")
            with Steps(name="main"):
                say(name="build")
                approve(name="approval")
                say(name="ship")
        name = w.create().metadata.name
        svc = service()
        for _ in range(200):  # until the approval waits (a state, not a time)
            wf = svc.get_workflow(name, namespace=NAMESPACE)
            if any(n.display_name == "approval" and n.phase == "Running" for n in (wf.status.nodes or {}).values()):
                break
            time.sleep(0.05)
        self.assertEqual(node_by_display(wf, "approval").type, "Suspend")
        self.assertEqual(wf.status.phase, "Running")
        self.assertNotEqual(node_by_display(wf, "build").phase, "Running")
        suspended = svc.suspend_workflow(name, WorkflowSuspendRequest(name=name, namespace=NAMESPACE), namespace=NAMESPACE)
        self.assertTrue(suspended.spec.suspend)
        self.assertEqual(suspended.status.phase, "Running")
        resumed = svc.resume_workflow(name, WorkflowResumeRequest(name=name, namespace=NAMESPACE), namespace=NAMESPACE)
        self.assertFalse(resumed.spec.suspend)
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        self.assertEqual(node_by_display(done, "approval").phase, "Succeeded")
        self.assertEqual(node_by_display(done, "ship").outputs.result, "hi")
        with self.assertRaises(Exception) as caught:
            svc.suspend_workflow(name, WorkflowSuspendRequest(name=name, namespace=NAMESPACE), namespace=NAMESPACE)
        self.assertIn("cannot suspend completed workflows", str(caught.exception))

    def test_lint_error_names_the_path(self):
        with Workflow(name="lint-bad", entrypoint="nope", workflows_service=service()) as w:
            Container(name="main", image="busybox", command=["true"])
        with self.assertRaises(Exception) as caught:
            w.lint()
        self.assertIn('spec.entrypoint: template "nope" does not exist', str(caught.exception))


class ArgoWorkflowsClientTests(unittest.TestCase):
    """The generated client (argo_workflows) for get, list and delete."""

    def setUp(self):
        import argo_workflows
        from argo_workflows.api import workflow_service_api
        configuration = argo_workflows.Configuration(host=URL)
        self.client = argo_workflows.ApiClient(configuration)
        self.api = workflow_service_api.WorkflowServiceApi(self.client)

    def raw(self, method, path, body=None):
        request = urllib.request.Request(URL + path, method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def test_get_list_and_delete(self):
        body = {"workflow": {"metadata": {"name": "client-made", "labels": {"suite": "client"}},
                             "spec": {"entrypoint": "m", "templates": [
                                 {"name": "m", "container": {"image": "busybox", "command": ["true"]}}]}}}
        status, created = self.raw("POST", f"/api/v1/workflows/{NAMESPACE}", body)
        self.assertEqual(status, 200, created)
        got = self.api.get_workflow(NAMESPACE, "client-made", _check_return_type=False)
        self.assertEqual(got["metadata"]["name"], "client-made")
        listed = self.api.list_workflows(NAMESPACE, list_options_label_selector="suite=client", _check_return_type=False)
        self.assertEqual([i["metadata"]["name"] for i in listed["items"]], ["client-made"])
        for _ in range(100):
            if self.api.get_workflow(NAMESPACE, "client-made", _check_return_type=False)["status"]["phase"] != "Running":
                break
            time.sleep(0.1)
        self.api.delete_workflow(NAMESPACE, "client-made")
        status, gone = self.raw("GET", f"/api/v1/workflows/{NAMESPACE}/client-made")
        self.assertEqual(status, 404)
        self.assertEqual(gone["code"], 5)
        self.assertEqual(gone["message"], 'workflows.argoproj.io "client-made" not found')


if __name__ == "__main__":
    unittest.main(verbosity=2)
