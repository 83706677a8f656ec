"""The demo project seeded on a fresh workbench: two agents that run on the offline demo model.

`seed_demo(services, owner)` gives `owner` (the first administrator) a "Demo" project with the
agents in this folder's YAML files, when no project exists yet, so a first run can execute an
agent end to end before anyone has stored an API key. It does nothing on a database that already
has projects, so it is safe on every start.
"""

from __future__ import annotations

import logging
from pathlib import Path

from agents.spec import AgentSpec
from workbench.services import SYSTEM, Project, Services

log = logging.getLogger(__name__)

DEMO_PROJECT = "Demo"
DEMO_DESCRIPTION = (
    "Two example agents on the offline demo model (its answers are canned and say so). "
    "Execute them, watch the steps, then copy one and pick real models once you have a key."
)
SPEC_DIR = Path(__file__).parent


def demo_specs() -> list[AgentSpec]:
    return [AgentSpec.from_yaml(path.read_text()) for path in sorted(SPEC_DIR.glob("*.yaml"))]


def seed_demo(services: Services, owner: str) -> Project | None:
    """Create the demo project for `owner` on a database without projects; else do nothing."""
    if services.projects.list_projects(SYSTEM, all_users=True, limit=1).total:
        return None
    user = services.users.ensure_user(owner, admin=True)
    actor = services.users.actor_for(user)
    project = services.projects.create_project(
        actor, {"name": DEMO_PROJECT, "description": DEMO_DESCRIPTION}
    )
    for spec in demo_specs():
        configuration, substeps = spec.to_columns()
        services.agents.create_agent(
            actor,
            project.id,
            {
                "name": spec.name,
                "description": spec.description or "",
                "configuration": configuration,
                "substeps": substeps,
            },
        )
    log.info("seeded the demo project for %s", owner)
    return project
