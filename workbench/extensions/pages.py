"""The service's front door for browsers: `<prefix>` logs the visitor in, then opens the dashboard.

A browser without the service's cookie is sent through the hub's OAuth login first (HubOAuth's
redirect, `JupyterHubIdentityProvider`), so following the hub's link to the workbench, or any
bookmark of it, ends on the dashboard logged in.
"""

from __future__ import annotations

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado import web

DASHBOARD_PATH = "ui/"


class HomeHandler(ExtensionHandlerMixin, JupyterHandler):
    @web.authenticated
    async def get(self) -> None:
        # Sets the `_xsrf` cookie: browser code calling the API with the login cookie sends it
        # back as the X-XSRFToken header on POST, PUT, PATCH and DELETE.
        _ = self.xsrf_token
        self.redirect(url_path_join(self.base_url, DASHBOARD_PATH))


default_handlers = [("/?", HomeHandler)]
