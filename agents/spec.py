"""Agent specs: what a task agent is, as data that round-trips through JSON, YAML and the database.

An `AgentSpec` has a name, `defaults` every substep inherits (model, sampling parameters, timeout,
retries, caching), typed `inputs`, and `substeps`. Three kinds of substep:

- `prompt` (the default kind): one call to one model;
- `compare`: the same prompt over several `models`, side by side (how users compare models);
- `feedback_loop`: draft with `model`, critique with `judge` against written `criteria`, refine,
  until the judge accepts or `max_rounds` drafts were written.

Prompts are Jinja templates (`agents.templates`) naming inputs and earlier steps by name; a step's
`depends_on` is derived from the names its templates read unless it is given. A minimal spec:

    name: summarise
    defaults: {model: "openai:gpt-4o-mini", temperature: 0.2}
    inputs: {text: string}
    substeps:
      - id: summary
        prompt: "Summarise in three bullet points:\\n{{ text }}"

Validation has two layers, and every problem is reported with its path in the spec:

- structure (wrong types, unknown fields, missing ids), checked by pydantic when a spec is built
  from data; `AgentSpec.parse()` / `from_json()` / `from_yaml()` / `from_columns()` raise
  `SpecValidationError` listing all of them;
- meaning (`problems()` / `check()`): unknown providers, references to unknown inputs or steps,
  cycles, duplicate ids, and — when inputs are given — missing, unknown or mistyped inputs.

The workbench stores a spec in two columns: `to_columns()` gives `(configuration, substeps)` and
`from_columns()` rebuilds the spec from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)

from agents import templates
from agents.modelref import ModelRef, ModelRefError

SPEC_VERSION = 1
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
InputType = Literal["string", "text", "integer", "number", "boolean", "list", "object"]
StepKind = Literal["prompt", "compare", "feedback_loop"]


# ---- problems ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with a spec or its inputs, at a dotted `path` such as `substeps.1.prompt`."""

    path: str
    message: str

    @property
    def column_path(self) -> str:
        """The path inside the stored columns: `substeps.…` stays, the rest is `configuration.…`;
        problems with given inputs (`inputs.<name>` from `check(inputs)`) keep their path."""
        if self.path.startswith("substeps") or self.path == "":
            return self.path or "configuration"
        return f"configuration.{self.path}"

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SpecValidationError(ValueError):
    """A spec (or its inputs) with problems; `problems` lists every one of them."""

    def __init__(self, problems: Sequence[SpecProblem]) -> None:
        self.problems: tuple[SpecProblem, ...] = tuple(problems)
        count = len(self.problems)
        listed = "; ".join(str(p) for p in self.problems)
        super().__init__(f"agent spec has {count} problem{'s' if count != 1 else ''}: {listed}")


# ---- the model ---------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Params(_Strict):
    """Sampling parameters passed to the model; unset ones fall back to `defaults`."""

    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0, le=1_000_000)
    top_p: float | None = Field(default=None, ge=0, le=1)
    stop: tuple[str, ...] | None = None
    seed: int | None = None


class Defaults(_Strict):
    """What every substep inherits unless it says otherwise."""

    model: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0, le=1_000_000)
    top_p: float | None = Field(default=None, ge=0, le=1)
    timeout: float = Field(default=60.0, gt=0, le=3600)  # seconds one model call may take
    retries: int = Field(default=2, ge=0, le=10)  # extra attempts on 429 / 5xx / timeouts
    cache: bool = True  # use the engine's response cache, when it has one


class InputSpec(_Strict):
    type: InputType = "string"
    description: str | None = None
    default: Any = None

    @property
    def required(self) -> bool:
        return self.default is None


