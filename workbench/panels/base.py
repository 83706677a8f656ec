"""The base of every page: a Panel `Viewer` holding its visitor's context and a message area."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar

import panel as pn

from workbench.errors import WorkbenchError
from workbench.panels.context import PageContext
from workbench.panels.messages import PageProblem, error_message
from workbench.panels.text import alert

if TYPE_CHECKING:
    from workbench.services import Services
    from workbench.services.actor import Actor

log = logging.getLogger(__name__)


class Page(pn.viewable.Viewer):
    """A dashboard page. Subclasses set `title_key` and build their view in `__panel__`.

    Callbacks that change something run inside `with self.guard():`, which turns a domain error
    (or a `PageProblem` the page raised itself) into a readable message in `self.messages`, and
    anything unexpected into a logged, generic one.
    """

    title_key: ClassVar[str] = "app.name"

    def __init__(self, context: PageContext, **params) -> None:
        super().__init__(**params)
        self.context = context
        self.t = context.t
        self.messages = pn.Column(sizing_mode="stretch_width")
        self.message_text = ""  # what the message area says, as plain text

    @property
    def actor(self) -> Actor:
        return self.context.actor

    @property
    def services(self) -> Services:
        return self.context.services

    @property
    def in_server(self) -> bool:
        """Whether this page lives in a browser session (and may use its document)."""
        return self.context.in_server

    def show_error(self, error: WorkbenchError | PageProblem | None) -> None:
        self._show(error_message(self.t, error), "danger")

    def show_success(self, text: str) -> None:
        self._show(text, "success")

    def show_warning(self, text: str) -> None:
        self._show(text, "warning")

    def clear_messages(self) -> None:
        self.message_text = ""
        self.messages.clear()

    def _show(self, text: str, kind: str) -> None:
        self.message_text = text
        self.messages[:] = [alert(text, kind=kind)]

    @contextmanager
    def guard(self) -> Iterator[None]:
        try:
            yield
        except (WorkbenchError, PageProblem) as error:
            self.show_error(error)
        except Exception:
            log.exception("a dashboard action failed on %s", type(self).__name__)
            self.show_error(None)
