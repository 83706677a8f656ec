"""`workbench up`: JupyterHub with its proxy and the workbench service, in the foreground.

The hub starts configurable-http-proxy and the workbench service itself, and stops both when it
stops: Ctrl-C (SIGINT) or SIGTERM shuts everything down. An optional hub config file
(`--config`) is loaded on top of the embedded default, e.g. to add services or change the
authenticator.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import signal
import ssl
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from jupyter_events.utils import JupyterEventsVersionWarning
from jupyterhub.app import JupyterHub
from jupyterhub.objects import Server
from jupyterhub.services.service import Service
from jupyterhub.utils import AnyTimeoutError, make_ssl_context

from workbench.config import Settings
from workbench.hub.config import SERVICE_PREFIX, HubOptions, console_level, hub_config


def admin_users(environment: Mapping[str, str]) -> tuple[str, ...]:
    """WORKBENCH_ADMIN_USERS (comma-separated), else whoever runs the workbench."""
    configured = [
        name.strip().lower()
        for name in environment.get("WORKBENCH_ADMIN_USERS", "").split(",")
        if name.strip()
    ]
    return tuple(configured) if configured else (getpass.getuser().lower(),)


def banner(options: HubOptions) -> str:
    """What to do next, printed before the hub starts."""
    admins = ", ".join(options.admin_users)
    url = options.public_url
    approval = (
        "anyone may sign up (open sign-up)"
        if options.open_signup
        else f"other people sign up at {url}/hub/signup and an administrator approves them "
        f"at {url}/hub/authorize"
    )
    return "\n".join(
        [
            "",
            f"  Multi-LLM Workbench: {url}/",
            "",
            f"  First time? Sign up as {admins} at {url}/hub/signup (a password of at least "
            f"{options.minimum_password_length} characters):",
            "  that account is the administrator (WORKBENCH_ADMIN_USERS names others), and then",
            f"  log in at {url}/hub/login. {approval[0].upper()}{approval[1:]}.",
            f"  REST API: {url}{SERVICE_PREFIX}api/  (Authorization: token <a token from "
            f"{url}/hub/token>)",
            "  Ctrl-C stops everything.",
            "",
        ]
    )


LOCAL_CONFIG_TEMPLATE = """\
# Extra JupyterHub configuration for `workbench up`, loaded on top of the embedded default
# (workbench/hub/config.py). For example, to let anyone sign up without approval:
#
#     c.NativeAuthenticator.open_signup = True
"""


def local_config_file(options: HubOptions) -> Path:
    """The data directory's hub config file, created (all comments) on first start."""
    path = options.hub_dir / "jupyterhub_config.py"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LOCAL_CONFIG_TEMPLATE)
    return path


SERVICE_START_TIMEOUT_S = 90.0

# Warnings the hub logs on every start of the embedded default, none of which a newcomer can or
# should act on; shown again with `workbench up --log-level INFO` (or --debug).
EXPECTED_WARNINGS = (
    # NativeAuthenticator still uses the hub's shared database session.
    "The shared database session at Authenticator.db is deprecated",
    # Deliberate: the workbench is the hub's own service (hub_config's oauth_no_confirm).
    "Allowing service workbench to complete OAuth without confirmation",
    # The proxy starts without routes; the hub adds the service's route as it comes up.
    "Adding missing route for workbench",
)
LOOPBACK_WARNINGS = (
    # Plain HTTP is what a loopback address serves; on any other address it is worth a warning.
    "Running JupyterHub without SSL",
)


