"""API management: the visitor's provider keys, masked; add, delete (after confirming), test.

A key's plaintext exists only in the password box while it is typed: adding clears the box, and
from then on only the masked hint (`sk-…abcd`) is ever shown. A key's test result is said in the
visitor's language: each outcome the runner names (accepted, refused, rate-limited, unreachable,
...) has a catalogue sentence (`check_sentence`). Administrators also see the model usage of
every user over the last 30 days.
"""

from __future__ import annotations

import asyncio

import pandas as pd
import panel as pn
import param

from workbench.i18n import Translator
from workbench.panels.base import Page
from workbench.panels.context import KeyCheck
from workbench.panels.tables import table
from workbench.panels.text import alert, heading, literal
from workbench.panels.usage import usage_frame, window_start
from workbench.panels.visuals import format_cost, format_tokens
from workbench.services import KEY_PROVIDERS, MAX_LIMIT, APIKey

USAGE_DAYS = 30


def check_sentence(t: Translator, result: KeyCheck) -> str:
    """A key check's outcome in `t`'s language; one without a known outcome keeps the runner's
    words as details (they follow the translated verdict)."""
    if result.outcome is not None:
        return t(f"keys.check.{result.outcome}", **result.values)
    return t("error.details", details=result.message) if result.message else ""


