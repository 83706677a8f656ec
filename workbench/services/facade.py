"""`Services`: the one object the web layers and notebooks' server side are given.

Built from a session factory and the key vault; each resource is a namespace
(`services.projects.create_project(actor, ...)`). See docs/architecture.md, "service layer".
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from workbench.config import Settings
from workbench.db.engine import Database
from workbench.keyvault.vault import KeyVault
from workbench.services.agents import AgentService
from workbench.services.audit import AuditService
from workbench.services.chat import ChatService
from workbench.services.executions import ExecutionService
from workbench.services.keys import KeyService
from workbench.services.projects import ProjectService
from workbench.services.usage import UsageService
from workbench.services.users import UserService


class Services:
    def __init__(self, session_factory: sessionmaker[Session], vault: KeyVault) -> None:
        self.users = UserService(session_factory)
        self.projects = ProjectService(session_factory)
        self.agents = AgentService(session_factory)
        self.executions = ExecutionService(session_factory)
        self.keys = KeyService(session_factory, vault)
        self.chat = ChatService(session_factory)
        self.audit = AuditService(session_factory)
        self.usage = UsageService(session_factory)

    @classmethod
    def from_settings(cls, settings: Settings) -> tuple[Services, Database]:
        """Services on the configured database and master keys; dispose the database at exit.

        Fails with `SecretKeyError` naming WORKBENCH_SECRET_KEYS when no master key is
        configured outside the embedded default. Does not check the schema: the server calls
        `workbench.db.check_schema(database.engine)` at start-up.
        """
        vault = KeyVault.from_settings(settings)
        database = Database.from_url(settings.resolved_database_url)
        return cls(database.session_factory, vault), database
