"""The wire formats the fake provider server speaks: OpenAI chat completions, Anthropic messages
and Gemini generateContent — request parsing, whole answers, SSE streams with usage, and errors.

Each protocol turns a request body into (model, prompt text, stream?) and renders answers the way
the real API does, field names and event order included, so the real SDKs parse them unchanged.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None


@dataclass(frozen=True)
class ParsedRequest:
    model: str
    prompt: str  # every message's text, joined: what rules match and the echo repeats
    stream: bool
    stream_usage: bool  # the client asked for usage in the stream (OpenAI's include_usage)


def _text_of(content: Any) -> str:
    """Message content as text: a string, or a list of content blocks / parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
        )
    if isinstance(content, dict):
        return _text_of(content.get("parts") or content.get("text") or "")
    return ""


def sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {payload}\n\n"


class OpenAIChat:
    name = "openai"
    malformed_body = '{"id": "chatcmpl-broken", "choices": [{"message": '
    malformed_chunk = "data: {this is not json\n\n"

    def parse(self, body: dict[str, Any], path_model: str | None) -> ParsedRequest:
        messages = body.get("messages") or []
        prompt = "\n".join(_text_of(m.get("content")) for m in messages if isinstance(m, dict))
        options = body.get("stream_options") or {}
        return ParsedRequest(
            model=str(body.get("model", "")),
            prompt=prompt,
            stream=bool(body.get("stream")),
            stream_usage=bool(options.get("include_usage")),
        )

    def _usage(self, usage: Usage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.input_tokens + usage.output_tokens,
        }
        if usage.cached_tokens is not None:
            data["prompt_tokens_details"] = {"cached_tokens": usage.cached_tokens}
        if usage.reasoning_tokens is not None:
            data["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
        return data

    def complete(self, request: ParsedRequest, text: str, usage: Usage | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
        }
        if usage is not None:
            body["usage"] = self._usage(usage)
        return body

    def stream(
        self, request: ParsedRequest, chunks: list[str], usage: Usage | None
    ) -> Iterator[tuple[str, bool]]:
        """SSE frames, each with whether it carries answer text (the server paces those)."""
        ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        base = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.model,
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        yield sse(chunk({"role": "assistant", "content": ""})), False
        for piece in chunks:
            yield sse(chunk({"content": piece})), True
        yield sse(chunk({}, "stop")), False
        if usage is not None and request.stream_usage:
            yield sse({**base, "choices": [], "usage": self._usage(usage)}), False
        yield sse("[DONE]"), False

    def models(self, names: list[str]) -> dict[str, Any]:
        """GET /v1/models."""
        created = int(time.time())
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": created, "owned_by": "fake"}
                for name in names
            ],
        }

    def error(self, status: int, message: str) -> dict[str, Any]:
        kind = {
            429: "rate_limit_exceeded",
            401: "invalid_api_key",
            400: "invalid_request_error",
        }.get(status, "server_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


class AnthropicMessages:
    name = "anthropic"
    malformed_body = '{"id": "msg_broken", "type": "message", "content": [{"type": "te'
    malformed_chunk = "event: content_block_delta\ndata: {this is not json\n\n"

    def parse(self, body: dict[str, Any], path_model: str | None) -> ParsedRequest:
        parts = [_text_of(body.get("system") or "")]
        parts += [_text_of(m.get("content")) for m in body.get("messages") or []]
        return ParsedRequest(
            model=str(body.get("model", "")),
            prompt="\n".join(p for p in parts if p),
            stream=bool(body.get("stream")),
            stream_usage=True,
        )

    def _usage(self, usage: Usage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
        }
        if usage.cached_tokens is not None:
            data["cache_read_input_tokens"] = usage.cached_tokens
            data["cache_creation_input_tokens"] = 0
        return data

    def complete(self, request: ParsedRequest, text: str, usage: Usage | None) -> dict[str, Any]:
        return {
            "id": f"msg_{uuid.uuid4().hex[:12]}",
            "type": "message",
            "role": "assistant",
            "model": request.model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": self._usage(usage or Usage(0, 0)),
        }

    def stream(
        self, request: ParsedRequest, chunks: list[str], usage: Usage | None
    ) -> Iterator[tuple[str, bool]]:
        usage = usage or Usage(0, 0)
        start_usage = {**self._usage(usage), "output_tokens": 1}
        message = {
            "id": f"msg_{uuid.uuid4().hex[:12]}",
            "type": "message",
            "role": "assistant",
            "model": request.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        }
        yield sse({"type": "message_start", "message": message}, "message_start"), False
        block = {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        }
        yield sse(block, "content_block_start"), False
        yield sse({"type": "ping"}, "ping"), False
        for piece in chunks:
            delta = {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": piece},
            }
            yield sse(delta, "content_block_delta"), True
        yield sse({"type": "content_block_stop", "index": 0}, "content_block_stop"), False
        final = {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": self._usage(usage),  # cumulative, as the API sends it
        }
        yield sse(final, "message_delta"), False
        yield sse({"type": "message_stop"}, "message_stop"), False

    def models(self, names: list[str]) -> dict[str, Any]:
        """GET /v1/models (one page holding every model)."""
        data = [
            {
                "type": "model",
                "id": name,
                "display_name": name,
                "created_at": "2025-01-01T00:00:00Z",
            }
            for name in names
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }

    def error(self, status: int, message: str) -> dict[str, Any]:
        kind = {
            429: "rate_limit_error",
            401: "authentication_error",
            400: "invalid_request_error",
            529: "overloaded_error",
        }.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}


