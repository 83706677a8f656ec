"""Smoke test of a deployed workbench: log in with a token, create, run and delete a demo agent.

    python deploy/scripts/smoke_test.py --url https://workbench.example.com --token "$TOKEN"

`--token` (or the WORKBENCH_SMOKE_TOKEN variable) is a hub API token of a dedicated user
(`/hub/token`), with the scope `access:services!service=workbench`. The agent runs on the
offline demo model, so the test needs no provider key and costs nothing. Everything it creates
lives in one project named `smoke-<time>`, deleted at the end whatever happened. Exit status 0
means the hub's proxy, the hub's token check, the workbench, its database, the execution engine
and the execution record all work; 1 names the first step that did not.

Standard library only: the deploy workflow runs it on a bare runner.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

API_PATH = "/services/workbench/api/"
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
AGENT = {
    "name": "smoke",
    "description": "Deploy smoke test: one step on the offline demo model.",
    "configuration": {
        "defaults": {"model": "demo:writer"},
        "inputs": {"topic": {"type": "string", "description": "what to outline"}},
    },
    "substeps": [{"id": "outline", "prompt": "Write a two-point outline about: {{ topic }}"}],
}


class SmokeFailure(Exception):
    """A step of the smoke test did not do what it should; the message says which."""


class Api:
    """The workbench's REST API with a hub token."""

    def __init__(self, url: str, token: str, timeout_s: float) -> None:
        self.base = url.rstrip("/") + API_PATH
        self.token = token
        self.timeout_s = timeout_s

    def call(self, method: str, path: str, body: Any = None, *, expect: int) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        except (urllib.error.URLError, TimeoutError) as e:
            raise SmokeFailure(f"{method} {path}: {getattr(e, 'reason', e)}") from e
        if status != expect:
            detail = payload.decode(errors="replace")[:300]
            raise SmokeFailure(f"{method} {path} answered {status}, expected {expect}: {detail}")
        return json.loads(payload) if payload else None


def step(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def run(api: Api, *, execution_timeout_s: float) -> None:
    me = api.call("GET", "me", expect=200)
    step(f"authenticated as {me['name']}")
    project = api.call("POST", "projects", {"name": f"smoke-{int(time.time())}"}, expect=201)
    execution: dict[str, Any] | None = None
    try:
        agent = api.call("POST", f"projects/{project['id']}/agents", AGENT, expect=201)
        step(f"created agent {agent['id']} in project {project['name']}")
        execution = api.call(
            "POST", f"agents/{agent['id']}/execute", {"inputs": {"topic": "smoke"}}, expect=202
        )
        step(f"execution {execution['id']} submitted")
        state = wait_until_finished(api, execution["id"], execution_timeout_s)
        execution = None  # finished: nothing left to cancel
        if state["status"] != "COMPLETED":
            raise SmokeFailure(f"execution ended {state['status']}: {state.get('error')}")
        step("execution COMPLETED")
        api.call("DELETE", f"agents/{agent['id']}", expect=204)
        step("agent deleted")
    except BaseException:
        clean_up(api, project, execution, after_failure=True)
        raise
    clean_up(api, project, execution, after_failure=False)


def wait_until_finished(api: Api, execution_id: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        state = api.call("GET", f"executions/{execution_id}/status", expect=200)
        if state["status"] in TERMINAL:
            return state
        if time.monotonic() > deadline:
            raise SmokeFailure(f"execution still {state['status']} after {timeout_s:.0f}s")
        time.sleep(1)


def clean_up(
    api: Api, project: dict[str, Any], execution: dict[str, Any] | None, *, after_failure: bool
) -> None:
    """Delete the project (and with it the agent and executions), cancelling `execution`
    first if it may still be running. After a failure, a cleanup problem is only reported, so
    the first failure stays the one the test ends with; otherwise it fails the test (deleting
    is part of what it checks)."""
    try:
        if execution is not None:
            state = api.call("GET", f"executions/{execution['id']}/status", expect=200)
            if state["status"] not in TERMINAL:
                api.call("POST", f"executions/{execution['id']}/cancel", expect=200)
        api.call("DELETE", f"projects/{project['id']}", expect=204)
        step("project deleted")
    except SmokeFailure as e:
        if not after_failure:
            raise
        print(f"smoke: could not delete project {project['name']}: {e}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", required=True, help="the workbench's public origin")
    parser.add_argument(
        "--token",
        default=os.environ.get("WORKBENCH_SMOKE_TOKEN", ""),
        help="hub API token (default: $WORKBENCH_SMOKE_TOKEN)",
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for the execution")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token or WORKBENCH_SMOKE_TOKEN is required")
    try:
        run(Api(args.url, args.token, timeout_s=30.0), execution_timeout_s=args.timeout)
    except SmokeFailure as e:
        print(f"smoke: FAILED: {e}", file=sys.stderr)
        return 1
    step("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
