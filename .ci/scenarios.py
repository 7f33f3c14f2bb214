#!/usr/bin/env python3
"""Answers schemathesis cannot reach, checked against openapi.yaml.

schemathesis (.ci/contract) calls each operation with generated data; a response that only a
sequence of calls by several people or programs produces is never generated there: an
annotation item whose round was taken and released by one labeler and answered by another (its
`holders`), rejected by a reviewer with a comment, relabeled, approved, completed and exported;
a Worker.Task claimed, logged to by a heartbeat, failed, claimed again and answered (its
execution read while a worker holds it, its log); a Human.Task claimed, released, reassigned
and answered; an execution suspended, resumed, cancelled, retried and rerun, and a schedule's
fires; webhook deliveries to a receiver that refuses the first one, one sent again, a secret
rotated. This script walks those paths against a `sluice serve` of its own (in-memory
database, auth off, loopback) and validates every JSON answer against the response schema the
contract gives for its operation and status (JSON Schema 2020-12, as OpenAPI 3.1 defines it).

    python3 .ci/scenarios.py BINARY [--openapi openapi.yaml]

Needs PyYAML and jsonschema_rs (the contract's schemathesis venv has both) or jsonschema. Exits 1 listing each
answer that does not match, with the JSON path of the mismatch.
"""
import argparse, http.server, json, re, subprocess, sys, threading, time, urllib.error, urllib.request

import yaml

try:  # what schemathesis 4 brings
    import jsonschema_rs

    def errors(schema, instance):
        for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(instance):
            yield list(e.instance_path), e.message
except ImportError:
    import jsonschema

    def errors(schema, instance):
        for e in jsonschema.Draft202012Validator(schema).iter_errors(instance):
            yield list(e.absolute_path), e.message


