#!/usr/bin/env python3
"""A Sluice worker with only Python's standard library.

Claims tasks of one queue (long-polling), heartbeats while it works, and answers each task with
its output or a failure. Here the work is counting the words of the task's text; put yours in
`work`.

    python3 worker.py --server http://127.0.0.1:8080 --queue words [--token slc_...] [--once]

A workflow that uses it:

    {"name": "count", "steps": [
      {"type": "StaticTextInput", "input": "three little words"},
      {"type": "Worker.Task", "input": {"queue": "words", "output_type": "number"}},
      {"type": "Echo"}]}
"""
import argparse
import json
import os
import threading
import urllib.error
import urllib.request


def call(server, token, path, body):
    """POSTs `body` as JSON; answers (status, parsed JSON)."""
    request = urllib.request.Request(server + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=90) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def work(task):
    """The task's work: the number of words of its text."""
    return len(task["input"]["text"].split())


def heartbeats(server, token, task, stop):
    """Renews the lease every third of it until `stop` is set; sets it if the task is gone."""
    path = "/queues/%s/tasks/%s/heartbeat" % (task["queue"], task["queued_task_id"])
    while not stop.wait(task["lease_seconds"] / 3):
        status, _ = call(server, token, path, {"claim_token": task["claim_token"]})
        if status == 409:  # cancelled, or the lease was lost: stop working on it
            stop.set()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="http://127.0.0.1:8080")
    parser.add_argument("--queue", required=True)
    parser.add_argument("--token", default=os.environ.get("SLUICE_TOKEN"))
    parser.add_argument("--once", action="store_true", help="stop after the first task")
    args = parser.parse_args()
    while True:
        status, answer = call(args.server, args.token, "/queues/%s/claim" % args.queue,
                              {"worker": "python-example", "limit": 1, "wait": 30})
        if status != 200:
            raise SystemExit("claim failed: %s %s" % (status, answer))
        for task in answer["tasks"]:
            stop = threading.Event()
            threading.Thread(target=heartbeats, args=(args.server, args.token, task, stop), daemon=True).start()
            base = "/queues/%s/tasks/%s/" % (task["queue"], task["queued_task_id"])
            try:
                body = {"claim_token": task["claim_token"], "output": work(task)}
                status, reply = call(args.server, args.token, base + "complete", body)
            except Exception as error:  # the work failed: say so, retryable
                body = {"claim_token": task["claim_token"], "message": str(error), "retryable": True}
                status, reply = call(args.server, args.token, base + "fail", body)
            stop.set()
            print("task %s: %s %s" % (task["queued_task_id"], status, reply.get("status", reply.get("detail"))), flush=True)
            if args.once:
                return


if __name__ == "__main__":
    main()
