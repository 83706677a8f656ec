"""Who is calling: the hub identity of a request, and why there is none when there is none.

The workbench runs as a JupyterHub *service*. `WorkbenchIdentityProvider` is jupyterhub's own
`JupyterHubIdentityProvider` (HubOAuth: `Authorization: token …`, or the service's OAuth cookie
after a browser login, which needs an XSRF token on POST/PUT/PATCH/DELETE), plus one thing the
REST layer needs: when nobody is identified it records why, so an API client hears 401 when it
sent no valid credentials and 403 when its token lacks `access:services!service=workbench`.

Authorization stays out of here: a `HubIdentity` only says who the hub says the caller is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jupyterhub.singleuser.extension import JupyterHubIdentityProvider, JupyterHubUser
from tornado.web import HTTPError, RequestHandler

# Why a request has no identity; the REST base handler turns these into 401 / 403.
NO_CREDENTIALS = "no_credentials"
REJECTED_CREDENTIALS = "rejected_credentials"
NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class HubIdentity:
    """The hub's model of the caller: a user (or, for metrics scrapers, a hub service)."""

    kind: str  # "user" or "service"
    name: str
    admin: bool
    groups: tuple[str, ...]
    scopes: frozenset[str]

    @classmethod
    def from_model(cls, model: dict[str, Any]) -> HubIdentity:
        return cls(
            kind=str(model.get("kind") or "user"),
            name=str(model["name"]),
            admin=bool(model.get("admin", False)),
            groups=tuple(model.get("groups") or ()),
            scopes=frozenset(model.get("scopes") or ()),
        )


def identity_of(user: object) -> HubIdentity | None:
    """The hub identity behind jupyter-server's `current_user`, if it came from a hub."""
    model = getattr(user, "hub_user", None)
    if not isinstance(model, dict) or "name" not in model:
        return None
    return HubIdentity.from_model(model)


def auth_failure(handler: RequestHandler) -> str:
    """Why `handler` has no identity (`NO_CREDENTIALS` unless a provider said otherwise)."""
    return getattr(handler, "_workbench_auth_failure", NO_CREDENTIALS)


def set_auth_failure(handler: RequestHandler, reason: str) -> None:
    handler._workbench_auth_failure = reason  # type: ignore[attr-defined]


def _forbid(*args: Any, **kwargs: Any) -> None:
    raise HTTPError(403, "your hub account may not use the workbench")


class WorkbenchIdentityProvider(JupyterHubIdentityProvider):
    """Hub OAuth identity for the workbench service, remembering why a request was refused."""

    async def get_user(self, handler: RequestHandler) -> JupyterHubUser | None:
        if hasattr(handler, "_jupyterhub_user"):
            return handler._jupyterhub_user
        self._patch_get_login_url(handler)
        self._patch_xsrf(handler)
        hub_auth = self.hub_auth
        sent_token = bool(hub_auth.get_token(handler, in_cookie=False))
        sent_cookie = bool(handler.get_cookie(hub_auth.cookie_name))
        model = await hub_auth.get_user(handler, sync=False)
        if model is None:
            handler._jupyterhub_user = None
            if sent_token or sent_cookie:
                # An unknown or expired token, or a cookie sent without its XSRF token.
                set_auth_failure(handler, REJECTED_CREDENTIALS)
            return None
        if not hub_auth.check_scopes(hub_auth.access_scopes, model):
            self.log.warning(
                "%s %s may not use the workbench (missing %s)",
                model.get("kind", "user"),
                model.get("name"),
                ", ".join(sorted(hub_auth.access_scopes)),
            )
            handler._jupyterhub_user = None
            set_auth_failure(handler, NOT_ALLOWED)
            # Pages must answer 403 too, not send a logged-in user back to the login page.
            handler.redirect = _forbid
            return None
        handler._jupyterhub_user = JupyterHubUser(model)
        hub_auth._persist_url_token_if_set(handler)
        return handler._jupyterhub_user
