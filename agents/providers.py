"""The provider registry: a LangChain chat model per call, built from the caller's credentials only.

`chat_model(ref, credential, settings)` builds `ChatOpenAI` (openai, and openai-compatible with a
base URL), `ChatAnthropic`, `ChatGoogleGenerativeAI` (the Gemini API, keyed), or the offline
`DemoChatModel`. Every client is built with the caller's key and an explicit endpoint, and with
the SDK's own retries off (`max_retries=0`; 1 for Google, whose SDK reads 0 as "default"): the
engine retries, visibly (`agents.calls`).

Nothing comes from the process environment. The SDKs read a surprising amount of it — API keys,
base URLs, organisation and project ids, extra headers, bearer tokens — and a user may point a
base URL at any server, so anything an SDK picked up from the server's environment could leave
for a stranger's host. Three defences:

- keys and endpoints are always passed explicitly; a provider without a key is an error, never
  a fallback to `OPENAI_API_KEY` and friends;
- every request goes through an HTTP client the engine owns (`HttpClients`), whose request hook
  (`_guard_request`) checks the request goes to the credential's origin, puts the caller's key in
  the credential header, and drops every header outside a short allow-list — so an
  `OPENAI_ORG_ID`, `OPENAI_CUSTOM_HEADERS` or `ANTHROPIC_AUTH_TOKEN` in the environment never
  leaves the process;
- calls run with LangSmith tracing switched off (`agents.calls`), so an environment variable
  cannot ship users' prompts to a tracing service.

The engine also owns the HTTP clients for a second reason: LangChain caches one client per
process, bound to the first event loop that used it, which breaks as soon as a second engine (a
second loop) runs in the same process. `HttpClients` keeps one pooled client per event loop,
origin and SDK, closed with the engine.
"""

from __future__ import annotations

import contextvars
import functools
import ssl
import weakref
from asyncio import AbstractEventLoop, get_running_loop
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import anthropic
import httpx
import openai
from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_openai import ChatOpenAI
from pydantic import Field, SecretStr

from agents.credentials import ProviderCredential
from agents.demo import DemoChatModel
from agents.modelref import ModelRef
from agents.plan import CallSettings

DEFAULT_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "google": "https://generativelanguage.googleapis.com",
}
# A self-hosted OpenAI-compatible server (Ollama, vLLM) usually wants no key; the client needs one.
NO_KEY_PLACEHOLDER = "not-needed"

_ALLOWED_HEADERS = frozenset(
    {
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "content-type",
        "content-length",
        "user-agent",
        "authorization",
        "x-api-key",
        "x-goog-api-key",
        "x-goog-api-client",
        "anthropic-version",
        "anthropic-beta",
    }
)
_ALLOWED_PREFIXES = ("x-stainless-",)
_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-goog-api-key")


class MissingCredential(Exception):
    """The caller gave no key (or no endpoint) for a provider a step needs."""


@dataclass(frozen=True)
class Endpoint:
    """Where a call goes and with which key (resolved from the caller's credential)."""

    provider: str
    base_url: str
    api_key: str

    @property
    def origin(self) -> str:
        return _origin(self.base_url)


def endpoint_for(ref: ModelRef, credential: ProviderCredential | None) -> Endpoint:
    """The endpoint and key for `ref`, or `MissingCredential` saying what to add."""
    provider = ref.provider
    key = credential.api_key.get_secret_value() if credential and credential.api_key else ""
    base_url = (credential.base_url if credential else None) or DEFAULT_BASE_URLS.get(provider)
    if provider == "openai-compatible":
        if not base_url:
            raise MissingCredential(
                "provider 'openai-compatible' needs a base URL, e.g. http://localhost:11434/v1 "
                "for Ollama: store it with the key for 'openai-compatible'"
            )
        key = key or NO_KEY_PLACEHOLDER
    elif not key:
        raise MissingCredential(
            f"no API key for provider {provider!r}: store one under API keys "
            f"(in a notebook, pass it in Credentials({provider}=...))"
        )
    assert base_url is not None
    return Endpoint(provider=provider, base_url=base_url.rstrip("/"), api_key=key)


# ---- the HTTP clients the engine owns ----------------------------------------------------------

_current_endpoint: contextvars.ContextVar[Endpoint | None] = contextvars.ContextVar(
    "agents_current_endpoint", default=None
)


class EndpointMismatch(Exception):
    """A request went somewhere other than the credential's endpoint (never sent)."""


