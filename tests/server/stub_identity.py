"""A stub of the hub's identity, for a workbench service run without JupyterHub in tests.

`Authorization: token user:<name>` is the hub user `<name>`; `token admin:<name>` a hub admin.
It hands the extension the same hub user model `JupyterHubIdentityProvider` would (name, kind,
admin, groups, scopes), so everything after authentication is the real code. Load it with a
server config file: `c.WorkbenchServerApp.identity_provider_class = StubHubIdentityProvider`.
"""

from __future__ import annotations

import re

from jupyter_server.auth import IdentityProvider
from jupyterhub.singleuser.extension import JupyterHubUser
from tornado.web import RequestHandler

_TOKEN = re.compile(r"^token (user|admin):([a-z0-9-]{1,40})$")
SCOPES = ["access:services!service=workbench", "read:users:name!user", "read:users:groups!user"]


class StubHubIdentityProvider(IdentityProvider):
    def get_user(self, handler: RequestHandler) -> JupyterHubUser | None:
        match = _TOKEN.match(handler.request.headers.get("Authorization", ""))
        if match is None:
            return None
        kind, name = match.groups()
        handler._token_authenticated = True  # type: ignore[attr-defined]
        return JupyterHubUser(
            {"kind": "user", "name": name, "admin": kind == "admin", "groups": [], "scopes": SCOPES}
        )

    def is_token_authenticated(self, handler: RequestHandler) -> bool:
        return getattr(handler, "_token_authenticated", False)

    def validate_security(self, app: object, ssl_options: object = None) -> None:
        return
