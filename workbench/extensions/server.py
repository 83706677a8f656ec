"""The workbench service's jupyter-server: a web server for the workbench, not a notebook server.

The service holds the database URL and the master keys, and runs as a Unix user that must not be
lent to anybody, so everything a notebook server offers is left out (SECURITY.md S6):

- none of jupyter-server's own services (kernels, sessions, contents, files, terminals,
  kernelspecs, nbconvert, config, shutdown, events): only the workbench extension's handlers;
- no other server extension (jupyter-server-proxy's generic `/proxy/<port>`, Panel's preview
  extension, JupyterLab, terminals), and no jupyter config files from the user's or the
  system's config paths: the service is configured by its command line and its
  `--config` file only;
- identities come from JupyterHub (`WorkbenchIdentityProvider`); every handler needs one.

When the hub starts it (`workbench serve`), the address and URL prefix come from
`JUPYTERHUB_SERVICE_URL` and `JUPYTERHUB_SERVICE_PREFIX`.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from jupyter_server.serverapp import ServerApp
from traitlets import default

from workbench.config import log_level, traitlets_level
from workbench.extensions.identity import WorkbenchIdentityProvider

# Requests above this are refused by tornado before any handler sees them (it answers 400 and
# closes the connection); the API's own, smaller limit answers 413 (`WorkbenchApp.max_body_bytes`).
HARD_BODY_LIMIT = 16 * 1024 * 1024


class WorkbenchServerApp(ServerApp):
    """A jupyter-server carrying only the workbench extension."""

    name = "workbench-server"
    default_services = ()

    @property
    def config_file_paths(self) -> list[str]:
        return []

    @default("identity_provider_class")
    def _default_identity_provider_class(self) -> type:
        return WorkbenchIdentityProvider

    @default("allow_unauthenticated_access")
    def _default_allow_unauthenticated_access(self) -> bool:
        return False

    @default("allow_root")
    def _default_allow_root(self) -> bool:
        # jupyter-server refuses root because a notebook server runs users' code as that user;
        # this server runs none (see the module docstring).
        return True

    @default("terminals_enabled")
    def _default_terminals_enabled(self) -> bool:
        return False

    @default("open_browser")
    def _default_open_browser(self) -> bool:
        return False

    @default("log_level")
    def _default_log_level(self) -> str:
        # WORKBENCH_LOG_LEVEL: INFO in production, WARNING under `workbench up`.
        return traitlets_level(log_level())

    @default("ip")
    def _default_ip(self) -> str:
        return _service_address()[0] or "127.0.0.1"

    @default("port")
    def _default_port(self) -> int:
        return _service_address()[1] or 8890

    @default("port_retries")
    def _default_port_retries(self) -> int:
        # The hub proxies a fixed address: another port would be unreachable.
        return 0

    @default("base_url")
    def _default_base_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/"

    @default("reraise_server_extension_failures")
    def _default_reraise(self) -> bool:
        # Without its extension the service would be an empty server: refuse to start instead.
        return True

    @default("max_body_size")
    def _default_max_body_size(self) -> int:
        return HARD_BODY_LIMIT

    @default("max_buffer_size")
    def _default_max_buffer_size(self) -> int:
        return HARD_BODY_LIMIT

    def init_configurables(self) -> None:
        super().init_configurables()
        # No /files/ route: jupyter-server needs a contents manager, but it serves nothing here.
        self.contents_manager.files_handler_class = None

    def init_webapp(self) -> None:
        super().init_webapp()
        # Tornado's own XSRF check runs before authentication, when it cannot know that a
        # request came with a token; jupyter-server checks XSRF after authenticating instead,
        # for cookie-authenticated requests only (as jupyterhub-singleuser does).
        self.web_app.settings["xsrf_cookies"] = False

    def init_server_extensions(self) -> None:
        # Only the extension that launched this server, whatever the environment enables.
        self.jpserver_extensions = {
            name: enabled for name, enabled in self.jpserver_extensions.items() if _is_ours(name)
        }
        super().init_server_extensions()


def _is_ours(module: str) -> bool:
    return module == "workbench.extensions" or module.startswith("workbench.")


def _service_address() -> tuple[str | None, int | None]:
    """Host and port from JUPYTERHUB_SERVICE_URL, where the hub expects this service."""
    url = os.environ.get("JUPYTERHUB_SERVICE_URL")
    if not url:
        return None, None
    parsed = urlparse(url)
    return parsed.hostname, parsed.port
