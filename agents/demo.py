"""The offline demo model (`demo:<anything>`): no key, no network, and it says what it is.

It lets a first-run user execute an agent end to end before adding an API key. It is a LangChain
chat model, so the engine drives it exactly like a real one (streaming, usage), but every answer
starts with a label saying it is a canned demo answer, not an LLM. Asked to judge a draft (the
feedback loop's critique prompt), it accepts, so demo loops finish in one round.

The answers are deterministic: the same prompt gives the same answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

DEMO_LABEL = "[Demo model — not an LLM]"
_VERDICT_REQUEST = re.compile(r"VERDICT:\s*ACCEPT", re.IGNORECASE)


def demo_answer(model: str, prompt: str) -> str:
    excerpt = " ".join(prompt.split())
    if len(excerpt) > 160:
        excerpt = excerpt[:157] + "…"
    if _VERDICT_REQUEST.search(prompt):
        return (
            f"VERDICT: ACCEPT\n{DEMO_LABEL} The demo judge '{model}' accepts every draft; "
            "choose a real model as the judge for a real critique."
        )
    return (
        f"{DEMO_LABEL} This is a canned answer from the offline demo model '{model}', "
        f"not from a language model. You asked: “{excerpt}”. "
        "Add an API key and pick a real model (e.g. openai:gpt-4o-mini) for real answers."
    )


def _prompt_text(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(m.text for m in messages if m.type != "ai")


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text) or [text]


class DemoChatModel(BaseChatModel):
    """A deterministic offline chat model; `word_delay` paces its stream like a real one."""

    model_name: str = "demo"
    word_delay: float = 0.004

    @property
    def _llm_type(self) -> str:
        return "workbench-demo"

    def _usage(self, prompt: str, answer: str) -> UsageMetadata:
        inputs, outputs = len(prompt.split()), len(_words(answer))
        return UsageMetadata(
            input_tokens=inputs, output_tokens=outputs, total_tokens=inputs + outputs
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt = _prompt_text(messages)
        answer = demo_answer(self.model_name, prompt)
        message = AIMessage(content=answer, usage_metadata=self._usage(prompt, answer))
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        prompt = _prompt_text(messages)
        answer = demo_answer(self.model_name, prompt)
        for word in _words(answer):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))
        yield ChatGenerationChunk(
            message=AIMessageChunk(content="", usage_metadata=self._usage(prompt, answer))
        )

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._stream(messages, stop, **kwargs):
            if self.word_delay and chunk.message.content:
                await asyncio.sleep(self.word_delay)
            yield chunk
