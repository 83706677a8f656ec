"""Every REST operation the client uses, written as in the served OpenAPI document.

Paths are relative to the service URL (`…/services/workbench/`) and name their parameters
`{like_this}`; `tests/notebooks/test_client_api.py` checks each one against the document the
server serves, so the client cannot drift from the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

_PARAMETER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Endpoint:
    method: str  # lower case, as in OpenAPI
    path: str  # "/api/projects/{project_id}"

    def format(self, **parameters: str) -> str:
        """The path with its parameters filled in (each one percent-encoded as one segment)."""
        names = _PARAMETER.findall(self.path)
        missing = set(names) - set(parameters)
        if missing:
            raise TypeError(f"{self.path} needs {', '.join(sorted(missing))}")
        return _PARAMETER.sub(lambda m: quote(str(parameters[m.group(1)]), safe=""), self.path)


ME = Endpoint("get", "/api/me")
OPENAPI = Endpoint("get", "/api/openapi.json")

LIST_PROJECTS = Endpoint("get", "/api/projects")
CREATE_PROJECT = Endpoint("post", "/api/projects")
GET_PROJECT = Endpoint("get", "/api/projects/{project_id}")
UPDATE_PROJECT = Endpoint("patch", "/api/projects/{project_id}")
DELETE_PROJECT = Endpoint("delete", "/api/projects/{project_id}")

LIST_AGENTS = Endpoint("get", "/api/projects/{project_id}/agents")
CREATE_AGENT = Endpoint("post", "/api/projects/{project_id}/agents")
GET_AGENT = Endpoint("get", "/api/agents/{agent_id}")
UPDATE_AGENT = Endpoint("patch", "/api/agents/{agent_id}")
DELETE_AGENT = Endpoint("delete", "/api/agents/{agent_id}")

EXECUTE_AGENT = Endpoint("post", "/api/agents/{agent_id}/execute")
LIST_AGENT_EXECUTIONS = Endpoint("get", "/api/agents/{agent_id}/executions")
LIST_EXECUTIONS = Endpoint("get", "/api/executions")
GET_EXECUTION = Endpoint("get", "/api/executions/{execution_id}")
CANCEL_EXECUTION = Endpoint("post", "/api/executions/{execution_id}/cancel")
DELETE_EXECUTION = Endpoint("delete", "/api/executions/{execution_id}")
EXECUTION_STATUS = Endpoint("get", "/api/executions/{execution_id}/status")
LIVE_EXECUTION = Endpoint("get", "/api/executions/{execution_id}/live")  # a WebSocket

LIST_KEYS = Endpoint("get", "/api/apikeys")
CREATE_KEY = Endpoint("post", "/api/apikeys")
GET_KEY = Endpoint("get", "/api/apikeys/{key_id}")
UPDATE_KEY = Endpoint("patch", "/api/apikeys/{key_id}")
DELETE_KEY = Endpoint("delete", "/api/apikeys/{key_id}")

ENDPOINTS: tuple[Endpoint, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, Endpoint)
)
