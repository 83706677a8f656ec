"""`WorkbenchApp`: the jupyter-server extension that is the workbench service.

At start-up it checks the database schema (refusing to run on a mismatch), builds the service
layer, fails the executions a previous process left unfinished, seeds the demo project on a
fresh database, and starts the execution runner. Its handlers are listed module by module in
`HANDLER_MODULES`; each module ends with `default_handlers`.

Server options are the traits below; each reads its `WORKBENCH_*` variable by default
(precedence: command line / config file, then environment, then the default).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from tornado.web import Application
from traitlets import Bool, Dict, Instance, Integer, List, Unicode, default, validate

from workbench import __version__
from workbench.config import Settings, log_level, traitlets_level
from workbench.db import Database, check_schema
from workbench.engine_setup import EngineSetup
from workbench.errors import ConfigurationError
from workbench.extensions import logs, metrics
from workbench.extensions.actors import ActorDirectory
from workbench.extensions.index import fallback_handlers
from workbench.extensions.server import WorkbenchServerApp
from workbench.gateway_cluster import GatewaySettings, check_gateway
from workbench.hub.demo import seed_demo
from workbench.runner_process import RunnerOptions, RunnerProcess, runner_from_options
from workbench.services import Services

log = logging.getLogger(__name__)

HANDLER_MODULES: tuple[str, ...] = (
    "workbench.extensions.pages",
    "workbench.extensions.index",
    "workbench.extensions.projects",
    "workbench.extensions.agents",
    "workbench.extensions.executions",
    "workbench.extensions.live",
    "workbench.extensions.keys",
    "workbench.extensions.chat",
    "workbench.extensions.chat_turns",
    "workbench.extensions.monitoring",
)

# Calls in flight per provider, for the whole service (each is a cluster-wide semaphore): enough
# for a team on one organisation's key while staying under the providers' first rate-limit tiers;
# a self-hosted OpenAI-compatible server usually serves a few requests at a time.
DEFAULT_PROVIDER_LIMITS: dict[str, int] = {
    "openai": 16,
    "anthropic": 8,
    "google": 16,
    "openai-compatible": 4,
}
API_PREFIX = "api"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ConfigurationError(
            f"{name} must be a whole number, not {raw!r}", field=name
        ) from None


def _env_list(name: str) -> list[str]:
    return [part.strip() for part in _env(name).split(",") if part.strip()]


def parse_base_urls(raw: str) -> dict[str, str]:
    """WORKBENCH_PROVIDER_BASE_URLS (`openai=http://h:1/v1,anthropic=http://h:2`) as a dict."""
    urls: dict[str, str] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        provider, sep, url = part.partition("=")
        if not sep or not provider.strip() or not url.strip():
            raise ValueError(f"expected provider=url, not {part.strip()!r}")
        urls[provider.strip()] = url.strip()
    return urls


def parse_limits(raw: str) -> dict[str, int]:
    """WORKBENCH_PROVIDER_LIMITS (`openai=16,anthropic=8`) as a dict."""
    limits: dict[str, int] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        provider, sep, cap = part.partition("=")
        if not sep or not provider.strip() or not cap.strip().isdigit():
            raise ConfigurationError(
                f"WORKBENCH_PROVIDER_LIMITS: expected provider=number, not {part.strip()!r}",
                field="WORKBENCH_PROVIDER_LIMITS",
            )
        limits[provider.strip()] = int(cap)
    return limits


class WorkbenchApp(ExtensionApp):
    """The workbench's REST API, live channel and metrics, served as a JupyterHub service."""

    name = "workbench"
    version = __version__
    description = "Multi-LLM Workbench service"
    load_other_extensions = False
    serverapp_class = WorkbenchServerApp
    extension_url = "/api/"
    handler_modules: tuple[str, ...] = HANDLER_MODULES

    @classmethod
    def get_extension_package(cls) -> str:
        return "workbench.extensions"

    # ---- options ------------------------------------------------------------------------

    data_dir = Unicode(
        help="Directory of the embedded default: SQLite database, master key file, MLflow store "
        "(WORKBENCH_DATA_DIR).",
    ).tag(config=True)

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return str(Settings.from_env().data_dir)

    database_url = Unicode(
        None,
        allow_none=True,
        help="SQLAlchemy database URL (WORKBENCH_DATABASE_URL); default: SQLite in data_dir.",
    ).tag(config=True)

    @default("database_url")
    def _default_database_url(self) -> str | None:
        return _env("WORKBENCH_DATABASE_URL") or None

    admin_groups = List(
        Unicode(),
        help="Hub groups whose members are workbench administrators, besides hub admins "
        "(WORKBENCH_ADMIN_GROUPS, comma-separated).",
    ).tag(config=True)

    @default("admin_groups")
    def _default_admin_groups(self) -> list[str]:
        return _env_list("WORKBENCH_ADMIN_GROUPS")

    max_body_bytes = Integer(
        help="Largest request body the API accepts; larger ones get 413 "
        "(WORKBENCH_MAX_BODY_BYTES).",
    ).tag(config=True)

    @default("max_body_bytes")
    def _default_max_body_bytes(self) -> int:
        raw = _env("WORKBENCH_MAX_BODY_BYTES")
        return int(raw) if raw else DEFAULT_MAX_BODY_BYTES

    @validate("max_body_bytes")
    def _check_max_body_bytes(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if not 1024 <= value <= 16 * 1024 * 1024:
            raise ValueError("max_body_bytes must be between 1 KiB and 16 MiB")
        return value

    provider_base_urls = Dict(
        value_trait=Unicode(),
        help="Endpoint of each provider when a user's key names none, e.g. "
        "{'openai': 'http://127.0.0.1:9000/v1'} (WORKBENCH_PROVIDER_BASE_URLS: "
        "openai=URL,anthropic=URL).",
    ).tag(config=True)

    @default("provider_base_urls")
    def _default_provider_base_urls(self) -> dict[str, str]:
        return parse_base_urls(_env("WORKBENCH_PROVIDER_BASE_URLS"))

    @validate("provider_base_urls")
    def _check_provider_base_urls(self, proposal: Any) -> dict[str, str]:
        for provider, url in proposal["value"].items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"provider_base_urls[{provider!r}] must be an http(s) URL")
        return {provider: url.rstrip("/") for provider, url in proposal["value"].items()}

    provider_limits = Dict(
        value_trait=Integer(),
        help="How many calls to each provider may be in flight at once, across every execution "
        "of the service, e.g. {'openai': 16, 'anthropic': 8} (WORKBENCH_PROVIDER_LIMITS: "
        "openai=16,anthropic=8). Providers not named keep their default: "
        + ", ".join(f"{p}={n}" for p, n in DEFAULT_PROVIDER_LIMITS.items())
        + "; the demo model has no cap.",
    ).tag(config=True)

    @default("provider_limits")
    def _default_provider_limits(self) -> dict[str, int]:
        return {**DEFAULT_PROVIDER_LIMITS, **parse_limits(_env("WORKBENCH_PROVIDER_LIMITS"))}

    @validate("provider_limits")
    def _check_provider_limits(self, proposal: Any) -> dict[str, int]:
        from agents.modelref import PROVIDERS

        limits = dict(proposal["value"])
        for provider, cap in limits.items():
            if provider not in PROVIDERS or provider == "demo":
                known = ", ".join(p for p in PROVIDERS if p != "demo")
                raise ValueError(f"provider_limits: {provider!r} is not a provider ({known})")
            if cap < 1:
                raise ValueError(f"provider_limits[{provider!r}] must be at least 1, not {cap}")
        return limits

    dask_scheduler = Unicode(
        help="Address of a Dask scheduler (WORKBENCH_DASK_SCHEDULER); empty: an in-process "
        "LocalCluster.",
    ).tag(config=True)

    @default("dask_scheduler")
    def _default_dask_scheduler(self) -> str:
        return _env("WORKBENCH_DASK_SCHEDULER")

    dask_gateway = Unicode(
        help="URL of a Dask Gateway, including its prefix, e.g. "
        "http://traefik-dask-gateway/services/dask-gateway (WORKBENCH_DASK_GATEWAY). When set, "
        "the engine runs on a cluster the service starts there (stopped when it stops) instead "
        "of an in-process one; the service refuses to start if the gateway cannot be reached or "
        "refuses its credentials.",
    ).tag(config=True)

    @default("dask_gateway")
    def _default_dask_gateway(self) -> str:
        return _env("WORKBENCH_DASK_GATEWAY")

    dask_gateway_proxy = Unicode(
        help="Dask Gateway's scheduler proxy, gateway://host:port (WORKBENCH_DASK_GATEWAY_PROXY); "
        "default: the gateway's host and port.",
    ).tag(config=True)

    @default("dask_gateway_proxy")
    def _default_dask_gateway_proxy(self) -> str:
        return _env("WORKBENCH_DASK_GATEWAY_PROXY")

    dask_gateway_auth = Unicode(
        help="How the service authenticates with Dask Gateway (WORKBENCH_DASK_GATEWAY_AUTH): "
        "'jupyterhub' (default: the service's own hub token, dask_gateway_api_token), or "
        "'basic', 'kerberos' or an import path, configured in Dask's gateway.auth.kwargs.",
    ).tag(config=True)

    @default("dask_gateway_auth")
    def _default_dask_gateway_auth(self) -> str:
        return _env("WORKBENCH_DASK_GATEWAY_AUTH") or "jupyterhub"

    dask_gateway_api_token = Unicode(
        help="The hub API token the service shows Dask Gateway with jupyterhub auth; default: "
        "JUPYTERHUB_API_TOKEN, the service's own.",
    ).tag(config=True)

    @default("dask_gateway_api_token")
    def _default_dask_gateway_api_token(self) -> str:
        return _env("JUPYTERHUB_API_TOKEN")

    dask_gateway_cluster = Unicode(
        help="Name of a running Dask Gateway cluster to share instead of starting one "
        "(WORKBENCH_DASK_GATEWAY_CLUSTER); the service leaves it running when it stops.",
    ).tag(config=True)

    @default("dask_gateway_cluster")
    def _default_dask_gateway_cluster(self) -> str:
        return _env("WORKBENCH_DASK_GATEWAY_CLUSTER")

    dask_gateway_min_workers = Integer(
        help="Fewest workers of the service's gateway cluster when it scales adaptively "
        "(WORKBENCH_DASK_GATEWAY_MIN_WORKERS, default 1).",
    ).tag(config=True)

    @default("dask_gateway_min_workers")
    def _default_dask_gateway_min_workers(self) -> int:
        return _env_int("WORKBENCH_DASK_GATEWAY_MIN_WORKERS", 1)

    dask_gateway_max_workers = Integer(
        help="Most workers of the service's gateway cluster; its size when not adaptive "
        "(WORKBENCH_DASK_GATEWAY_MAX_WORKERS, default 4).",
    ).tag(config=True)

    @default("dask_gateway_max_workers")
    def _default_dask_gateway_max_workers(self) -> int:
        return _env_int("WORKBENCH_DASK_GATEWAY_MAX_WORKERS", 4)

    dask_gateway_adaptive = Bool(
        help="Scale the gateway cluster between min and max workers with the load "
        "(WORKBENCH_DASK_GATEWAY_ADAPTIVE, default true); off, or if the gateway refuses, it "
        "keeps max workers.",
    ).tag(config=True)

    @default("dask_gateway_adaptive")
    def _default_dask_gateway_adaptive(self) -> bool:
        return _env("WORKBENCH_DASK_GATEWAY_ADAPTIVE").lower() not in {"0", "false", "no"}

    dask_gateway_options = Dict(
        help="Cluster options for the gateway, as its cluster_options() lists them, e.g. "
        '{"worker_memory": 4} (WORKBENCH_DASK_GATEWAY_OPTIONS, a JSON object).',
    ).tag(config=True)

    @default("dask_gateway_options")
    def _default_dask_gateway_options(self) -> dict[str, Any]:
        raw = _env("WORKBENCH_DASK_GATEWAY_OPTIONS")
        options = json.loads(raw) if raw else {}
        if not isinstance(options, dict):
            raise ConfigurationError(
                "WORKBENCH_DASK_GATEWAY_OPTIONS must be a JSON object",
                field="WORKBENCH_DASK_GATEWAY_OPTIONS",
            )
        return options

    def gateway_settings(self) -> GatewaySettings | None:
        """The Dask Gateway the engine should run on, or None for a scheduler or local cluster."""
        if not self.dask_gateway:
            return None
        if self.dask_scheduler:
            raise ConfigurationError(
                "set WORKBENCH_DASK_GATEWAY or WORKBENCH_DASK_SCHEDULER, not both",
                field="WORKBENCH_DASK_GATEWAY",
            )
        return GatewaySettings(
            self.dask_gateway.rstrip("/"),
            proxy_address=self.dask_gateway_proxy or None,
            auth=self.dask_gateway_auth,
            api_token=self.dask_gateway_api_token or None,
            cluster_name=self.dask_gateway_cluster or None,
            min_workers=self.dask_gateway_min_workers,
            max_workers=self.dask_gateway_max_workers,
            adaptive=self.dask_gateway_adaptive,
            cluster_options=dict(self.dask_gateway_options),
        )

    mlflow_tracking_uri = Unicode(
        help="Where executions are tracked: an MLflow store URI (sqlite:, postgresql:) or a "
        "tracking server (http(s)://) (WORKBENCH_MLFLOW_TRACKING_URI, else MLFLOW_TRACKING_URI); "
        "default: a SQLite store under data_dir/mlflow.",
    ).tag(config=True)

    @default("mlflow_tracking_uri")
    def _default_mlflow_tracking_uri(self) -> str:
        configured = _env("WORKBENCH_MLFLOW_TRACKING_URI") or _env("MLFLOW_TRACKING_URI")
        if configured:
            return configured
        return f"sqlite:///{Path(self.data_dir) / 'mlflow' / 'mlflow.db'}"

    mlflow_artifact_root = Unicode(
        None,
        allow_none=True,
        help="Where a project's experiment keeps run artifacts when the tracking URI is a store "
        "(WORKBENCH_MLFLOW_ARTIFACT_ROOT); a tracking server chooses for itself. Default: "
        "data_dir/mlflow/artifacts for a store, none for a server.",
    ).tag(config=True)

    @default("mlflow_artifact_root")
    def _default_mlflow_artifact_root(self) -> str | None:
        configured = _env("WORKBENCH_MLFLOW_ARTIFACT_ROOT")
        if configured:
            return configured
        if self.mlflow_tracking_uri.startswith(("http://", "https://")):
            return None
        return str(Path(self.data_dir) / "mlflow" / "artifacts")

    mlflow_tracing = Bool(
        help="Also write each execution as an MLflow trace (WORKBENCH_MLFLOW_TRACING, default "
        "true).",
    ).tag(config=True)

    @default("mlflow_tracing")
    def _default_mlflow_tracing(self) -> bool:
        return _env("WORKBENCH_MLFLOW_TRACING").lower() not in {"0", "false", "no"}

    response_cache = Unicode(
        help="Where the engine caches model answers per user: a file path, sqlite:///path or "
        "redis://host:port/db (WORKBENCH_RESPONSE_CACHE); 'off' disables it. Default: a SQLite "
        "file under data_dir.",
    ).tag(config=True)

    @default("response_cache")
    def _default_response_cache(self) -> str:
        configured = _env("WORKBENCH_RESPONSE_CACHE")
        if configured.lower() in {"off", "none", "false", "0"}:
            return ""
        return configured or str(Path(self.data_dir) / "cache" / "responses.sqlite")

    metrics_services = List(
        Unicode(),
        help="Hub services allowed to scrape /metrics besides workbench administrators "
        "(WORKBENCH_METRICS_SERVICES, comma-separated).",
    ).tag(config=True)

    @default("metrics_services")
    def _default_metrics_services(self) -> list[str]:
        return _env_list("WORKBENCH_METRICS_SERVICES")

    seed_demo = Bool(
        help="On a database with no projects, give the first admin user a demo project "
        "(WORKBENCH_SEED_DEMO, default true).",
    ).tag(config=True)

    @default("seed_demo")
    def _default_seed_demo(self) -> bool:
        return _env("WORKBENCH_SEED_DEMO").lower() not in {"0", "false", "no"}

    demo_owner = Unicode(
        help="Who owns the demo project: default, the first of WORKBENCH_ADMIN_USERS.",
    ).tag(config=True)

    @default("demo_owner")
    def _default_demo_owner(self) -> str:
        admins = _env_list("WORKBENCH_ADMIN_USERS")
        return admins[0] if admins else ""

    public_origins = List(
        Unicode(),
        help="The origins browsers use to reach the hub, e.g. https://workbench.example.org "
        "(WORKBENCH_PUBLIC_URL, comma-separated; `workbench up` sets it). Dashboard WebSockets "
        "from any other origin are refused.",
    ).tag(config=True)

    @default("public_origins")
    def _default_public_origins(self) -> list[str]:
        return _env_list("WORKBENCH_PUBLIC_URL") or ["http://127.0.0.1:8000"]

    mlflow_ui = Bool(
        True,
        help="Serve the MLflow UI behind the login at <prefix>mlflow/, limited to each user's "
        "experiments (WORKBENCH_MLFLOW_UI).",
    ).tag(config=True)

    @default("mlflow_ui")
    def _default_mlflow_ui(self) -> bool:
        return _env("WORKBENCH_MLFLOW_UI").lower() not in {"0", "false", "no"}

    dashboard = Bool(
        True, help="Serve the Panel dashboard at <prefix>ui/ (WORKBENCH_DASHBOARD)."
    ).tag(config=True)

    @default("dashboard")
    def _default_dashboard(self) -> bool:
        return _env("WORKBENCH_DASHBOARD").lower() not in {"0", "false", "no"}

    json_logs = Bool(
        help="Log one JSON object per line, with request and user ids "
        "(WORKBENCH_LOG_FORMAT=json); otherwise readable lines.",
    ).tag(config=True)

    @default("json_logs")
    def _default_json_logs(self) -> bool:
        return _env("WORKBENCH_LOG_FORMAT").lower() == logs.JSON

    @default("open_browser")
    def _default_open_browser(self) -> bool:
        return False  # a service: nobody's browser to open

    @default("log_level")
    def _default_log_level(self) -> str:
        return traitlets_level(log_level())  # WORKBENCH_LOG_LEVEL, as the server's

    execution_process = Bool(
        help="Run executions (the agent engine, its Dask loop, the recording of their events) "
        "in a process of their own beside the web server, so requests do not wait behind them "
        "(WORKBENCH_EXECUTION_PROCESS, default true); off, on threads of the server's process.",
    ).tag(config=True)

    @default("execution_process")
    def _default_execution_process(self) -> bool:
        return _env("WORKBENCH_EXECUTION_PROCESS").lower() not in {"0", "false", "no"}

    worker_threads = Integer(
        4,
        help="Threads that run database work for requests, off the event loop. Each database "
        "round trip hands the GIL over: more threads than cores make the slowest reads slower "
        "under load (measure with benchmarks/api_load.py).",
    ).tag(config=True)

    waiting_threads = Integer(
        16,
        help="Threads for request work that waits on something other than the database: a "
        "provider's answer to a key check, an execution's end after a cancel, the execution "
        "process's answer. They sleep while they wait, and the database threads stay free.",
    ).tag(config=True)

    # ---- what handlers use --------------------------------------------------------------

    services = Instance(Services, allow_none=True)
    actors = Instance(ActorDirectory, allow_none=True)
    executor = Instance(ThreadPoolExecutor, allow_none=True)
    waiting_executor = Instance(ThreadPoolExecutor, allow_none=True)
    database = Instance(Database, allow_none=True)
    # An `ExecutionRunner`, or a `RunnerProcess` with the same calls.
    runner: Any = None
    _dashboard: Any = None
    _gateway: GatewaySettings | None = None

    @property
    def mlflow_ui_url(self) -> str | None:
        """Where the MLflow UI is served behind the login, if it is."""
        if not self.mlflow_ui:
            return None
        return url_path_join(self.serverapp.base_url, "mlflow/")

    def settings_for_process(self) -> Settings:
        """`Settings` from the environment, with this app's options applied."""
        settings = Settings.from_env()
        return dataclasses.replace(
            settings, data_dir=Path(self.data_dir), database_url=self.database_url
        )

    def api_url(self, *parts: str) -> str:
        return url_path_join(self.serverapp.base_url, API_PREFIX, *parts)

    def initialize_settings(self) -> None:
        if self.json_logs:
            logs.use_json_logs([self.log, self.serverapp.log])
        # tornado's loggers (the access log among them) take the server's logger's level.
        logs.skip_filtered_records([self.log, self.serverapp.log])
        logging.getLogger("tornado").setLevel(self.serverapp.log.level)
        logs.log_audit_events()
        settings = self.settings_for_process()
        services, database = Services.from_settings(settings)
        check_schema(database.engine)
        self.services = services
        self.database = database
        self.actors = ActorDirectory(services.users, admin_groups=frozenset(self.admin_groups))
        self.executor = ThreadPoolExecutor(self.worker_threads, thread_name_prefix="workbench-db")
        self.waiting_executor = ThreadPoolExecutor(
            self.waiting_threads, thread_name_prefix="workbench-wait"
        )
        self._gateway = self.gateway_settings()
        if self._gateway is not None:
            try:  # the cluster itself starts with the engine, in the background
                check_gateway(self._gateway)
            except ConfigurationError as e:
                log.error("the workbench service cannot start: %s", e.message)
                raise
        self.runner = self._make_runner(services)
        interrupted = self.runner.start()
        if interrupted:
            log.warning(
                "%d execution(s) were interrupted by the last stop and are now FAILED",
                len(interrupted),
            )
        if self.seed_demo and self.demo_owner:
            seed_demo(services, self.demo_owner)
        log.info("workbench service on %s (database %s)", self.api_url(), database.url)

    def engine_setup(self) -> EngineSetup:
        """How the agent engine starts, from these options."""
        return EngineSetup(
            scheduler_address=None if self._gateway is not None else self.dask_scheduler or None,
            gateway=self._gateway,
            response_cache=self.response_cache or None,
            provider_limits=dict(self.provider_limits),
        )

    def _make_runner(self, services: Services) -> Any:
        options = RunnerOptions(
            settings=self.settings_for_process(),
            engine=self.engine_setup(),
            tracking_uri=self.mlflow_tracking_uri,
            artifact_root=self.mlflow_artifact_root,
            tracing=self.mlflow_tracing,
            provider_base_urls=dict(self.provider_base_urls),
            log_level=self.log.getEffectiveLevel(),
            json_logs=self.json_logs,
        )
        observers: dict[str, Any] = {
            "on_finished": metrics.observe_execution,
            "on_event": metrics.observe_event,
        }
        if self.execution_process:
            runner: Any = RunnerProcess(services, options, **observers)
        else:
            runner = runner_from_options(services, options, **observers)
        metrics.EXECUTIONS_RUNNING.set_function(runner.live_count)
        return runner

    def initialize_handlers(self) -> None:
        for module_name in self.handler_modules:
            module = importlib.import_module(module_name)
            self.handlers.extend(module.default_handlers)
        self.handlers.extend(fallback_handlers)

    def initialize(self) -> None:  # type: ignore[override]
        super().initialize()
        # After the API's handlers are in place: these bring routes of their own, already
        # under the base URL, and authenticate every request themselves.
        if self.mlflow_ui:
            from workbench.extensions.mlflow_ui import proxy_handlers

            Application.add_handlers(self.serverapp.web_app, ".*$", proxy_handlers(self))
        if self.dashboard:
            from workbench.extensions import dashboard

            self._dashboard = dashboard.mount(self)

    async def stop_extension(self) -> None:
        if self._dashboard is not None:
            self._dashboard.stop()
        if self.runner is not None:
            self.runner.close()  # and the engine with it (and its gateway cluster)
        for executor in (self.executor, self.waiting_executor):
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
        if self.database is not None:
            self.database.dispose()


def main(argv: list[str] | None = None) -> None:
    """Run the service in the foreground (what `workbench serve` does)."""
    WorkbenchApp.launch_instance(argv)