class KeysPage(Page):
    title_key = "keys.title"

    provider = param.Selector(objects=list(KEY_PROVIDERS), default=KEY_PROVIDERS[0])
    label = param.String(default="")
    api_key = param.String(default="")  # The plaintext while it is typed; cleared on adding.
    base_url = param.String(default="")
    keys = param.List(default=[])
    selected = param.ClassSelector(class_=APIKey, default=None, allow_None=True)
    confirming_delete = param.Boolean(default=False)
    check_text = param.String(default="")
    check_ok = param.Boolean(default=None, allow_None=True)
    checking = param.Boolean(default=False)

    def __init__(self, context, **params) -> None:
        super().__init__(context, **params)
        t = self.t
        self._provider_input = pn.widgets.Select.from_param(
            self.param.provider, label=t("keys.provider")
        )
        self._label_input = pn.widgets.TextInput.from_param(
            self.param.label, label=t("keys.label"), placeholder=t("keys.label_hint")
        )
        self._key_input = pn.widgets.PasswordInput.from_param(
            self.param.api_key, label=t("keys.key"), placeholder=t("keys.key_hint")
        )
        self._base_url_input = pn.widgets.TextInput.from_param(
            self.param.base_url, label=t("keys.base_url"), placeholder=t("keys.base_url_hint")
        )
        self._add_button = pn.widgets.Button(
            label=t("keys.add"), color="primary", on_click=lambda _: self.add()
        )
        self._test_button = pn.widgets.Button(
            label=t("keys.test"), on_click=self._on_test, disabled=context.runner is None
        )
        self._delete_button = pn.widgets.Button(
            label=t("keys.delete"),
            color="danger",
            variant="outline",
            on_click=lambda _: self.request_delete(),
        )
        self._confirm_button = pn.widgets.Button(
            label=t("keys.delete_confirm"),
            color="danger",
            on_click=lambda _: self.confirm_delete(),
        )
        self._cancel_button = pn.widgets.Button(
            label=t("common.cancel"), on_click=lambda _: self.cancel_delete()
        )
        self.refresh()

    # -- data ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        with self.guard():
            self.keys = list(self.services.keys.list_keys(self.actor, limit=MAX_LIMIT).items)

    # -- actions -------------------------------------------------------------------------------

    def add(self) -> APIKey | None:
        data = {
            "provider": self.provider,
            "api_key": self.api_key,
            "label": self.label or None,
            "base_url": self.base_url or None,
        }
        with self.guard():
            key = self.services.keys.create_key(self.actor, data)
            self.api_key = ""
            self.label = self.base_url = ""
            self.refresh()
            self.show_success(self.t("keys.added", provider=key.provider, hint=key.hint))
            return key
        return None

    def select(self, key: APIKey | None) -> None:
        self.selected = key
        self.confirming_delete = False
        self.check_text, self.check_ok = "", None

    def request_delete(self) -> None:
        if self.selected is not None:
            self.confirming_delete = True

    def cancel_delete(self) -> None:
        self.confirming_delete = False

    def confirm_delete(self) -> None:
        if self.selected is None or not self.confirming_delete:
            return
        hint = self.selected.hint
        with self.guard():
            self.services.keys.delete_key(self.actor, self.selected.id)
            self.select(None)
            self.refresh()
            self.show_success(self.t("keys.deleted", hint=hint))

    def test_selected(self) -> None:
        """Try the selected key with a cheap call, here and now (the button runs it on a thread)."""
        if self.selected is None or self.context.runner is None:
            return
        with self.guard():
            self._show_check(self.context.runner.check_key(self.actor, self.selected.id))

    async def _on_test(self, _event: object) -> None:
        if self.selected is None or self.context.runner is None:
            return
        self.checking = True
        self.check_text, self.check_ok = self.t("keys.testing"), None
        try:
            with self.guard():
                check = self.context.runner.check_key
                self._show_check(await asyncio.to_thread(check, self.actor, self.selected.id))
        finally:
            self.checking = False

    def _show_check(self, result: KeyCheck) -> None:
        self.check_ok = bool(result.ok)
        verdict = self.t("keys.test_ok") if result.ok else self.t("keys.test_failed")
        self.check_text = f"{verdict} {check_sentence(self.t, result)}".strip()

    # -- admin ---------------------------------------------------------------------------------

    def usage_by_user(self) -> pd.DataFrame:
        """Per user: model calls, tokens and known spend over the last 30 days, and how many
        calls had no known price (administrators only; summed by the service layer)."""
        columns = ["user", "calls", "tokens", "cost", "unpriced_calls"]
        if not self.actor.is_admin:
            return pd.DataFrame(columns=columns)
        rows = self.services.usage.daily_usage(
            self.actor, since=window_start(USAGE_DAYS), all_users=True
        )
        totals = usage_frame(rows, by=("user_id",))
        if totals.empty:
            return pd.DataFrame(columns=columns)
        names = {
            u.id: u.name for u in self.services.users.list_users(self.actor, limit=MAX_LIMIT).items
        }
        totals = totals.sort_values(["cost_usd", "tokens"], ascending=False)
        return pd.DataFrame(
            [
                {
                    "user": names.get(row.user_id, str(row.user_id)),
                    "calls": int(row.calls),
                    "tokens": format_tokens(int(row.tokens)),
                    "cost": format_cost(float(row.cost_usd)),
                    "unpriced_calls": int(row.unpriced_calls),
                }
                for row in totals.itertuples()
            ],
            columns=columns,
        )

    # -- view ----------------------------------------------------------------------------------

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "provider": k.provider,
                    "label": k.label or "",
                    "hint": k.hint,
                    "base_url": k.base_url or "",
                    "last_used": k.last_used_at.strftime("%Y-%m-%d %H:%M UTC")
                    if k.last_used_at
                    else "—",
                    "created": k.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                }
                for k in self.keys
            ],
            columns=["provider", "label", "hint", "base_url", "last_used", "created"],
        )

    @param.depends("provider")
    def _base_url_field(self) -> pn.viewable.Viewable:
        return self._base_url_input if self.provider == "openai-compatible" else pn.Spacer(height=0)

    @param.depends("keys")
    def _table(self) -> pn.viewable.Viewable:
        if not self.keys:
            return literal(self.t("keys.none"))
        widget = table(
            self.frame(),
            self.t,
            titles={
                "provider": "common.provider",
                "label": "keys.label",
                "hint": "keys.hint",
                "base_url": "keys.base_url",
                "last_used": "keys.last_used",
                "created": "common.created",
            },
            selectable=1,
        )
        widget.param.watch(self._on_selection, "selection")
        return widget

    def _on_selection(self, event: param.parameterized.Event) -> None:
        rows = event.new
        self.select(self.keys[rows[0]] if rows and rows[0] < len(self.keys) else None)

    @param.depends("selected", "confirming_delete", "check_text", "checking", "keys")
    def _actions(self) -> pn.viewable.Viewable:
        if self.selected is None:
            if not self.keys:
                return pn.Spacer(height=0)  # the table's place already says there are none
            return literal(self.t("keys.select_hint"))
        if self.confirming_delete:
            return pn.Column(
                alert(self.t("keys.delete_question", hint=self.selected.hint), kind="warning"),
                pn.Row(self._confirm_button, self._cancel_button),
            )
        self._test_button.loading = self.checking
        parts: list[pn.viewable.Viewable] = [pn.Row(self._test_button, self._delete_button)]
        if self.check_text:
            kind = {True: "success", False: "danger", None: "info"}[self.check_ok]
            parts.append(alert(self.check_text, kind=kind))
        return pn.Column(*parts)

    def __panel__(self) -> pn.viewable.Viewable:
        t = self.t
        form = pn.Card(
            literal(t("keys.add_help")),
            self._provider_input,
            self._label_input,
            self._key_input,
            self._base_url_field,
            self._add_button,
            title=t("keys.new"),
            sizing_mode="stretch_width",
        )
        parts: list[pn.viewable.Viewable] = [
            self.messages,
            form,
            heading(t("keys.yours"), level=4),
            self._table,
            self._actions,
        ]
        if self.actor.is_admin:
            parts += [
                heading(t("keys.usage_by_user", days=USAGE_DAYS), level=4),
                table(
                    self.usage_by_user(),
                    t,
                    titles={
                        "user": "keys.user",
                        "calls": "keys.calls",
                        "tokens": "common.tokens",
                        "cost": "keys.known_cost",
                        "unpriced_calls": "keys.unpriced_calls",
                    },
                ),
            ]
        return pn.Column(*parts, sizing_mode="stretch_width")