class Contract:
    def __init__(self, doc):
        self.doc = doc
        self.failures = []
        self.checked = 0

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref):
        node = self.doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def operation(self, method, path):
        """The contract's path template that `path` matches, and its operation."""
        bare = path.split("?", 1)[0]
        for template, item in self.doc["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            if re.match(pattern, bare) and method.lower() in item:
                return template, item[method.lower()]
        return None, None

    def check(self, method, path, status, body):
        template, op = self.operation(method, path)
        where = f"{method} {path} -> {status}"
        if op is None:
            self.failures.append(f"{where}: no operation in openapi.yaml")
            return
        responses = op.get("responses", {})
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if response is None:
            self.failures.append(f"{where}: status {status} is not in the contract of {method} {template}")
            return
        content = self.resolve(response).get("content", {})
        media = content.get("application/json")
        if media is None or "schema" not in media:
            return
        root = dict(self.doc)
        root.update(media["schema"])
        self.checked += 1
        for path, message in sorted(errors(root, body), key=lambda e: [str(p) for p in e[0]]):
            at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) or "(the answer)"
            self.failures.append(f"{where}: at {at}: {message[:300]}")


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook receiver on loopback: refuses the first delivery (500), takes the rest."""
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        Receiver.received.append(json.loads(body))
        self.send_response(500 if len(Receiver.received) == 1 else 200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def start(binary):
    server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", "--database", "memory:",
                               "--allow-private-webhooks", "--webhook-retry-schedule", "1s,1s"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = server.stdout.readline()
        match = re.match(r"^sluice listening on (http\S+)", line or "")
        if match:
            return server, match.group(1)
        if server.poll() is not None:
            break
    server.kill()
    sys.exit("scenarios: the server did not print its address within 30 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--openapi", default="openapi.yaml")
    args = parser.parse_args()
    with open(args.openapi) as f:
        contract = Contract(yaml.safe_load(f))
    server, base = start(args.binary)

    def call(method, path, body=None, expect=200):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base + path, data=data, method=method, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        answer = json.loads(text) if text else None
        if status != expect:
            raise SystemExit(f"scenarios: {method} {path} answered {status}, expected {expect}: {text[:300]!r}")
        contract.check(method, path, status, answer)
        return answer

    def data(answer):
        return answer["data"]

    def take(workflow, pool, account, wanted=None):
        """The next item of `pool` for `account`, waiting (at most 10 s) for one to arrive."""
        deadline = time.time() + 10
        while time.time() < deadline:
            task = data(call("POST", "/annotation/task/next", {"workflowId": workflow, "pool": pool, "account": account}))["task"]
            if task is not None and (wanted is None or task["human_task_id"] == wanted):
                return task
            time.sleep(0.02)
        raise SystemExit(f"scenarios: no task in pool {pool} for {account} within 10 s")

    def item(item_id, state):
        deadline = time.time() + 10
        while time.time() < deadline:
            found = data(call("GET", f"/annotation/item/get?itemId={item_id}"))
            if found["state"] == state:
                return found
            time.sleep(0.02)
        raise SystemExit(f"scenarios: item {item_id} never reached {state}")

    try:
        for name in ["ann", "bob", "rev"]:
            call("POST", "/accounts", {"name": name}, expect=201)
        project = data(call("POST", "/annotation/project/create", {"name": "pets", "labelConfig": {"kind": "choice", "labels": ["cat", "dog"]}}))["projectId"]
        pools = {"pools": [{"type": 0}, {"name": "Label", "type": 1, "workers": ["ann", "bob"]},
                           {"name": "Review", "type": 2, "workers": ["rev"]}, {"type": 5}]}
        workflow = data(call("POST", "/annotation/workflow/create", {"projectId": project, "workflow": pools}))["workflowId"]
        call("GET", f"/annotation/workflow/get?workflowId={workflow}")
        item_id = data(call("POST", "/annotation/item/upload", {"workflowId": workflow, "items": [{"externalId": "p-1", "data": "https://example.com/1.jpg"}]}))["itemIds"][0]

        # bob takes it and lets it go; ann takes it and labels it.
        first = take(workflow, 1, "bob")
        call("GET", "/inbox?account=bob")
        call("GET", f"/human-tasks/{first['human_task_id']}")
        call("POST", f"/human-tasks/{first['human_task_id']}/release", {"account": "bob"})
        label = take(workflow, 1, "ann", wanted=first["human_task_id"])
        call("POST", f"/human-tasks/{label['human_task_id']}/complete", {"account": "ann", "answer": {"label": "cow"}}, expect=400)
        call("POST", f"/human-tasks/{label['human_task_id']}/complete", {"account": "ann", "answer": {"label": "cat"}})
        item(item_id, "in_pool")

        # The reviewer rejects it with a comment; back to ann, who relabels; approved; completed.
        review = take(workflow, 2, "rev")
        call("POST", f"/human-tasks/{review['human_task_id']}/complete", {"account": "rev", "answer": {"approved": False, "comment": "it is a dog"}})
        again = take(workflow, 1, "ann")
        call("GET", "/inbox?account=ann")
        call("POST", f"/human-tasks/{again['human_task_id']}/complete", {"account": "ann", "answer": {"label": "dog"}})
        second = take(workflow, 2, "rev")
        call("POST", f"/human-tasks/{second['human_task_id']}/complete", {"account": "rev", "answer": {"approved": True}})
        done = item(item_id, "completed")
        holders = [h["by"] for h in done["history"][0].get("holders", [])]
        if holders != ["bob", "ann"]:
            contract.failures.append(f"scenario: the first round's holders are {holders}, expected ['bob', 'ann']")


        # A Worker.Task: claimed, a heartbeat with a log line, failed (retryable), claimed again,
        # answered; the execution read while a worker holds its task (holder, lease) and after.
        worker_flow = {"name": "work", "steps": [
            {"type": "StaticTextInput", "input": "picture.png"},
            {"id": "work", "type": "Worker.Task", "input": {"queue": "resize", "output_type": "number"},
             "retry": {"max_attempts": 2, "backoff": {"initial_seconds": 0.001}}},
            {"type": "Echo"}]}
        wf = call("POST", "/workflows", worker_flow, expect=201)["workflow_id"]
        ex = call("POST", f"/workflows/{wf}/execute", {"input": {}}, expect=202)["execution_id"]
        claimed = call("POST", "/queues/resize/claim", {"worker": "box-1", "limit": 1, "wait": 10})["tasks"][0]
        queued, token = claimed["queued_task_id"], claimed["claim_token"]
        call("POST", f"/queues/resize/tasks/{queued}/heartbeat", {"claim_token": token, "log": ["half done"], "progress": 0.5})
        call("GET", f"/workflows/{wf}/executions/{ex}")
        call("GET", "/queues")
        call("POST", f"/queues/resize/tasks/{queued}/fail", {"claim_token": token, "message": "corrupt file", "retryable": True})
        again = call("POST", "/queues/resize/claim", {"worker": "box-2", "limit": 1, "wait": 10})["tasks"][0]
        call("POST", f"/queues/resize/tasks/{again['queued_task_id']}/complete", {"claim_token": "clm_wrong", "output": 1}, expect=409)
        call("POST", f"/queues/resize/tasks/{again['queued_task_id']}/complete", {"claim_token": again["claim_token"], "output": "forty-two"}, expect=400)
        call("POST", f"/queues/resize/tasks/{again['queued_task_id']}/complete", {"claim_token": again["claim_token"], "output": 42})
        finished = call("GET", f"/workflows/{wf}/executions/{ex}?wait=10")
        if finished["status"] != "COMPLETED":
            contract.failures.append(f"scenario: the Worker.Task execution ended {finished['status']}")
        task_id = [t for t in finished["tasks"] if t["step_id"] == "work"][0]["task_id"]
        call("GET", f"/workflows/{wf}/executions/{ex}/tasks/{task_id}/logs")
        call("GET", f"/workflows/{wf}/executions/{ex}/events")

        # A Human.Task: in an inbox, claimed, released, reassigned, answered against its form.
        human_flow = {"name": "review", "steps": [
            {"type": "StaticTextInput", "input": "a draft"},
            {"id": "review", "type": "Human.Task", "input": {"title": "Approve the draft",
             "form": {"type": "object", "properties": {"approved": {"type": "boolean"}}, "required": ["approved"]},
             "assignees": ["ann", "bob"], "due_seconds": 3600}},
            {"type": "JSON.Get", "input": {"pointer": "/approved"}}]}
        wf = call("POST", "/workflows", human_flow, expect=201)["workflow_id"]
        ex = call("POST", f"/workflows/{wf}/execute", {"input": {}}, expect=202)["execution_id"]
        deadline = time.time() + 10
        while not (inbox := call("GET", "/inbox?account=ann"))["claimable"] and time.time() < deadline:
            time.sleep(0.02)
        human = inbox["claimable"][0]["human_task_id"]
        call("POST", f"/human-tasks/{human}/claim", {"account": "ann"})
        call("GET", f"/workflows/{wf}/executions/{ex}")
        call("GET", "/human-tasks?account=ann")
        call("POST", f"/human-tasks/{human}/release", {"account": "ann"})
        call("POST", f"/human-tasks/{human}/reassign", {"account": "bob"})
        call("POST", f"/human-tasks/{human}/complete", {"account": "bob", "answer": {"approved": "yes"}}, expect=400)
        call("POST", f"/human-tasks/{human}/complete", {"account": "bob", "answer": {"approved": True}})
        call("GET", f"/human-tasks/{human}")
        if call("GET", f"/workflows/{wf}/executions/{ex}?wait=10")["status"] != "COMPLETED":
            contract.failures.append("scenario: the Human.Task execution did not complete")

        # Control: suspended while a Delay waits, resumed, cancelled, retried, rerun from a task;
        # a schedule that fires every second, and its fires.
        delay_flow = {"name": "later", "steps": [{"type": "Delay", "input": {"seconds": 30}}, {"type": "Echo"}]}
        wf = call("POST", "/workflows", delay_flow, expect=201)["workflow_id"]
        ex = call("POST", f"/workflows/{wf}/execute", {"input": {"text": "hi"}}, expect=202)["execution_id"]
        call("POST", f"/workflows/{wf}/executions/{ex}/suspend", {})
        call("GET", f"/executions/{ex}")
        call("POST", f"/workflows/{wf}/executions/{ex}/resume", {})
        call("POST", f"/workflows/{wf}/executions/{ex}/cancel", {})
        call("POST", f"/workflows/{wf}/executions/{ex}/cancel", {})  # again: answered as it is
        retried = call("POST", f"/workflows/{wf}/executions/{ex}/retry", {}, expect=202)
        call("POST", f"/workflows/{wf}/executions/{retried['execution_id']}/cancel", {})
        rerun = call("POST", f"/workflows/{wf}/executions/{ex}/rerun", {"from_task": "step-2"}, expect=202)
        call("POST", f"/workflows/{wf}/executions/{rerun['execution_id']}/cancel", {})
        call("GET", f"/workflows/{wf}/executions?status=CANCELLED")
        schedule = call("POST", f"/workflows/{wf}/schedules", {"interval_seconds": 1, "input": {"text": "tick"}}, expect=201)
        deadline = time.time() + 10
        while not call("GET", f"/workflows/{wf}/schedules/{schedule['schedule_id']}/fires")["fires"] and time.time() < deadline:
            time.sleep(0.1)
        call("GET", f"/workflows/{wf}/schedules/{schedule['schedule_id']}")
        call("GET", f"/workflows/{wf}/schedules")

        # Webhooks: a subscription to a receiver on loopback that refuses the first delivery;
        # the execution's deliveries (one retried), one sent again, the secret rotated.
        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        seed = {"name": "Dummy Workflow", "steps": [{"type": "StaticTextInput", "input": "Hello, world!"},
                                                    {"type": "TextOperation.Reverse"}, {"type": "Echo"}]}
        wf = call("POST", "/workflows", seed, expect=201)["workflow_id"]
        hook = call("POST", f"/workflows/{wf}/webhooks", {"url": hook_url, "event_types": ["execution.completed", "task.completed"]}, expect=201)
        ex = call("POST", f"/workflows/{wf}/execute", {"input": {"text": "x"}, "webhook_url": hook_url}, expect=202)["execution_id"]
        deadline = time.time() + 20
        while time.time() < deadline:
            deliveries = call("GET", f"/workflows/{wf}/executions/{ex}/deliveries")
            if deliveries["deliveries"] and all(d["status"] != "PENDING" for d in deliveries["deliveries"]):
                break
            time.sleep(0.1)
        else:
            contract.failures.append("scenario: the webhook deliveries were not all sent within 20 s")
        if len(Receiver.received) < 2:
            contract.failures.append(f"scenario: the receiver got {len(Receiver.received)} deliveries")
        first = deliveries["deliveries"][0]["delivery_id"]
        call("POST", f"/workflows/{wf}/executions/{ex}/deliveries/{first}/resend", {}, expect=202)
        call("GET", f"/workflows/{wf}/webhooks/{hook['webhook_id']}")
        call("POST", f"/workflows/{wf}/webhooks/{hook['webhook_id']}/rotate-secret", {})
        call("GET", f"/workflows/{wf}/webhooks")
        call("GET", f"/workflows/{wf}/executions/{ex}/events")
        call("GET", f"/events?workflow_id={wf}")
        receiver.shutdown()

        call("GET", f"/annotation/item/list?workflowId={workflow}")
        call("GET", f"/annotation/item/list?workflowId={workflow}&state=completed")
        call("GET", f"/annotation/item/export?workflowId={workflow}")
        call("GET", f"/annotation/workflow/progress?workflowId={workflow}")
    finally:
        server.kill()
        server.wait()

    if contract.failures:
        print(f"scenarios: {len(contract.failures)} answers do not match openapi.yaml:", file=sys.stderr)
        for failure in contract.failures:
            print("  " + failure, file=sys.stderr)
        sys.exit(1)
    print(f"scenarios: {contract.checked} answers along the annotation, worker, person, control and webhook paths match openapi.yaml")


if __name__ == "__main__":
    main()
