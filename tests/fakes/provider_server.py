"""A local HTTP server that speaks the providers' wire protocols, so the real SDKs can be tested.

It answers OpenAI chat completions (`{url}/v1/chat/completions`, also the OpenAI-compatible
protocol), Anthropic messages (`{url}/v1/messages`) and Gemini generateContent /
streamGenerateContent (`{url}/v1beta/models/<model>:…`), whole or streamed as SSE, usage fields
included, and each provider's list of models (`GET {url}/v1/models`, `{url}/v1beta/models`: what a
key check asks). Point a client at it by base URL: `FakeProvider.openai_base_url` and friends, or
`FakeProvider.credentials()` for the engine.

What it does for each request is programmed over a small control API (`/_fake/...`), through
`FakeProvider.program(...)`: latency, slow streams, 429 with Retry-After, 5xx, 401, hung
connections, malformed bodies, dropped streams (see `tests.fakes.behaviour`); and
`FakeProvider.reject_key(key)` makes a key answer 401 everywhere, as a revoked key does. It
counts requests in flight and their high-water mark per model.

Three ways to run it, all driven by the same `FakeProvider` handle:

- in-process, on its own thread and event loop: `with FakeProviderServer() as fake: ...`
  (the `fake_provider` fixture);
- as a process: `python -m tests.fakes.provider_server --port 0` prints its URL on the first line
  of stdout and serves until SIGTERM / SIGINT (for a workbench started by JupyterHub in
  end-to-end tests, and for benchmarks that must not share a GIL with the engine);
- `FakeProviderProcess()`, a context manager that starts that process and stops it.

It binds 127.0.0.1 only. Every request must carry an API key in the protocol's header (or 401).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import threading
from dataclasses import asdict
from typing import Any

import httpx
from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from tests.fakes.behaviour import (
    Behaviour,
    Observed,
    Rule,
    ServerState,
    count_tokens,
    echo_text,
    split_tokens,
)
from tests.fakes.protocols import (
    AnthropicMessages,
    GeminiGenerateContent,
    OpenAIChat,
    Usage,
)

HANG_LIMIT_S = 600.0  # a hung request gives up by itself eventually, so nothing leaks forever
SECRET_HEADERS = ("authorization", "x-api-key", "x-goog-api-key")


# ---- handlers ----------------------------------------------------------------------------------


class _ProviderHandler(RequestHandler):
    protocol: Any
    auth_header: str

    def initialize(self, state: ServerState) -> None:
        self.state = state
        self.closed = asyncio.Event()

    def on_connection_close(self) -> None:
        self.closed.set()

    def check_xsrf_cookie(self) -> None:  # an API, not a form
        pass

    def api_key(self) -> str | None:
        """The key the client sent, in whichever header its SDK version uses."""
        headers = self.request.headers
        bearer = headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return (
            (bearer if self.auth_header == "Authorization" else headers.get(self.auth_header))
            or bearer
            or headers.get("x-api-key")
            or headers.get("x-goog-api-key")
            or self.get_query_argument("key", None)
        )

    def streaming(self, body: dict[str, Any]) -> bool:
        return bool(body.get("stream"))

    async def post(self, path_model: str | None = None) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError:
            self.send_error_body(400, "request body is not JSON")
            return
        parsed = self.protocol.parse(body, path_model)
        stream = self.streaming(body)
        observed = Observed(
            protocol=self.protocol.name,
            model=parsed.model,
            path=self.request.path,
            headers=dict(self.request.headers),
            body=body,
            stream=stream,
            prompt=parsed.prompt,
        )
        self.state.enter(observed)
        try:
            await self.answer(parsed, stream, observed)
        finally:
            self.state.leave(observed)

    async def answer(self, parsed: Any, stream: bool, observed: Observed) -> None:
        if not self.api_key():
            observed.status = 401
            self.send_error_body(401, "no API key was sent")
            return
        if self.api_key() in self.state.rejected_keys:
            observed.status = 401
            self.send_error_body(401, "the API key is not valid")
            return
        behaviour = self.state.behaviour_for(parsed.model, parsed.prompt)
        if behaviour.latency and await self.wait(behaviour.latency):
            return
        if behaviour.hang:
            await self.wait(HANG_LIMIT_S)
            return
        observed.status = behaviour.status
        if behaviour.status != 200:
            if behaviour.retry_after is not None:
                self.set_header("Retry-After", f"{behaviour.retry_after:g}")
            message = behaviour.error_message or f"fake provider error {behaviour.status}"
            self.send_error_body(behaviour.status, message)
            return
        text = (
            behaviour.text if behaviour.text is not None else echo_text(parsed.model, parsed.prompt)
        )
        usage = None if behaviour.omit_usage else _usage(behaviour, parsed.prompt, text)
        if stream:
            await self.stream(parsed, text, usage, behaviour)
        elif behaviour.malformed:
            self.set_header("Content-Type", "application/json")
            self.finish(self.protocol.malformed_body)
        else:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(self.protocol.complete(parsed, text, usage)))

    async def stream(
        self, parsed: Any, text: str, usage: Usage | None, behaviour: Behaviour
    ) -> None:
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        sent_chunks = 0
        try:
            for frame, carries_text in self.protocol.stream(parsed, split_tokens(text), usage):
                if carries_text:
                    if behaviour.malformed:
                        frame = self.protocol.malformed_chunk
                    if behaviour.disconnect_after_chunks is not None and (
                        sent_chunks >= behaviour.disconnect_after_chunks
                    ):
                        self.request.connection.stream.close()
                        return
                    if (
                        sent_chunks
                        and behaviour.token_delay
                        and await self.wait(behaviour.token_delay)
                    ):
                        return
                    sent_chunks += 1
                self.write(frame)
                await self.flush()
            self.finish()
        except StreamClosedError:
            return

    async def wait(self, seconds: float) -> bool:
        """Sleep; True if the client went away meanwhile."""
        try:
            await asyncio.wait_for(self.closed.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    def send_error_body(self, status: int, message: str) -> None:
        self.set_status(status if status < 600 else 500)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.protocol.error(status, message)))


class OpenAIHandler(_ProviderHandler):
    protocol = OpenAIChat()
    auth_header = "Authorization"


class AnthropicHandler(_ProviderHandler):
    protocol = AnthropicMessages()
    auth_header = "x-api-key"


class GeminiHandler(_ProviderHandler):
    protocol = GeminiGenerateContent()
    auth_header = "x-goog-api-key"

    def streaming(self, body: dict[str, Any]) -> bool:
        return self.request.path.endswith(":streamGenerateContent")


LISTED_MODELS = {
    "openai": ["gpt-4o-mini", "gpt-fake"],
    "anthropic": ["claude-sonnet-4", "claude-fake"],
    "google": ["gemini-2.5-flash", "gemini-fake"],
}


class ModelsHandler(_ProviderHandler):
    """GET the list of models: the call a key check makes (no tokens spent).

    `/v1/models` is OpenAI's and Anthropic's path alike: a request carrying `x-api-key` or
    `anthropic-version` is answered in Anthropic's shape, any other in OpenAI's.
    `/v1beta/models` (and `/v1/models?key=`) is Gemini's.
    """

    SUPPORTED_METHODS = ("GET",)

    def get(self, version: str) -> None:  # type: ignore[override]
        headers = self.request.headers
        if version != "v1" or "x-goog-api-key" in headers:
            self.protocol, self.auth_header = GeminiGenerateContent(), "x-goog-api-key"
        elif "x-api-key" in headers or "anthropic-version" in headers:
            self.protocol, self.auth_header = AnthropicMessages(), "x-api-key"
        else:
            self.protocol, self.auth_header = OpenAIChat(), "Authorization"
        key = self.api_key()
        status = 401 if not key or key in self.state.rejected_keys else 200
        self.state.requests.append(
            Observed(
                protocol=self.protocol.name,
                model="",
                path=self.request.path,
                headers=dict(headers),
                body=None,
                stream=False,
                prompt="",
                status=status,
            )
        )
        if status != 200:
            self.send_error_body(status, "the API key is not valid" if key else "no API key")
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.protocol.models(LISTED_MODELS[self.protocol.name])))


class _ControlHandler(RequestHandler):
    def initialize(self, state: ServerState) -> None:
        self.state = state

    def check_xsrf_cookie(self) -> None:
        pass

    def reply(self, data: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))


class RulesHandler(_ControlHandler):
    def post(self) -> None:
        data = json.loads(self.request.body)
        try:
            rule = Rule(
                model=str(data.get("model", "*")),
                responses=[Behaviour.from_dict(b) for b in data.get("responses", [])],
                then=Behaviour.from_dict(data["then"]) if data.get("then") else None,
                prompt_contains=data.get("prompt_contains"),
            )
        except (TypeError, ValueError) as e:
            self.set_status(400)
            self.reply({"error": str(e)})
            return
        self.state.add_rule(rule)
        self.reply({"rules": len(self.state.rules)})


class KeysHandler(_ControlHandler):
    def post(self) -> None:
        data = json.loads(self.request.body or b"{}")
        rejected = data.get("reject", [])
        if not isinstance(rejected, list) or not all(isinstance(k, str) for k in rejected):
            self.set_status(400)
            self.reply({"error": "reject: a list of API keys"})
            return
        self.state.rejected_keys.update(rejected)
        self.reply({"rejected": len(self.state.rejected_keys)})


class ResetHandler(_ControlHandler):
    def post(self) -> None:
        self.state.reset()
        self.reply({"reset": True})


class StatsHandler(_ControlHandler):
    def get(self) -> None:
        self.reply(self.state.stats())


class RequestsHandler(_ControlHandler):
    def get(self) -> None:
        model = self.get_query_argument("model", None)
        found = [asdict(r) for r in self.state.requests if model is None or r.model == model]
        self.reply(found)


class HealthHandler(_ControlHandler):
    def get(self) -> None:
        self.reply({"ok": True})


class StrayHandler(_ControlHandler):
    """Anything else is recorded (protocol "stray") and answered 404: tests look for leaks."""

    def prepare(self) -> None:
        try:
            body: Any = json.loads(self.request.body or b"null")
        except json.JSONDecodeError:
            body = self.request.body.decode("utf-8", "replace")
        self.state.requests.append(
            Observed(
                protocol="stray",
                model="",
                path=self.request.path,
                headers=dict(self.request.headers),
                body=body,
                stream=False,
                prompt="",
                status=404,
            )
        )
        self.set_status(404)
        self.reply({"error": f"the fake provider does not serve {self.request.path}"})


def make_app(state: ServerState) -> Application:
    args = {"state": state}
    gemini = r"/(?:v1beta|v1|v1alpha)/models/([^/:]+)"
    return Application(
        [
            (r"/v1/chat/completions", OpenAIHandler, args),
            (r"/v1/messages", AnthropicHandler, args),
            (gemini + r":generateContent", GeminiHandler, args),
            (gemini + r":streamGenerateContent", GeminiHandler, args),
            (r"/(v1beta|v1)/models", ModelsHandler, args),
            (r"/_fake/rules", RulesHandler, args),
            (r"/_fake/keys", KeysHandler, args),
            (r"/_fake/reset", ResetHandler, args),
            (r"/_fake/stats", StatsHandler, args),
            (r"/_fake/requests", RequestsHandler, args),
            (r"/_fake/health", HealthHandler, args),
            (r"/.*", StrayHandler, args),
        ]
    )


def _usage(behaviour: Behaviour, prompt: str, text: str) -> Usage:
    return Usage(
        input_tokens=behaviour.input_tokens
        if behaviour.input_tokens is not None
        else count_tokens(prompt),
        output_tokens=behaviour.output_tokens
        if behaviour.output_tokens is not None
        else len(split_tokens(text)),
        reasoning_tokens=behaviour.reasoning_tokens,
        cached_tokens=behaviour.cached_tokens,
    )


# ---- the handle tests use ----------------------------------------------------------------------


class FakeProvider:
    """Talks to a running fake server (in-process or not) over its control API."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=10, trust_env=False)

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def google_base_url(self) -> str:
        return self.url

    def base_url(self, provider: str) -> str:
        return self.openai_base_url if provider in ("openai", "openai-compatible") else self.url

    def credentials(self, api_key: str = "fake-key", providers: tuple[str, ...] | None = None):
        """Engine credentials pointing every provider at this server."""
        from agents.credentials import Credentials, ProviderCredential

        names = providers or ("openai", "anthropic", "google", "openai-compatible")
        return Credentials(
            {
                name: ProviderCredential(api_key=api_key, base_url=self.base_url(name))
                for name in names
            }
        )

    def program(
        self,
        model: str,
        *responses: Behaviour | dict[str, Any],
        then: Behaviour | dict[str, Any] | None = None,
        prompt_contains: str | None = None,
    ) -> None:
        """Requests for `model` (a glob) get `responses` in turn, then `then` for good (or, without
        `then`, whatever older rules or the default say)."""

        def as_dict(b: Behaviour | dict[str, Any]) -> dict[str, Any]:
            return b.to_dict() if isinstance(b, Behaviour) else dict(b)

        payload = {
            "model": model,
            "responses": [as_dict(b) for b in responses],
            "then": as_dict(then) if then is not None else None,
            "prompt_contains": prompt_contains,
        }
        self._http.post("/_fake/rules", json=payload).raise_for_status()

    def reject_key(self, *api_keys: str) -> None:
        """Every later request with one of these keys is refused (401), as a revoked key is:
        model calls and model listings alike, until `reset()`."""
        self._http.post("/_fake/keys", json={"reject": list(api_keys)}).raise_for_status()

    def reset(self) -> None:
        self._http.post("/_fake/reset").raise_for_status()

    def stats(self) -> dict[str, Any]:
        return self._http.get("/_fake/stats").raise_for_status().json()

    def requests(self, model: str | None = None) -> list[dict[str, Any]]:
        params = {"model": model} if model else None
        return self._http.get("/_fake/requests", params=params).raise_for_status().json()

    def close(self) -> None:
        self._http.close()


