"""The service layer: the one place where resources are created, read, listed, changed, deleted.

Every call takes the acting user first (`Actor`) and decides access there; results are frozen
dataclasses from `workbench.services.entities`; errors are `workbench.errors` types.
"""

from workbench.db.enums import ChatRole, ExecutionStatus, Role, StepStatus, TrackingStatus
from workbench.services.actor import SYSTEM, Actor
from workbench.services.agents import AgentCreate, AgentUpdate
from workbench.services.chat import ChatMessageCreate, ChatSessionCreate, ChatSessionUpdate
from workbench.services.entities import (
    APIKey,
    AuditEvent,
    ChatMessage,
    ChatSession,
    Execution,
    ExecutionStep,
    Page,
    Project,
    TaskAgent,
    User,
)
from workbench.services.facade import Services
from workbench.services.keys import KEY_PROVIDERS, KeyCreate, KeyUpdate, mask_key
from workbench.services.projects import ProjectCreate, ProjectUpdate
from workbench.services.usage import UsageRow
from workbench.services.users import UserUpdate
from workbench.services.validation import DEFAULT_LIMIT, MAX_LIMIT

__all__ = [
    "DEFAULT_LIMIT",
    "KEY_PROVIDERS",
    "MAX_LIMIT",
    "SYSTEM",
    "APIKey",
    "Actor",
    "AgentCreate",
    "AgentUpdate",
    "AuditEvent",
    "ChatMessage",
    "ChatMessageCreate",
    "ChatRole",
    "ChatSession",
    "ChatSessionCreate",
    "ChatSessionUpdate",
    "Execution",
    "ExecutionStatus",
    "ExecutionStep",
    "KeyCreate",
    "KeyUpdate",
    "Page",
    "Project",
    "ProjectCreate",
    "ProjectUpdate",
    "Role",
    "Services",
    "StepStatus",
    "TaskAgent",
    "TrackingStatus",
    "UsageRow",
    "User",
    "UserUpdate",
    "mask_key",
]
