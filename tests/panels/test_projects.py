"""The project list page, without a browser, against the real service layer."""

from __future__ import annotations

from workbench.panels.projects import ProjectListPage


def test_project_list_shows_only_the_visitors_projects(services, alice, bob, page_context):
    services.projects.create_project(alice, {"name": "Alpha"})
    services.projects.create_project(bob, {"name": "Bobs secret"})
    page = ProjectListPage(page_context(alice))
    assert list(page.frame()["name"]) == ["Alpha"]


def test_creating_a_project_lists_it_and_clears_the_form(services, alice, page_context):
    page = ProjectListPage(page_context(alice))
    page.new_name, page.new_description = "Translation", "EN to JA"
    page.create()
    assert [p.name for p in services.projects.list_projects(alice).items] == ["Translation"]
    assert list(page.frame()["name"]) == ["Translation"]
    assert page.new_name == ""
    assert "Translation" in page.message_text


def test_creating_a_project_without_a_name_says_which_field(services, alice, page_context):
    page = ProjectListPage(page_context(alice))
    page.new_name = ""
    page.create()
    assert services.projects.list_projects(alice).total == 0
    assert page.t("field.name") in page.message_text


def test_a_duplicate_name_is_explained_in_japanese(services, alice, page_context):
    services.projects.create_project(alice, {"name": "Alpha"})
    page = ProjectListPage(page_context(alice, "ja"))
    page.new_name = "Alpha"
    page.create()
    assert services.projects.list_projects(alice).total == 1
    assert "Alpha" in page.message_text
    assert page.message_text.startswith(page.t("error.conflict.name"))


def test_search_filters_by_name_and_description(services, alice, page_context):
    services.projects.create_project(alice, {"name": "Alpha", "description": "summaries"})
    services.projects.create_project(alice, {"name": "Beta", "description": "translation"})
    page = ProjectListPage(page_context(alice))
    page.search = "TRANS"
    assert list(page.frame()["name"]) == ["Beta"]
    page.search = "alp"
    assert list(page.frame()["name"]) == ["Alpha"]


def test_rename_changes_the_selected_project(services, alice, page_context):
    project = services.projects.create_project(alice, {"name": "Alpha"})
    page = ProjectListPage(page_context(alice))
    page.select(page.projects[0])
    page.rename_to = "Gamma"
    page.rename()
    assert services.projects.get_project(alice, project.id).name == "Gamma"
    assert list(page.frame()["name"]) == ["Gamma"]


def test_delete_needs_confirmation(services, alice, page_context):
    services.projects.create_project(alice, {"name": "Alpha"})
    page = ProjectListPage(page_context(alice))
    page.select(page.projects[0])
    page.confirm_delete()  # not asked yet: nothing happens
    assert services.projects.list_projects(alice).total == 1
    page.request_delete()
    page.cancel_delete()
    page.confirm_delete()
    assert services.projects.list_projects(alice).total == 1
    page.request_delete()
    page.confirm_delete()
    assert services.projects.list_projects(alice).total == 0
    assert page.selected is None


def test_project_links_open_the_project_page(services, alice, page_context):
    project = services.projects.create_project(alice, {"name": "Alpha"})
    page = ProjectListPage(page_context(alice))
    assert page.frame()["url"][0] == f"/services/workbench/ui/project?id={project.id}"