class FakeProviderServer:
    """The server on its own thread and event loop in this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.state = ServerState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: HTTPServer | None = None
        self.handle: FakeProvider | None = None

    def start(self) -> FakeProvider:
        ready = threading.Event()
        sockets = bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._server = HTTPServer(make_app(self.state))
            self._server.add_sockets(sockets)
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-provider-server", daemon=True)
        self._thread.start()
        ready.wait()
        self.handle = FakeProvider(f"http://{self.host}:{self.port}")
        return self.handle

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            assert self._server is not None
            self._server.stop()
            await self._server.close_all_connections()
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        self._thread.join(timeout=10)
        if self.handle is not None:
            self.handle.close()
        self._loop = None

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FakeProviderProcess:
    """The server as a child process (`python -m tests.fakes.provider_server`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.args = [sys.executable, "-m", "tests.fakes.provider_server", "--host", host]
        self.args += ["--port", str(port)]
        self.process: subprocess.Popen[str] | None = None
        self.handle: FakeProvider | None = None

    def __enter__(self) -> FakeProvider:
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        url = self.process.stdout.readline().strip()
        if not url.startswith("http://"):
            self.process.kill()
            raise RuntimeError(f"the fake provider server did not start (printed {url!r})")
        self.handle = FakeProvider(url)
        return self.handle

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()


# ---- as a process ------------------------------------------------------------------------------


async def serve(host: str, port: int) -> None:
    sockets = bind_sockets(port, host)
    server = HTTPServer(make_app(ServerState()))
    server.add_sockets(sockets)
    bound = sockets[0].getsockname()[1]
    print(f"http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()
    await server.close_all_connections()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake LLM provider server for tests.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