def _origin(url: str) -> str:
    parts = urlsplit(str(url))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


async def _guard_request(request: Any) -> None:
    """httpx request hook: only the caller's key, only to the caller's endpoint."""
    endpoint = _current_endpoint.get()
    if endpoint is None:
        raise EndpointMismatch("a provider request was made outside an engine call")
    if _origin(str(request.url)) != endpoint.origin:
        raise EndpointMismatch(
            f"a request for {endpoint.provider} went to {_origin(str(request.url))} "
            f"instead of {endpoint.origin}"
        )
    headers = request.headers
    for name in list(headers.keys()):
        lowered = name.lower()
        if lowered not in _ALLOWED_HEADERS and not lowered.startswith(_ALLOWED_PREFIXES):
            del headers[name]
    present = [h for h in _CREDENTIAL_HEADERS if h in headers]
    for name in present:
        if name == "authorization" and endpoint.provider == "google":
            del headers[name]  # keyed Gemini calls carry x-goog-api-key; never an ambient token
        elif name == "authorization":
            headers[name] = f"Bearer {endpoint.api_key}"
        else:
            headers[name] = endpoint.api_key


class HttpClients:
    """Per event loop: one pooled HTTP client per (SDK, origin), guarded by `_guard_request`, and
    the SDK clients built on it, one per (SDK, endpoint, key, timeout), most recent kept."""

    MAX_SDK_CLIENTS = 256

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[AbstractEventLoop, _LoopClients]
        self._by_loop = weakref.WeakKeyDictionary()

    def _clients(self) -> _LoopClients:
        loop = get_running_loop()
        clients = self._by_loop.get(loop)
        if clients is None:
            clients = self._by_loop[loop] = _LoopClients()
        return clients

    def get(self, sdk: str, origin: str) -> Any:
        if sdk == "openai-sync":
            return None
        http = self._clients().http
        client = http.get((sdk, origin))
        if client is None or client.is_closed:
            client = http[(sdk, origin)] = self._new(sdk)
        return client

    def sdk_client(self, sdk: str, endpoint: Endpoint, timeout: float, build: Any) -> Any:
        """The SDK client for this endpoint and key, built by `build(http_client)` when new.

        Reusing it matters: a new SDK client does lazy set-up on its first request (the OpenAI
        SDK detects the platform in a worker thread), which would otherwise cost every call."""
        sdks = self._clients().sdks
        key = (sdk, endpoint.base_url, endpoint.api_key, timeout)
        client = sdks.get(key)
        if client is None:
            client = sdks[key] = build(self.get(sdk, endpoint.origin))
            if len(sdks) > self.MAX_SDK_CLIENTS:
                sdks.popitem(last=False)  # shares the pooled HTTP client: never closed here
        else:
            sdks.move_to_end(key)
        return client

    @staticmethod
    def _new(sdk: str) -> Any:
        hooks = {"request": [_guard_request]}
        if sdk == "openai":
            return openai.DefaultAsyncHttpxClient(event_hooks=hooks, trust_env=False)
        if sdk == "anthropic":
            return anthropic.DefaultAsyncHttpxClient(event_hooks=hooks, trust_env=False)
        return httpx.AsyncClient(event_hooks=hooks, trust_env=False, follow_redirects=False)

    async def aclose(self) -> None:
        """Close the clients of the running loop."""
        clients = self._by_loop.pop(get_running_loop(), None)
        if clients is not None:
            clients.sdks.clear()
            for client in clients.http.values():
                await client.aclose()


@dataclass
class _LoopClients:
    http: dict[tuple[str, str], Any] = field(default_factory=dict)
    sdks: OrderedDict[tuple[str, str, str, float], Any] = field(default_factory=OrderedDict)


HTTP_CLIENTS = HttpClients()


def bind_endpoint(endpoint: Endpoint) -> contextvars.Token[Endpoint | None]:
    """Make `endpoint` the one requests in this task may use (see `_guard_request`)."""
    return _current_endpoint.set(endpoint)


def unbind_endpoint(token: contextvars.Token[Endpoint | None]) -> None:
    _current_endpoint.reset(token)


# ---- chat models -------------------------------------------------------------------------------


def _refuse(request: Any) -> None:
    raise EndpointMismatch("the engine makes no blocking provider calls")


