"""Chat room: talk to one or several models side by side, streaming, with each answer's cost.

Sessions are listed on the left; a session's history reopens as it was. Each turn shows the
user's message and, beside each other, every model's answer as it streams, with its latency,
tokens and cost. Turns are executions (`workbench.services.chat_turns`, which the REST API
uses too), so they are tracked and comparable in
result analysis; "Save as agent" turns the conversation's set-up into an agent of a project.

Names and texts are shown as text: names are literal Markdown, message bodies safe Markdown
panes (S9).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import defaultdict
from html import escape

import panel as pn
import param

from agents.events import Event, ExecutionFinished, StepFailed, StepFinished, StepToken
from workbench.panels.base import Page
from workbench.panels.live import LiveFeed
from workbench.panels.messages import PageProblem
from workbench.panels.starters import DEMO_MODELS, SUGGESTED_MODELS, suggested_models
from workbench.panels.text import alert, heading, literal, markdown
from workbench.panels.visuals import format_cost, format_latency, format_tokens
from workbench.services import MAX_LIMIT, ChatMessage, ChatRole, ChatSession, TaskAgent
from workbench.services.chat_turns import CHAT_PROJECT_NAME, ChatTurn, ChatTurns, turn_models

STREAM_FLUSH_MS = 150

SESSION_CSS = """
.wb-sessions { display: flex; flex-direction: column; gap: 4px; }
.wb-sessions a { padding: 6px 10px; border-radius: 6px; color: #1f3a5f; text-decoration: none; }
.wb-sessions a:hover { background: #e8eef6; }
.wb-sessions a.wb-active { background: #1f3a5f; color: white; }
.wb-sessions small { display: block; opacity: 0.75; }
"""


class ChatPage(Page):
    title_key = "chat.title"

    session = param.ClassSelector(class_=ChatSession, default=None, allow_None=True)
    sessions = param.List(default=[])
    new_title = param.String(default="")
    new_models = param.List(default=[])
    other_model = param.String(default="")
    prompt = param.String(default="")
    busy = param.Boolean(default=False)
    target_project = param.Selector(objects=[], default=None, allow_None=True)
    version = param.Integer(default=0)

    def __init__(self, context, **params) -> None:
        super().__init__(context, **params)
        t = self.t
        self.turns = ChatTurns(self.services, context.runner)
        self.live = LiveFeed(context.runner, self.actor, in_server=context.in_server)
        self._turn_models: dict[uuid.UUID, dict[str, str]] = {}  # execution -> step -> model
        self._streams: dict[tuple[uuid.UUID, str], str] = defaultdict(str)
        self._stream_panes: dict[tuple[uuid.UUID, str], pn.pane.Markdown] = {}
        self._dirty: set[tuple[uuid.UUID, str]] = set()
        # Replies are stored from live events and on sending; one at a time, so never twice.
        self._recording = threading.Lock()
        keys = self.services.keys.list_keys(self.actor, limit=MAX_LIMIT).items
        choices = list(dict.fromkeys([*suggested_models(k.provider for k in keys), *DEMO_MODELS]))
        self.new_models = choices[:2]
        self._title_input = pn.widgets.TextInput.from_param(
            self.param.new_title,
            label=t("chat.session_title"),
            placeholder=t("chat.new_chat"),
            sizing_mode="stretch_width",
        )
        self._models_input = pn.widgets.MultiChoice.from_param(
            self.param.new_models,
            label=t("chat.models"),
            options=list(dict.fromkeys([*choices, *SUGGESTED_MODELS.values()])),
            sizing_mode="stretch_width",
        )
        self._other_input = pn.widgets.TextInput.from_param(
            self.param.other_model,
            label=t("chat.other_model"),
            placeholder=t("chat.other_hint"),
            sizing_mode="stretch_width",
        )
        self._start_button = pn.widgets.Button(
            label=t("chat.start"), color="primary", on_click=lambda _: self.create_session()
        )
        self._prompt_input = pn.widgets.TextAreaInput.from_param(
            self.param.prompt,
            label="",
            placeholder=t("chat.prompt_hint"),
            height=90,
            sizing_mode="stretch_width",
        )
        self._send_button = pn.widgets.Button(
            label=t("chat.send"),
            color="primary",
            on_click=self._on_send,
            disabled=context.runner is None,
        )
        self._save_button = pn.widgets.Button(
            label=t("chat.save_as_agent"), on_click=lambda _: self.save_as_agent()
        )
        self._project_select = pn.widgets.Select.from_param(
            self.param.target_project, label=t("chat.into_project")
        )
        self.refresh_sessions()
        session_id = context.arg("session")
        if session_id:
            self.open_session(session_id)

    # -- sessions ------------------------------------------------------------------------------

    def refresh_sessions(self) -> None:
        with self.guard():
            self.sessions = list(
                self.services.chat.list_sessions(self.actor, limit=MAX_LIMIT).items
            )
            projects = self.services.projects.list_projects(self.actor, limit=MAX_LIMIT).items
            options = {p.name: p.id for p in projects if p.name != CHAT_PROJECT_NAME}
            self.param.target_project.objects = list(options.values())
            if self.target_project not in options.values():
                self.target_project = next(iter(options.values()), None)
            self._project_select.options = options

    def create_session(self) -> ChatSession | None:
        models = list(self.new_models)
        if self.other_model.strip():
            models.append(self.other_model.strip())
        data = {"title": self.new_title.strip() or self.t("chat.new_chat"), "models": models}
        with self.guard():
            session = self.services.chat.create_session(self.actor, data)
            self.new_title = self.other_model = ""
            self.refresh_sessions()
            self.open_session(session.id)
            if self.in_server and pn.state.location is not None:
                pn.state.location.search = f"?session={session.id}"  # a reload reopens it
            return session
        return None

    def open_session(self, session_id: uuid.UUID | str) -> None:
        session = self.services.chat.get_session(self.actor, session_id)
        with self.guard():
            for execution in self.turns.reconcile(self.actor, session.id):
                self._follow(execution.id, session)
            session = self.services.chat.get_session(self.actor, session.id)
        self.session = session
        self.version += 1

    def _follow(self, execution_id: uuid.UUID, session: ChatSession) -> None:
        self._turn_models[execution_id] = turn_models(session)
        self.live.follow(execution_id, self.apply_event)

    # -- turns ---------------------------------------------------------------------------------

    def send(self) -> ChatTurn | None:
        """Ask the session's models (blocking: tests call this; the button runs it off-loop)."""
        prompt = self._checked_prompt()
        if prompt is None or self.session is None:
            return None
        with self.guard():
            turn = self.turns.start_turn(self.actor, self.session.id, {"content": prompt})
            self._turn_started(turn)
            return turn
        return None

    async def _on_send(self, _event: object) -> None:
        prompt = self._checked_prompt()
        if prompt is None or self.session is None:
            return
        self.busy = self._send_button.loading = True
        try:
            with self.guard():
                start, data = self.turns.start_turn, {"content": prompt}
                turn = await asyncio.to_thread(start, self.actor, self.session.id, data)
                self._turn_started(turn)
        finally:
            self.busy = self._send_button.loading = False

    def _checked_prompt(self) -> str | None:
        if self.session is None:
            return None
        prompt = self.prompt.strip()
        if not prompt:
            self.show_error(PageProblem(self.t("chat.empty_prompt")))
            return None
        if self.context.runner is None:
            self.show_warning(self.t("execution.no_runner"))
            return None
        return prompt

    def _turn_started(self, turn: ChatTurn) -> None:
        self.prompt = ""
        self.clear_messages()
        self._turn_models[turn.execution_id] = turn.models
        self.live.follow(turn.execution_id, self.apply_event)
        # A fast turn may have finished before we subscribed: show what is already stored.
        self._sync(turn.execution_id)

    def _sync(self, execution_id: uuid.UUID) -> list[ChatMessage]:
        """Store the turn's finished replies, then show the session as stored: one at a time,
        so a reply is never stored twice and an older read never replaces a newer one."""
        with self._recording:
            stored = self.turns.record_replies(self.actor, self.session.id, execution_id)
            self.session = self.services.chat.get_session(self.actor, self.session.id)
            self.version += 1
            return stored

    def apply_event(self, event: Event) -> None:
        """Stream tokens into the turn's answers; store each reply as its model finishes."""
        execution_id = uuid.UUID(event.execution_id)
        if self.session is None or execution_id not in self._turn_models:
            return
        if isinstance(event, StepToken):
            key = (execution_id, event.step_id)
            self._streams[key] += event.text
            first = not self._dirty
            self._dirty.add(key)
            if first:  # one update of the page per {STREAM_FLUSH_MS}, not one per token
                self.live.soon(self.flush_streams, STREAM_FLUSH_MS)
            return
        if isinstance(event, StepFinished | StepFailed | ExecutionFinished):
            with self.guard():
                self._sync(execution_id)
                if isinstance(event, ExecutionFinished):
                    self.live.unfollow(execution_id)

    def flush_streams(self) -> None:
        for key in list(self._dirty):
            pane = self._stream_panes.get(key)
            if pane is not None and pane.object != self._streams[key]:
                pane.object = self._streams[key]
        self._dirty.clear()

    def stream_text(self, execution_id: uuid.UUID, model: str) -> str:
        step = next(s for s, m in self._turn_models[execution_id].items() if m == model)
        return self._streams[(execution_id, step)]

    # -- saving as an agent --------------------------------------------------------------------

    def save_as_agent(self) -> TaskAgent | None:
        """A compare-models agent with this session's models, in the chosen project."""
        if self.session is None:
            return None
        if self.target_project is None:
            self.show_error(PageProblem(self.t("chat.needs_project")))
            return None
        last_prompt = next(
            (m.content for m in reversed(self.session.messages) if m.role is ChatRole.USER), ""
        )
        spec = {
            "configuration": {
                "description": self.t("chat.agent_description", title=self.session.title),
                "inputs": {"question": {"type": "text", "default": last_prompt or None}},
            },
            "substeps": [
                {
                    "id": "answers",
                    "kind": "compare",
                    "models": list(self.session.models),
                    "prompt": "{{ question }}",
                }
            ],
        }
        if not last_prompt:
            spec["configuration"]["inputs"]["question"].pop("default")
        with self.guard():
            agent = self.services.agents.create_agent(
                self.actor,
                self.target_project,
                {"name": self.t("chat.agent_name", title=self.session.title), **spec},
            )
            self.show_success(self.t("chat.saved_as_agent", name=agent.name))
            return agent
        return None

    # -- view ----------------------------------------------------------------------------------

    @param.depends("sessions", "session")
    def _session_list(self) -> pn.viewable.Viewable:
        if not self.sessions:
            return literal(self.t("chat.no_sessions"))
        current = self.session.id if self.session else None
        links = "".join(
            f'<a class="{"wb-active" if s.id == current else ""}" '
            f'href="{escape(self.context.urls.page("/chat", session=s.id))}">{escape(s.title)}'
            f"<small>{escape(', '.join(s.models))}</small></a>"
            for s in self.sessions
        )
        return pn.pane.HTML(
            f'<div class="wb-sessions">{links}</div>',
            stylesheets=[SESSION_CSS],
            sizing_mode="stretch_width",
        )

    def grouped_turns(self) -> list[tuple[ChatMessage, list[ChatMessage]]]:
        """(user message, replies in the session's model order) for each turn, oldest first."""
        if self.session is None:
            return []
        order = {m: i for i, m in enumerate(self.session.models)}
        replies: dict[uuid.UUID | None, list[ChatMessage]] = defaultdict(list)
        for message in self.session.messages:
            if message.role is ChatRole.ASSISTANT:
                replies[message.execution_id].append(message)
        return [
            (m, sorted(replies.get(m.execution_id, []), key=lambda r: order.get(r.model, 99)))
            for m in self.session.messages
            if m.role is ChatRole.USER
        ]

    def _reply_message(self, reply: ChatMessage) -> pn.viewable.Viewable:
        t = self.t
        figures = t(
            "chat.figures",
            latency=format_latency(reply.latency_ms),
            tokens=format_tokens(_sum(reply.input_tokens, reply.output_tokens)),
            cost=format_cost(reply.cost_usd),
        )
        body: pn.viewable.Viewable = markdown(
            reply.content, hard_line_break=True, sizing_mode="stretch_width"
        )
        if reply.error:
            body = alert(t("chat.reply_failed", error=reply.error), kind="danger")
        footer = [literal(figures, styles={"font-size": "0.8em", "opacity": "0.8"}, margin=(0, 10))]
        return _message(body, user=reply.model or "", avatar=_initial(reply.model), footer=footer)

    def _pending_message(self, execution_id: uuid.UUID, step_id: str, model: str):
        key = (execution_id, step_id)
        pane = self._stream_panes.get(key)
        if pane is None:
            pane = markdown(self._streams[key], hard_line_break=True, sizing_mode="stretch_width")
            self._stream_panes[key] = pane
        waiting = literal(self.t("chat.answering"), styles={"font-size": "0.85em"}, margin=(0, 10))
        return _message(pane, user=model, avatar=_initial(model), footer=[waiting])

    @param.depends("version")
    def _conversation(self) -> pn.viewable.Viewable:
        t = self.t
        if self.session is None:
            return literal(t("chat.pick_or_start"))
        rows: list[pn.viewable.Viewable] = []
        for user_message, replies in self.grouped_turns():
            rows.append(
                _message(
                    markdown(
                        user_message.content, hard_line_break=True, sizing_mode="stretch_width"
                    ),
                    user=self.actor.name,
                    avatar=_initial(self.actor.name),
                )
            )
            answered = {r.model for r in replies}
            answers = [self._reply_message(r) for r in replies]
            execution_id = user_message.execution_id
            if execution_id in self._turn_models:
                answers += [
                    self._pending_message(execution_id, step, model)
                    for step, model in self._turn_models[execution_id].items()
                    if model not in answered
                ]
            if answers:
                rows.append(pn.Row(*answers, sizing_mode="stretch_width"))
        if not rows:
            rows.append(literal(t("chat.say_something")))
        return pn.Column(*rows, sizing_mode="stretch_width")

    @param.depends("session")
    def _header(self) -> pn.viewable.Viewable:
        if self.session is None:
            return pn.Spacer(height=0)
        return pn.Column(
            heading(self.session.title, level=3),
            literal(self.t("chat.with_models", models=", ".join(self.session.models))),
        )

    @param.depends("session")
    def _composer(self) -> pn.viewable.Viewable:
        if self.session is None:
            return pn.Spacer(height=0)
        save = pn.Card(
            literal(self.t("chat.save_help")),
            pn.Row(self._project_select, self._save_button, align="end"),
            title=self.t("chat.save_as_agent"),
            collapsed=True,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            pn.Row(self._prompt_input, self._send_button, sizing_mode="stretch_width"),
            save,
            sizing_mode="stretch_width",
        )

    def __panel__(self) -> pn.viewable.Viewable:
        t = self.t
        new_chat = pn.Card(
            self._title_input,
            self._models_input,
            self._other_input,
            self._start_button,
            title=t("chat.new_chat"),
            sizing_mode="stretch_width",
        )
        side = pn.Column(
            new_chat, heading(t("chat.sessions"), level=4), self._session_list, width=300
        )
        main = pn.Column(
            self.messages,
            self._header,
            self._conversation,
            self._composer,
            sizing_mode="stretch_width",
        )
        return pn.Row(side, main, sizing_mode="stretch_width")


BUBBLE_CSS = """
.wb-avatar { width: 34px; height: 34px; border-radius: 50%; background: #e8eef6; color: #1f3a5f;
             display: flex; align-items: center; justify-content: center; font-weight: 700; }
"""


def _message(body, *, user: str, avatar: str, footer=()) -> pn.viewable.Viewable:
    """One chat message: avatar, who wrote it, the text, its figures.

    Built here rather than with `pn.chat.ChatMessage`, which puts the user name into an HTML pane
    unescaped and fetches its icon font from a CDN that a self-hosted workbench must not need.
    """
    return pn.Row(
        pn.pane.HTML(
            f'<div class="wb-avatar">{escape(avatar)}</div>', stylesheets=[BUBBLE_CSS], width=44
        ),
        pn.Column(
            literal(user, styles={"font-size": "0.85em", "font-weight": "600"}, margin=(0, 10)),
            pn.Column(
                body,
                styles={"background": "#f1f3f6", "border-radius": "10px", "padding": "2px 12px"},
                sizing_mode="stretch_width",
            ),
            *footer,
            sizing_mode="stretch_width",
        ),
        sizing_mode="stretch_width",
    )


def _initial(name: str | None) -> str:
    """A one-letter avatar: the first letter of a user's name or of a model's provider."""
    return next((c for c in (name or "") if c.isalnum()), "?").upper()


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)