class _StepBase(_Strict):
    id: str = Field(pattern=IDENTIFIER)
    description: str | None = None
    system: str | None = None
    prompt: str = Field(min_length=1)
    params: Params = Params()
    depends_on: tuple[str, ...] | None = None  # derived from the templates when left out
    timeout: float | None = Field(default=None, gt=0, le=3600)
    retries: int | None = Field(default=None, ge=0, le=10)
    cache: bool | None = None

    def templates(self) -> dict[str, str]:
        """The step's templates by field name."""
        found = {"prompt": self.prompt}
        if self.system is not None:
            found["system"] = self.system
        return found

    def model_refs(self, defaults: Defaults) -> dict[str, str | None]:
        """Field path (relative to the step) -> model reference it uses (None: not set)."""
        raise NotImplementedError


class PromptStep(_StepBase):
    """One call to one model."""

    kind: Literal["prompt"] = "prompt"
    model: str | None = None

    def model_refs(self, defaults: Defaults) -> dict[str, str | None]:
        return {"model": self.model or defaults.model}


class CompareStep(_StepBase):
    """The same prompt over several models, answered side by side."""

    kind: Literal["compare"] = "compare"
    models: tuple[str, ...] = Field(min_length=1, max_length=20)

    def model_refs(self, defaults: Defaults) -> dict[str, str | None]:
        return {f"models.{i}": m for i, m in enumerate(self.models)}


class FeedbackLoopStep(_StepBase):
    """Draft, critique against `criteria`, refine; until the judge accepts or `max_rounds`."""

    kind: Literal["feedback_loop"] = "feedback_loop"
    model: str | None = None  # the drafting model
    judge: str | None = None  # the critiquing model; the drafting model when left out
    criteria: str = Field(min_length=1)
    max_rounds: int = Field(default=3, ge=1, le=10)

    def templates(self) -> dict[str, str]:
        return {**super().templates(), "criteria": self.criteria}

    def model_refs(self, defaults: Defaults) -> dict[str, str | None]:
        drafter = self.model or defaults.model
        return {"model": drafter, "judge": self.judge or drafter}


def _step_kind(data: Any) -> str:
    if isinstance(data, Mapping):
        return str(data.get("kind", "prompt"))
    return str(getattr(data, "kind", "prompt"))


Substep = Annotated[
    Annotated[PromptStep, Tag("prompt")]
    | Annotated[CompareStep, Tag("compare")]
    | Annotated[FeedbackLoopStep, Tag("feedback_loop")],
    Discriminator(
        _step_kind,
        custom_error_type="unknown_step_kind",
        custom_error_message="kind must be one of: prompt, compare, feedback_loop",
    ),
]
STEP_KINDS: tuple[str, ...] = ("prompt", "compare", "feedback_loop")


