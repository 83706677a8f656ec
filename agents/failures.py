"""Why a model call failed, whether to try again, and how long the provider asked us to wait.

`classify(exc)` reads the exceptions of the three SDKs (and of LangChain's wrappers around them,
by walking the `__cause__` chain), of httpx, and our own timeout, into a `CallFailure`:

| kind            | when                                         | retried |
|-----------------|----------------------------------------------|---------|
| `rate_limited`  | HTTP 429                                     | yes     |
| `provider_error`| HTTP 5xx / 529, or a body that cannot be read| yes     |
| `timeout`       | no answer within the step's timeout          | yes     |
| `connection`    | refused, reset, dropped mid-stream           | yes     |
| `auth`          | HTTP 401 / 403, or no key given              | no      |
| `bad_request`   | other 4xx (unknown model, bad parameter)     | no      |
| `internal`      | anything else (a bug: reported, not retried) | no      |

`Retry-After` is read from the response headers (seconds or an HTTP date, and `retry-after-ms`)
or from Gemini's `RetryInfo.retryDelay`. Messages are short, never include a credential (the
caller scrubs them too, as a last line of defence) and say what to do.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from agents.providers import EndpointMismatch, MissingCredential

RETRYABLE = frozenset({"rate_limited", "provider_error", "timeout", "connection"})
_MAX_DETAIL = 240


@dataclass(frozen=True)
class CallFailure:
    kind: str
    message: str  # what went wrong, without the advice (the caller adds context)
    status: int | None = None
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


class CallTimeout(Exception):
    """Our own per-call deadline passed."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    return None


def _headers_of(exc: BaseException) -> dict[str, str]:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return {}
    try:
        return {str(k).lower(): str(v) for k, v in headers.items()}
    except Exception:
        return {}


def _retry_after(exc: BaseException) -> float | None:
    headers = _headers_of(exc)
    if "retry-after-ms" in headers:
        try:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    details = getattr(exc, "details", None)  # Gemini: error.details[].retryDelay = "7s"
    text = json.dumps(details) if details is not None else ""
    match = re.search(r'"retryDelay":\s*"(\d+(?:\.\d+)?)s"', text)
    return float(match.group(1)) if match else None


def _detail(exc: BaseException) -> str:
    """The provider's own message, when it gave one."""
    message = getattr(exc, "message", None)
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
    text = str(message if message else exc)
    text = " ".join(text.split())
    return text[:_MAX_DETAIL] + ("…" if len(text) > _MAX_DETAIL else "")


def _is_timeout(exc: BaseException) -> bool:
    name = type(exc).__name__
    return isinstance(exc, CallTimeout | TimeoutError | httpx.TimeoutException) or name in (
        "APITimeoutError",
        "TimeoutException",
        "ReadTimeout",
        "ConnectTimeout",
        "ServerTimeoutError",
    )


def _is_connection(exc: BaseException) -> bool:
    name = type(exc).__name__
    return isinstance(exc, httpx.TransportError | ConnectionError) or name in (
        "APIConnectionError",
        "RemoteProtocolError",
        "ReadError",
        "ConnectError",
        "ClientConnectionError",
        "ClientPayloadError",
        "ServerDisconnectedError",
        "IncompleteRead",
    )


def _is_malformed(exc: BaseException) -> bool:
    name = type(exc).__name__
    return isinstance(exc, json.JSONDecodeError) or name in ("ValidationError", "DecodingError")


def classify(exc: BaseException) -> CallFailure:
    chain = list(_chain(exc))
    for item in chain:
        if isinstance(item, MissingCredential):
            return CallFailure("auth", str(item))
        if isinstance(item, EndpointMismatch):
            return CallFailure("internal", f"request blocked: {item}")
    for item in chain:
        status = _status_of(item)
        if status is None:
            continue
        detail = _detail(item)
        if status == 429:
            return CallFailure("rate_limited", detail, status, _retry_after(item))
        if status in (401, 403):
            return CallFailure("auth", detail, status)
        if status >= 500:
            return CallFailure("provider_error", detail, status, _retry_after(item))
        if status >= 400:
            return CallFailure("bad_request", detail, status)
    for item in chain:
        if _is_timeout(item):
            return CallFailure("timeout", "no answer in time")
    for item in chain:
        if _is_malformed(item):
            return CallFailure("provider_error", f"unreadable response: {_detail(item)}")
    for item in chain:
        if _is_connection(item):
            return CallFailure("connection", _detail(item) or type(item).__name__)
    return CallFailure("internal", f"{type(exc).__name__}: {_detail(exc)}")


def describe(
    failure: CallFailure, *, model: str, attempts: int, timeout: float, origin: str | None
) -> str:
    """A readable, actionable message for a call that finally failed."""
    tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    status = f"HTTP {failure.status}: " if failure.status else ""
    if failure.kind == "rate_limited":
        return (
            f"{model} was rate limited ({status}{failure.message}) {tries}; wait a little, lower "
            "the provider's concurrency limit, or raise your quota with the provider"
        )
    if failure.kind == "timeout":
        return (
            f"{model} did not answer within {timeout:g} s ({tries}); raise the step's timeout "
            "or try again later"
        )
    if failure.kind == "provider_error":
        problem = f"{status}{failure.message}"
        return f"{model} failed on the provider's side ({problem}) {tries}; try again later"
    if failure.kind == "connection":
        where = f" at {origin}" if origin else ""
        return (
            f"could not talk to the provider of {model}{where} ({failure.message}) {tries}; "
            "check the base URL and the network"
        )
    if failure.kind == "auth":
        if failure.status is None:
            return failure.message
        return (
            f"the provider rejected the API key for {model} ({status}{failure.message}); "
            "check or replace the stored key"
        )
    if failure.kind == "bad_request":
        return (
            f"the provider refused the request for {model} ({status}{failure.message}); "
            "check the model name and the step's parameters"
        )
    return f"{model} failed unexpectedly ({failure.message})"