class ExpectedWarnings(logging.Filter):
    """Drops the hub's routine warnings (see `EXPECTED_WARNINGS`) from the console."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__()
        self.messages = tuple(messages)

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.WARNING
            and record.getMessage().lstrip().startswith(self.messages)
        )


class WorkbenchHub(JupyterHub):
    """JupyterHub for `workbench up`: a quiet console, and patience with the workbench service.

    JupyterHub gives a managed service about ten seconds to answer and then logs a CRITICAL
    error (exiting, for a service it cannot reach); the workbench service imports
    jupyter-server, Panel, MLflow and the provider SDKs first, which on a loaded two-core
    machine takes longer than that. This hub waits up to `SERVICE_START_TIMEOUT_S` for it, as
    long as the process runs, and says nothing unless it fails. Once everything answers, it
    prints where to go.
    """

    quiet_messages: tuple[str, ...] = ()
    ready_message = ""

    def init_logging(self) -> None:
        super().init_logging()
        if self.quiet_messages:
            quiet = ExpectedWarnings(self.quiet_messages)
            for handler in self.log.handlers:
                handler.addFilter(quiet)

    async def start_service(
        self, service_name: str, service: Service, ssl_context: ssl.SSLContext | None = None
    ) -> bool:
        if not (service.managed and service.url):
            return await super().start_service(service_name, service, ssl_context)
        if ssl_context is None:
            ssl_context = make_ssl_context(
                self.internal_ssl_key,
                self.internal_ssl_cert,
                cafile=self.internal_ssl_ca,
                purpose=ssl.Purpose.CLIENT_AUTH,
            )
        self.log.info("Starting managed service %s at %s", service_name, service.url)
        try:
            await service.start()
        except Exception:
            self.log.critical("Failed to start service %s", service_name, exc_info=True)
            return False
        server = Server.from_orm(service.orm.server)
        deadline = time.monotonic() + SERVICE_START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                await server.wait_up(http=True, timeout=1, ssl_context=ssl_context)
            except AnyTimeoutError:
                status = await service.spawner.poll()
                if status is not None:
                    self.log.critical("Service %s exited with status %s", service_name, status)
                    return False
            else:
                return True
        self.log.critical(
            "Service %s did not answer within %.0f s", service_name, SERVICE_START_TIMEOUT_S
        )
        return False

    async def start(self) -> None:
        await super().start()
        if self.ready_message:
            print(self.ready_message, flush=True)


def run(
    options: HubOptions,
    *,
    config_file: Path | None = None,
    hub_argv: Sequence[str] = (),
) -> int:
    """Run the hub until it is stopped; returns the exit status."""
    config = hub_config(options)
    print(banner(options), flush=True)
    if config_file is None:
        # Never a stray jupyterhub_config.py from the current directory: the data directory's.
        config_file = local_config_file(options)
    argv = [*hub_argv, f"--JupyterHub.config_file={config_file}"]
    quiet = logging.getLevelName(options.log_level) > logging.INFO
    if quiet:
        loopback = options.ip in ("127.0.0.1", "localhost", "::1")
        WorkbenchHub.quiet_messages = EXPECTED_WARNINGS + (LOOPBACK_WARNINGS if loopback else ())
        # jupyter-events warns about JupyterHub's own event schemas on every start.
        warnings.filterwarnings("ignore", category=JupyterEventsVersionWarning)
    WorkbenchHub.ready_message = f"  Ready: {options.public_url}/  (Ctrl-C stops everything" + (
        "; `workbench up --log-level INFO` shows every component's log)" if quiet else ")"
    )
    WorkbenchHub.instance(config=config)
    try:
        WorkbenchHub.launch_instance(argv)
    except SystemExit as e:
        return int(e.code or 0)
    finally:
        stop_orphaned_proxy(options.hub_dir / "proxy.pid")
    return 0


def stop_orphaned_proxy(pid_file: Path) -> None:
    """Stop the proxy if the hub exited without stopping it (it does when start-up fails)."""
    try:
        pid = int(pid_file.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"configurable-http-proxy" not in command:
        return  # the pid is gone, or now belongs to another process
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    pid_file.unlink(missing_ok=True)


def options_from(
    *,
    ip: str,
    port: int,
    hub_port: int,
    proxy_api_port: int,
    service_port: int,
    open_signup: bool,
    log_level: str | None = None,
    environment: Mapping[str, str] | None = None,
) -> HubOptions:
    environment = dict(os.environ if environment is None else environment)
    settings = Settings.from_env(environment)
    return HubOptions(
        data_dir=settings.data_dir,
        admin_users=admin_users(environment),
        ip=ip,
        port=port,
        hub_port=hub_port,
        proxy_api_port=proxy_api_port,
        service_port=service_port,
        open_signup=open_signup,
        log_level=console_level(log_level, environment),
        python=sys.executable,
        environment=environment,
    )