class GeminiGenerateContent:
    name = "google"
    malformed_body = '{"candidates": [{"content": {"parts": [{"text": '
    malformed_chunk = "data: {this is not json\n\n"

    def parse(self, body: dict[str, Any], path_model: str | None) -> ParsedRequest:
        parts = [_text_of(body.get("systemInstruction") or body.get("system_instruction") or "")]
        parts += [_text_of(c) for c in body.get("contents") or []]
        return ParsedRequest(
            model=path_model or "",
            prompt="\n".join(p for p in parts if p),
            stream=False,  # decided by the path (streamGenerateContent), see the server
            stream_usage=True,
        )

    def _usage(self, usage: Usage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "promptTokenCount": usage.input_tokens,
            "candidatesTokenCount": usage.output_tokens,
            "totalTokenCount": usage.input_tokens
            + usage.output_tokens
            + (usage.reasoning_tokens or 0),
        }
        if usage.reasoning_tokens is not None:
            data["thoughtsTokenCount"] = usage.reasoning_tokens
        if usage.cached_tokens is not None:
            data["cachedContentTokenCount"] = usage.cached_tokens
        return data

    def _response(
        self, request: ParsedRequest, text: str, usage: Usage | None, finish: str | None
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {
            "content": {"role": "model", "parts": [{"text": text}]},
            "index": 0,
        }
        if finish:
            candidate["finishReason"] = finish
        body: dict[str, Any] = {"candidates": [candidate], "modelVersion": request.model}
        if usage is not None:
            body["usageMetadata"] = self._usage(usage)
        return body

    def complete(self, request: ParsedRequest, text: str, usage: Usage | None) -> dict[str, Any]:
        return self._response(request, text, usage, "STOP")

    def stream(
        self, request: ParsedRequest, chunks: list[str], usage: Usage | None
    ) -> Iterator[tuple[str, bool]]:
        for i, piece in enumerate(chunks):
            last = i == len(chunks) - 1
            body = self._response(request, piece, usage if last else None, "STOP" if last else None)
            yield f"data: {json.dumps(body)}\r\n\r\n", True

    def models(self, names: list[str]) -> dict[str, Any]:
        """GET /v1beta/models."""
        return {
            "models": [
                {
                    "name": f"models/{name}",
                    "displayName": name,
                    "supportedGenerationMethods": ["generateContent", "countTokens"],
                }
                for name in names
            ]
        }

    def error(self, status: int, message: str) -> dict[str, Any]:
        kind = {
            429: "RESOURCE_EXHAUSTED",
            401: "UNAUTHENTICATED",
            400: "INVALID_ARGUMENT",
            503: "UNAVAILABLE",
        }.get(status, "INTERNAL")
        return {"error": {"code": status, "message": message, "status": kind}}