class _PooledChatAnthropic(ChatAnthropic):
    """ChatAnthropic on the engine's SDK client (it has no parameter for one)."""

    engine_client: Any = Field(default=None, exclude=True)

    @cached_property
    def _async_client(self) -> anthropic.AsyncClient:
        return self.engine_client


def chat_model(
    ref: ModelRef,
    endpoint: Endpoint | None,
    settings: CallSettings,
    clients: HttpClients = HTTP_CLIENTS,
) -> BaseChatModel:
    """A chat model for one call. Call it inside the event loop that will use it."""
    if ref.provider == "demo":
        return DemoChatModel(model_name=ref.name)
    assert endpoint is not None
    if ref.provider in ("openai", "openai-compatible"):
        root = clients.sdk_client(
            "openai",
            endpoint,
            settings.timeout,
            lambda http: openai.AsyncOpenAI(
                api_key=endpoint.api_key,
                base_url=endpoint.base_url,
                max_retries=0,
                timeout=settings.timeout,
                http_client=http,
            ),
        )
        # LangChain also wants a synchronous client; the engine never makes a blocking call,
        # so it gets one that refuses to send anything.
        sync = clients.sdk_client(
            "openai-sync",
            endpoint,
            settings.timeout,
            lambda _: openai.OpenAI(
                api_key=endpoint.api_key,
                base_url=endpoint.base_url,
                max_retries=0,
                http_client=openai.DefaultHttpxClient(event_hooks={"request": [_refuse]}),
            ),
        )
        return ChatOpenAI(
            model=ref.name,
            api_key=SecretStr(endpoint.api_key),
            base_url=endpoint.base_url,
            openai_proxy=None,
            max_retries=0,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            top_p=settings.top_p,
            stop=list(settings.stop) if settings.stop else None,
            seed=settings.seed,
            stream_usage=True,
            use_responses_api=False,
            root_async_client=root,
            async_client=root.chat.completions,
            root_client=sync,
            client=sync.chat.completions,
        )
    if ref.provider == "anthropic":
        extra: dict[str, Any] = {}
        if settings.max_tokens is not None:
            extra["max_tokens"] = settings.max_tokens
        client = clients.sdk_client(
            "anthropic",
            endpoint,
            settings.timeout,
            lambda http: anthropic.AsyncAnthropic(
                api_key=endpoint.api_key,
                base_url=endpoint.base_url,
                max_retries=0,
                timeout=settings.timeout,
                http_client=http,
            ),
        )
        return _PooledChatAnthropic(
            model=ref.name,
            api_key=SecretStr(endpoint.api_key),
            base_url=endpoint.base_url,
            default_request_timeout=settings.timeout,
            max_retries=0,
            temperature=settings.temperature,
            top_p=settings.top_p,
            stop_sequences=list(settings.stop) if settings.stop else None,
            stream_usage=True,
            engine_client=client,
            **extra,
        )
    if ref.provider == "google":
        return _google_model(ref, endpoint, settings, clients)
    raise ValueError(f"provider {ref.provider!r} has no chat model")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # The Google SDK builds several TLS contexts per client unless given one (~25 ms each).
    return ssl.create_default_context()


def _google_model(
    ref: ModelRef, endpoint: Endpoint, settings: CallSettings, clients: HttpClients
) -> BaseChatModel:
    from google.genai import Client
    from google.genai.types import HttpOptions

    tls = {"verify": _tls_context(), "ssl": _tls_context()}
    model = ChatGoogleGenerativeAI(
        model=ref.name,
        api_key=SecretStr(endpoint.api_key),
        base_url=endpoint.base_url,
        vertexai=False,
        temperature=settings.temperature,
        max_output_tokens=settings.max_tokens,
        top_p=settings.top_p,
        stop=list(settings.stop) if settings.stop else None,
        timeout=settings.timeout,
        max_retries=1,  # the Google SDK reads 0 as "its default"; 1 is a single attempt
        client_args=tls,
    )
    # The model built its own genai client (explicit key, but reading GOOGLE_GENAI_* from the
    # environment, on a client of its own); replace it with one on the engine's HTTP client.
    model.client = clients.sdk_client(
        "google",
        endpoint,
        settings.timeout,
        lambda http: Client(
            api_key=endpoint.api_key,
            vertexai=False,
            http_options=HttpOptions(
                base_url=endpoint.base_url,
                httpx_async_client=http,
                client_args=tls,
                async_client_args=tls,
            ),
        ),
    )
    return model