class AgentSpec(_Strict):
    """A task agent: see the module docstring for the format."""

    name: str = Field(min_length=1, max_length=200)
    version: int = Field(default=SPEC_VERSION, ge=1)
    description: str | None = None
    defaults: Defaults = Defaults()
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    substeps: tuple[Substep, ...] = Field(min_length=1, max_length=500)

    @field_validator("inputs", mode="before")
    @classmethod
    def _shorthand_inputs(cls, value: Any) -> Any:
        # `inputs: {topic: string}` is shorthand for `inputs: {topic: {type: string}}`.
        if isinstance(value, Mapping):
            return {k: {"type": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    # ---- building ------------------------------------------------------------------------------

    @classmethod
    def parse(cls, data: Any) -> Self:
        """Build a spec from plain data; structural problems raise `SpecValidationError`."""
        if isinstance(data, AgentSpec):
            return data  # type: ignore[return-value]
        if not isinstance(data, Mapping):
            raise SpecValidationError(
                [SpecProblem("", f"an agent spec is a mapping, not {type(data).__name__}")]
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as e:
            raise SpecValidationError(_structural_problems(e)) from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecValidationError(
                [SpecProblem("", f"not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}")]
            ) from None
        return cls.parse(data)

    @classmethod
    def from_yaml(cls, text: str) -> Self:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problem = getattr(e, "problem", None) or str(e)
            message = f"not valid YAML{where}: {problem}"
            raise SpecValidationError([SpecProblem("", message)]) from None
        return cls.parse(data)

    @classmethod
    def from_columns(
        cls,
        configuration: Mapping[str, Any],
        substeps: Sequence[Any],
        *,
        name: str | None = None,
    ) -> Self:
        """Rebuild a spec from `TaskAgent.configuration` / `.substeps`; `name` (the agent's
        name column) takes precedence over a name stored in the configuration."""
        if not isinstance(configuration, Mapping):
            raise SpecValidationError([SpecProblem("", "configuration must be a mapping")])
        if not isinstance(substeps, Sequence) or isinstance(substeps, str | bytes):
            raise SpecValidationError([SpecProblem("substeps", "substeps must be a list")])
        data = {**configuration, "substeps": list(substeps)}
        if name is not None:
            data["name"] = name
        return cls.parse(data)

    # ---- serialising ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data; unset optional fields are left out, so stored specs stay small."""
        data = self.model_dump(mode="json", exclude_none=True)
        # Each substep reads best with its id and kind first.
        data["substeps"] = [{"id": s["id"], "kind": s["kind"], **s} for s in data["substeps"]]
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def to_columns(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """`(configuration, substeps)`: everything but the substeps, and the substeps."""
        data = self.to_dict()
        substeps = data.pop("substeps")
        return data, substeps

    # ---- the graph -----------------------------------------------------------------------------

    def step(self, step_id: str) -> PromptStep | CompareStep | FeedbackLoopStep:
        for step in self.substeps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def step_ids(self) -> tuple[str, ...]:
        return tuple(step.id for step in self.substeps)

    def dependencies(self) -> dict[str, tuple[str, ...]]:
        """Step id -> the steps it waits for: `depends_on` when given, else the steps its
        templates name. Assumes a spec without problems."""
        ids = set(self.step_ids())
        found: dict[str, tuple[str, ...]] = {}
        for step in self.substeps:
            if step.depends_on is not None:
                found[step.id] = tuple(step.depends_on)
            else:
                refs = set().union(*(_references(t) for t in step.templates().values()))
                found[step.id] = tuple(s for s in self.step_ids() if s in refs & ids)
        return found

    def order(self) -> tuple[str, ...]:
        """Step ids in an order where every step comes after what it depends on (stable: the
        spec's own order among independent steps). Assumes a spec without cycles."""
        deps = self.dependencies()
        done: list[str] = []
        placed: set[str] = set()
        remaining = list(self.step_ids())
        while remaining:
            ready = [s for s in remaining if set(deps[s]) <= placed]
            if not ready:
                raise SpecValidationError([SpecProblem("substeps", "the steps form a cycle")])
            for s in ready:
                done.append(s)
                placed.add(s)
            remaining = [s for s in remaining if s not in placed]
        return tuple(done)

    # ---- meaning -------------------------------------------------------------------------------

    def problems(self, inputs: Mapping[str, Any] | None = None) -> list[SpecProblem]:
        """Every problem with this spec, and with `inputs` when they are given."""
        found = list(dict.fromkeys(self._spec_problems()))  # once each, in order
        if inputs is not None:
            found.extend(self.input_problems(inputs))
        return found

    def check(self, inputs: Mapping[str, Any] | None = None) -> Self:
        """Raise `SpecValidationError` listing every problem; return the spec when there is none."""
        found = self.problems(inputs)
        if found:
            raise SpecValidationError(found)
        return self

    def resolve_inputs(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs with defaults filled in; raises `SpecValidationError` on bad inputs."""
        found = self.input_problems(inputs)
        if found:
            raise SpecValidationError(found)
        resolved = {name: spec.default for name, spec in self.inputs.items()}
        resolved.update(inputs)
        return resolved

    def input_problems(self, inputs: Mapping[str, Any]) -> list[SpecProblem]:
        if not isinstance(inputs, Mapping):
            return [SpecProblem("inputs", "inputs must be a mapping of input name to value")]
        found: list[SpecProblem] = []
        declared = ", ".join(self.inputs) or "none"
        for name, spec in self.inputs.items():
            if name not in inputs:
                if spec.required:
                    found.append(SpecProblem(f"inputs.{name}", "missing (the agent requires it)"))
                continue
            problem = _type_problem(spec.type, inputs[name])
            if problem:
                found.append(SpecProblem(f"inputs.{name}", problem))
        for name in inputs:
            if name not in self.inputs:
                found.append(
                    SpecProblem(
                        f"inputs.{name}", f"not an input of this agent (inputs: {declared})"
                    )
                )
        return found

    def _spec_problems(self) -> Iterator[SpecProblem]:
        if self.version > SPEC_VERSION:
            yield SpecProblem(
                "version",
                f"spec version {self.version} is newer than this engine reads ({SPEC_VERSION}); "
                "upgrade the workbench",
            )
        for name in self.inputs:
            if not _is_identifier(name):
                yield SpecProblem(
                    f"inputs.{name}",
                    "input names are letters, digits and underscores, not starting with a digit",
                )
        for name, spec in self.inputs.items():
            if spec.default is not None:
                problem = _type_problem(spec.type, spec.default)
                if problem:
                    yield SpecProblem(f"inputs.{name}.default", problem)
        if self.defaults.model is not None:
            problem = _model_problem(self.defaults.model)
            if problem:
                yield SpecProblem("defaults.model", problem)

        first_index: dict[str, int] = {}
        for index, step in enumerate(self.substeps):
            if step.id in first_index:
                yield SpecProblem(
                    f"substeps.{index}.id",
                    f"duplicate step id {step.id!r} (also substeps.{first_index[step.id]})",
                )
            else:
                first_index[step.id] = index
            if step.id in self.inputs:
                yield SpecProblem(
                    f"substeps.{index}.id",
                    f"step id {step.id!r} is also an input name; rename one of them",
                )
        step_ids = set(first_index)
        known = ", ".join(sorted(self.inputs)) or "none"
        steps = ", ".join(first_index) or "none"

        for index, step in enumerate(self.substeps):
            where = f"substeps.{index}"
            yield from self._model_problems(where, step)
            if isinstance(step, CompareStep):
                seen: set[str] = set()
                for i, model in enumerate(step.models):
                    if model in seen:
                        yield SpecProblem(f"{where}.models.{i}", f"{model!r} is listed twice")
                    seen.add(model)

            referenced: set[str] = set()
            for field_name, source in step.templates().items():
                try:
                    refs = _references(source)
                except templates.TemplateProblem as e:
                    yield SpecProblem(f"{where}.{field_name}", str(e))
                    continue
                for ref in sorted(refs):
                    if ref == step.id:
                        message = f"refers to its own step {ref!r}"
                        yield SpecProblem(f"{where}.{field_name}", message)
                    elif ref not in step_ids and ref not in self.inputs:
                        yield SpecProblem(
                            f"{where}.{field_name}",
                            f"refers to {ref!r}, which is neither an input ({known}) "
                            f"nor a step ({steps})",
                        )
                    elif ref in step_ids:
                        referenced.add(ref)

            if step.depends_on is not None:
                for i, dep in enumerate(step.depends_on):
                    if dep == step.id:
                        message = "a step cannot depend on itself"
                        yield SpecProblem(f"{where}.depends_on.{i}", message)
                    elif dep not in step_ids:
                        yield SpecProblem(
                            f"{where}.depends_on.{i}", f"unknown step {dep!r} (steps: {steps})"
                        )
                for ref in sorted(referenced - set(step.depends_on)):
                    yield SpecProblem(
                        f"{where}.depends_on",
                        f"the templates use step {ref!r}, which is not in depends_on "
                        "(add it, or leave depends_on out to derive it)",
                    )

        cycle = self._find_cycle(step_ids)
        if cycle:
            index = first_index[cycle[0]]
            yield SpecProblem(f"substeps.{index}", f"the steps form a cycle: {' → '.join(cycle)}")

    def _model_problems(
        self, where: str, step: PromptStep | CompareStep | FeedbackLoopStep
    ) -> Iterator[SpecProblem]:
        for field_name, model in step.model_refs(self.defaults).items():
            if model is None:
                yield SpecProblem(
                    f"{where}.{field_name}", "no model: set one here or in defaults.model"
                )
                continue
            problem = _model_problem(model)
            if problem:
                # Report at the step only when the step itself names the model.
                own = _own_model(step, field_name)
                yield SpecProblem(f"{where}.{field_name}" if own else "defaults.model", problem)

    def _find_cycle(self, step_ids: set[str]) -> list[str] | None:
        graph: dict[str, list[str]] = {}
        for step in self.substeps:
            if step.depends_on is not None:
                deps = [d for d in step.depends_on if d in step_ids and d != step.id]
            else:
                try:
                    refs = set().union(*(_references(t) for t in step.templates().values()))
                except templates.TemplateProblem:
                    refs = set()
                deps = [d for d in refs if d in step_ids and d != step.id]
            graph.setdefault(step.id, []).extend(sorted(deps))
        state: dict[str, int] = {}  # 1: on the current path, 2: finished
        path: list[str] = []

        def visit(node: str) -> list[str] | None:
            state[node] = 1
            path.append(node)
            for dep in graph.get(node, []):
                if state.get(dep) == 1:
                    return [*path[path.index(dep) :], dep]
                if dep not in state:
                    found = visit(dep)
                    if found:
                        return found
            path.pop()
            state[node] = 2
            return None

        for node in graph:
            if node not in state:
                found = visit(node)
                if found:
                    return list(reversed(found))
        return None


# ---- helpers -----------------------------------------------------------------------------------


def _references(source: str) -> frozenset[str]:
    return templates.references(source)


def _is_identifier(name: str) -> bool:
    return re.fullmatch(IDENTIFIER, name) is not None


def _own_model(step: PromptStep | CompareStep | FeedbackLoopStep, field_name: str) -> bool:
    if isinstance(step, CompareStep):
        return True
    if isinstance(step, FeedbackLoopStep) and field_name == "judge":
        return step.judge is not None or step.model is not None
    return getattr(step, "model", None) is not None


def _model_problem(model: str) -> str | None:
    try:
        ModelRef.parse(model)
    except ModelRefError as e:
        return str(e)
    return None


_TYPE_CHECKS: dict[str, tuple[str, Any]] = {
    "string": ("a string", lambda v: isinstance(v, str)),
    "text": ("a string", lambda v: isinstance(v, str)),
    "integer": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "number": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
    "list": ("a list", lambda v: isinstance(v, list | tuple)),
    "object": ("an object", lambda v: isinstance(v, Mapping)),
}


def _type_problem(kind: str, value: Any) -> str | None:
    expected, accepts = _TYPE_CHECKS[kind]
    if accepts(value):
        return None
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"expected {expected} ({kind}), got {type(value).__name__} {shown}"


def _structural_problems(error: ValidationError) -> list[SpecProblem]:
    found: list[SpecProblem] = []
    items = error.errors(include_url=False)
    for item in items:
        if item["type"] == "too_short" and any(
            other["loc"][: len(item["loc"])] == item["loc"] and len(other["loc"]) > len(item["loc"])
            for other in items
        ):
            continue  # pydantic counts only the valid items; the invalid ones are reported
        loc = [str(part) for part in item["loc"]]
        # Drop the union tag pydantic puts after a substep's index ("substeps.0.compare.models").
        if len(loc) >= 3 and loc[0] == "substeps" and loc[2] in STEP_KINDS:
            del loc[2]
        kind = item["type"]
        if kind == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif kind == "missing":
            message = "required"
        else:
            message = item["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            message = message[:1].lower() + message[1:]
            if kind == "string_pattern_mismatch":
                message = "use letters, digits and underscores, not starting with a digit"
        found.append(SpecProblem(".".join(loc), message))
    return found
