"""Project list: the visitor's projects; create, rename, delete (after confirming), search."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from workbench.panels.base import Page
from workbench.panels.tables import table
from workbench.panels.text import alert, literal
from workbench.services import MAX_LIMIT, Project


class ProjectListPage(Page):
    title_key = "projects.title"

    search = param.String(default="")  # Only projects whose name or description contain this.
    new_name = param.String(default="")
    new_description = param.String(default="")
    projects = param.List(default=[])  # The visitor's projects, by name.
    selected = param.ClassSelector(class_=Project, default=None, allow_None=True)
    rename_to = param.String(default="")
    confirming_delete = param.Boolean(default=False)

    def __init__(self, context, **params) -> None:
        super().__init__(context, **params)
        t = self.t
        self._search_input = pn.widgets.TextInput.from_param(
            self.param.search, label="", placeholder=t("projects.search"), onkeyup=True
        )
        self._name_input = pn.widgets.TextInput.from_param(
            self.param.new_name, label=t("projects.name"), placeholder=t("projects.name_hint")
        )
        self._description_input = pn.widgets.TextAreaInput.from_param(
            self.param.new_description, label=t("projects.description"), height=80
        )
        self._create_button = pn.widgets.Button(
            label=t("projects.create"), color="primary", on_click=lambda _: self.create()
        )
        self._rename_input = pn.widgets.TextInput.from_param(
            self.param.rename_to, label=t("projects.rename_to")
        )
        self._rename_button = pn.widgets.Button(
            label=t("projects.rename"), on_click=lambda _: self.rename()
        )
        self._delete_button = pn.widgets.Button(
            label=t("projects.delete"),
            color="danger",
            variant="outline",
            on_click=lambda _: self.request_delete(),
        )
        self._confirm_button = pn.widgets.Button(
            label=t("projects.delete_confirm"),
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
            page = self.services.projects.list_projects(self.actor, limit=MAX_LIMIT)
            self.projects = list(page.items)
            if self.selected is not None:
                self.selected = next((p for p in self.projects if p.id == self.selected.id), None)

    @property
    def visible_projects(self) -> list[Project]:
        needle = self.search.strip().casefold()
        if not needle:
            return list(self.projects)
        return [
            p
            for p in self.projects
            if needle in p.name.casefold() or needle in (p.description or "").casefold()
        ]

    # -- actions -------------------------------------------------------------------------------

    def create(self) -> Project | None:
        with self.guard():
            project = self.services.projects.create_project(
                self.actor, {"name": self.new_name, "description": self.new_description}
            )
            self.new_name = self.new_description = ""
            self.refresh()
            self.show_success(self.t("projects.created", name=project.name))
            return project
        return None

    def select(self, project: Project | None) -> None:
        self.selected = project
        self.rename_to = project.name if project else ""
        self.confirming_delete = False

    def rename(self) -> None:
        if self.selected is None:
            return
        with self.guard():
            project = self.services.projects.update_project(
                self.actor, self.selected.id, {"name": self.rename_to}
            )
            self.refresh()
            self.select(project)
            self.show_success(self.t("projects.renamed", name=project.name))

    def request_delete(self) -> None:
        if self.selected is not None:
            self.confirming_delete = True

    def cancel_delete(self) -> None:
        self.confirming_delete = False

    def confirm_delete(self) -> None:
        if self.selected is None or not self.confirming_delete:
            return
        name = self.selected.name
        with self.guard():
            self.services.projects.delete_project(self.actor, self.selected.id)
            self.select(None)
            self.refresh()
            self.show_success(self.t("projects.deleted", name=name))

    # -- view ----------------------------------------------------------------------------------

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "name": p.name,
                    "description": p.description,
                    "updated": p.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
                    "url": self.context.urls.page("/project", id=p.id),
                    "id": str(p.id),
                }
                for p in self.visible_projects
            ],
            columns=["name", "description", "updated", "url", "id"],
        )

    @param.depends("projects", "search")
    def _table(self) -> pn.viewable.Viewable:
        if not self.projects:
            return literal(self.t("projects.none"))
        widget = table(
            self.frame(),
            self.t,
            titles={
                "name": "projects.name",
                "description": "projects.description",
                "updated": "common.updated",
            },
            links={"name": "url"},
            selectable=1,
        )
        widget.param.watch(self._on_selection, "selection")
        return widget

    def _on_selection(self, event: param.parameterized.Event) -> None:
        visible = self.visible_projects
        self.select(visible[event.new[0]] if event.new and event.new[0] < len(visible) else None)

    @param.depends("selected", "confirming_delete", "projects", "search")
    def _actions(self) -> pn.viewable.Viewable:
        if self.selected is None:
            if not self.visible_projects:
                return pn.Spacer(height=0)  # the table's place already says there are none
            return literal(self.t("projects.select_hint"))
        if self.confirming_delete:
            return pn.Column(
                alert(self.t("projects.delete_question", name=self.selected.name), kind="warning"),
                pn.Row(self._confirm_button, self._cancel_button),
            )
        return pn.Row(self._rename_input, self._rename_button, self._delete_button)

    def __panel__(self) -> pn.viewable.Viewable:
        new_project = pn.Card(
            self._name_input,
            self._description_input,
            self._create_button,
            title=self.t("projects.new"),
            collapsed=False,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            self.messages,
            new_project,
            self._search_input,
            self._table,
            self._actions,
            sizing_mode="stretch_width",
        )
