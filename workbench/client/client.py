"""`Client`: the workbench's REST API from Python, configured from the hub's environment.

    from workbench import Client
    client = Client()                    # inside a notebook server spawned by the hub
    client = Client(url, token=token)    # anywhere else
    project = client.projects.create("demo", exist_ok=True)
    agent = client.agents.create(project, spec)
    execution = agent.run({"topic": "tides"})   # waits, with a progress bar
    execution.steps_frame()

The namespaces (`projects`, `agents`, `executions`, `keys`) follow the API's resources, and
`analysis` reads the tracked executions from the workbench's MLflow; see
`workbench.client.config` for where the URL and token come from.
"""

from __future__ import annotations

from typing import Any

from workbench.client import endpoints
from workbench.client.agents import Agents
from workbench.client.analysis import Analysis
from workbench.client.config import Connection, resolve
from workbench.client.executions import Executions
from workbench.client.keys import Keys
from workbench.client.models import User
from workbench.client.projects import Projects
from workbench.client.transport import DEFAULT_TIMEOUT_S, Transport


class Client:
    """A connection to the workbench service as one hub user."""

    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.connection: Connection = resolve(url, token)
        self.transport = Transport(self.connection, timeout=timeout)
        self.projects = Projects(self)
        self.agents = Agents(self)
        self.executions = Executions(self)
        self.keys = Keys(self)
        self.analysis = Analysis(self)

    @property
    def service_url(self) -> str:
        return self.connection.service_url

    @property
    def dashboard_url(self) -> str:
        """The workbench's pages in the browser."""
        return self.connection.service_url + "ui/"

    def me(self) -> User:
        """Who the token belongs to, as the workbench knows them."""
        return User.model_validate(self.transport.send(endpoints.ME))

    def openapi(self) -> dict[str, Any]:
        """The API's OpenAPI document, as the server serves it."""
        document: dict[str, Any] = self.transport.send(endpoints.OPENAPI)
        return document

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.connection.service_url!r})"


def connect(url: str | None = None, *, token: str | None = None, check: bool = True) -> Client:
    """A `Client`; with `check`, after asking the server who the token belongs to, so a wrong
    URL or token fails here with the server's message rather than at the first real call."""
    client = Client(url, token=token)
    if check:
        try:
            client.me()
        except BaseException:
            client.close()
            raise
    return client
