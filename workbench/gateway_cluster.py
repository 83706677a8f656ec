"""The agent engine's Dask cluster on Dask Gateway: checked at start-up, started, stopped at exit.

    settings = GatewaySettings("http://gateway/services/dask-gateway", api_token=hub_token)
    check_gateway(settings)                  # fast; raises GatewayUnavailable saying what to fix
    cluster = EngineCluster.start(settings)  # slow: the gateway starts a scheduler and workers
    engine = Engine(cluster.scheduler_address, security=cluster.security)
    ...
    engine.close(); cluster.close()          # stops the cluster it started, not a shared one

The service authenticates as itself: with `auth="jupyterhub"` (the default) the gateway checks
the service's own hub API token with the hub, as it does users' notebook tokens. Any other
`auth` is a name dask-gateway knows (`basic`, `kerberos` or an import path), configured the Dask
way (`gateway.auth.kwargs`). `dask_gateway` is imported only here, when a gateway is configured.
When the check fails the service does not start: no fallback to a local cluster, which would hide
a broken deploy behind executions running inside the service's own pod.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from workbench.errors import GatewayUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

ADDRESS_SETTING = "WORKBENCH_DASK_GATEWAY"
ALLOWED_FAILURES = "distributed.scheduler.allowed-failures"


@dataclass(frozen=True)
class GatewaySettings:
    """Where the gateway is, who the service is there, and what cluster it wants."""

    address: str
    proxy_address: str | None = None
    auth: str = "jupyterhub"
    api_token: str | None = field(default=None, repr=False)
    cluster_name: str | None = None  # join this running cluster; it outlives the service
    min_workers: int = 1
    max_workers: int = 4
    adaptive: bool = True  # else a fixed max_workers workers
    cluster_options: Mapping[str, Any] = field(default_factory=dict)
    timeout_s: float = 30.0  # for the start-up check
    start_timeout_s: float = 600.0  # for a new cluster's scheduler (pods may wait for nodes)

    def __post_init__(self) -> None:
        if not self.address.startswith(("http://", "https://")):
            raise GatewayUnavailable(
                f"{ADDRESS_SETTING} must be the gateway's http(s) URL, not {self.address!r}",
                field=ADDRESS_SETTING,
            )
        if self.auth == "jupyterhub" and not self.api_token:
            raise GatewayUnavailable(
                "Dask Gateway with jupyterhub auth needs the service's hub API token: set "
                "JUPYTERHUB_API_TOKEN (the hub sets it for the services it starts)",
                field="JUPYTERHUB_API_TOKEN",
            )
        if not 0 <= self.min_workers <= self.max_workers or self.max_workers < 1:
            raise GatewayUnavailable(
                "Dask Gateway workers: need 0 <= min_workers <= max_workers and max_workers >= 1, "
                f"not {self.min_workers}..{self.max_workers}",
                field="WORKBENCH_DASK_GATEWAY_MIN_WORKERS",
            )


def check_gateway(settings: GatewaySettings) -> None:
    """Ask the gateway for this identity's clusters: proves it answers and accepts the service."""
    gateway = open_gateway(settings)
    try:
        _within(settings, "answer", gateway.list_clusters)
    finally:
        _close_quietly(gateway.close)


class EngineCluster:
    """A Dask Gateway cluster for the engine; `start` returns once its scheduler runs."""

    def __init__(self, gateway: Any, report: Any, *, owned: bool) -> None:
        self._gateway = gateway
        self.owned = owned
        self.name: str = report.name
        self.scheduler_address: str = report.scheduler_address
        self.security: Any = report.security  # a distributed.Security with the cluster's TLS

    @classmethod
    def start(cls, settings: GatewaySettings) -> EngineCluster:
        """Start a new cluster (or join `cluster_name`), scaled as the settings say."""
        gateway = open_gateway(settings)
        try:
            if settings.cluster_name:
                name, owned = settings.cluster_name, False
            else:
                name, owned = gateway.submit(**dict(settings.cluster_options)), True
            try:
                running = cls(gateway, _wait_running(gateway, name, settings), owned=owned)
                if owned:
                    running._scale(settings)
            except BaseException:
                if owned:
                    _close_quietly(lambda: gateway.stop_cluster(name))
                raise
        except Exception as e:
            _close_quietly(gateway.close)
            raise _explain(settings, e) from e
        log.info(
            "Dask Gateway cluster %s %s at %s",
            running.name,
            "started" if running.owned else "joined",
            settings.address,
        )
        running._check_reruns()
        return running

    def _scale(self, settings: GatewaySettings) -> None:
        from dask_gateway import GatewayWarning

        if settings.adaptive:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._gateway.adapt_cluster(
                    self.name, minimum=settings.min_workers, maximum=settings.max_workers
                )
            refusals = [str(w.message) for w in caught if issubclass(w.category, GatewayWarning)]
            if not refusals:
                return
            log.warning(
                "Dask Gateway refused adaptive scaling (%s); using %d fixed workers",
                "; ".join(refusals),
                settings.max_workers,
            )
        self._gateway.scale_cluster(self.name, settings.max_workers)

    def _check_reruns(self) -> None:
        # A model call is not idempotent: a step re-run after its worker died is billed twice.
        import dask
        from distributed import Client

        try:
            with Client(self.scheduler_address, security=self.security, timeout=30) as client:
                allowed = client.run_on_scheduler(dask.config.get, ALLOWED_FAILURES)
        except Exception as e:  # only advice; the engine works either way
            log.warning("could not read %s on cluster %s: %s", ALLOWED_FAILURES, self.name, e)
            return
        if int(allowed) != 0:
            log.warning(
                "Dask Gateway cluster %s re-runs a step up to %s times when its worker dies, "
                "calling the model again; set %s to 0 for the service's clusters (e.g. "
                "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=0 in the gateway's cluster "
                "environment)",
                self.name,
                allowed,
                ALLOWED_FAILURES,
            )

    def close(self) -> None:
        """Stop the cluster if the service started it (a joined one keeps running)."""
        if self.owned:
            _close_quietly(lambda: self._gateway.stop_cluster(self.name))
            log.info("Dask Gateway cluster %s stopped", self.name)
        _close_quietly(self._gateway.close)


def _wait_running(gateway: Any, name: str, settings: GatewaySettings) -> Any:
    """The cluster's report once it runs (a new cluster waits for its scheduler)."""
    from dask_gateway.client import ClusterStatus

    deadline = time.monotonic() + settings.start_timeout_s
    while True:
        report = gateway.get_cluster(name)
        if report.status is ClusterStatus.RUNNING:
            return report
        if report.status not in (ClusterStatus.PENDING,):
            raise GatewayUnavailable(
                f"Dask Gateway cluster {name} is {report.status.name.lower()}, not running; "
                "the gateway's logs say why",
                field="WORKBENCH_DASK_GATEWAY_CLUSTER" if settings.cluster_name else None,
            )
        if time.monotonic() > deadline:
            raise GatewayUnavailable(
                f"Dask Gateway cluster {name} did not start within "
                f"{settings.start_timeout_s:.0f} s; the gateway's logs say why"
            )
        time.sleep(0.5)


def open_gateway(settings: GatewaySettings) -> Any:
    """A `dask_gateway.Gateway` client with the service's credentials; the caller closes it."""
    from dask_gateway import Gateway, JupyterHubAuth
    from dask_gateway.auth import get_auth

    class ClosedOnce(Gateway):
        # Gateway.__del__ closes again after an explicit close(), and that second close raises
        # from a stopped loop; every Gateway here is closed explicitly.
        def __del__(self) -> None:
            pass

    if settings.auth == "jupyterhub":
        auth = JupyterHubAuth(api_token=settings.api_token)
    else:
        try:
            auth = get_auth(settings.auth)
        except Exception as e:
            raise GatewayUnavailable(
                f"Dask Gateway auth {settings.auth!r} cannot be set up: {e}",
                field="WORKBENCH_DASK_GATEWAY_AUTH",
            ) from e
    return ClosedOnce(settings.address, proxy_address=settings.proxy_address or None, auth=auth)


def _within(settings: GatewaySettings, doing: str, call: Callable[[], T]) -> T:
    """`call()` on a daemon thread, given up after the settings' timeout (the client has none)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as e:
            outcome["error"] = e

    worker = threading.Thread(target=run, name="workbench-gateway-check", daemon=True)
    worker.start()
    worker.join(settings.timeout_s)
    if worker.is_alive():
        raise GatewayUnavailable(
            f"Dask Gateway at {settings.address} did not {doing} within "
            f"{settings.timeout_s:.0f} s; check {ADDRESS_SETTING}",
            field=ADDRESS_SETTING,
        )
    if "error" in outcome:
        error = outcome["error"]
        raise _explain(settings, error) from error
    return outcome["value"]


def _explain(settings: GatewaySettings, error: BaseException) -> GatewayUnavailable:
    """The message an operator needs for what went wrong talking to the gateway."""
    import aiohttp
    from dask_gateway import GatewayServerError

    where = f"Dask Gateway at {settings.address}"
    if isinstance(error, GatewayUnavailable):
        return error
    refused = isinstance(error, aiohttp.ClientResponseError) and error.status in (401, 403)
    # A hub that rejects the token answers the gateway 403, which the gateway reports as its own
    # failure (HTTP 500) naming the token.
    if refused or (isinstance(error, GatewayServerError) and "API token" in str(error)):
        if settings.auth == "jupyterhub":
            fix = (
                "check that JUPYTERHUB_API_TOKEN is the service's hub token and that the "
                "service has the access:services!service=<gateway service> scope"
            )
        else:
            fix = f"check the credentials of auth {settings.auth!r} (gateway.auth.kwargs)"
        return GatewayUnavailable(
            f"{where} refused the service's credentials ({_describe(error)}): {fix}",
            field="WORKBENCH_DASK_GATEWAY_AUTH",
        )
    if isinstance(error, aiohttp.ClientConnectionError | OSError):
        return GatewayUnavailable(
            f"{where} cannot be reached ({_describe(error)}); check {ADDRESS_SETTING} and that "
            "the gateway is running",
            field=ADDRESS_SETTING,
        )
    if isinstance(error, ValueError | aiohttp.ClientResponseError):  # the client's 404/422
        return GatewayUnavailable(
            f"{where} answered {_describe(error)}: check {ADDRESS_SETTING} (the gateway's URL "
            "including its prefix, e.g. /services/dask-gateway), WORKBENCH_DASK_GATEWAY_CLUSTER "
            "and WORKBENCH_DASK_GATEWAY_OPTIONS",
            field=ADDRESS_SETTING,
        )
    return GatewayUnavailable(f"{where} failed: {_describe(error)}")


def _describe(error: BaseException) -> str:
    import aiohttp

    if isinstance(error, aiohttp.ClientResponseError):
        return f"HTTP {error.status} {error.message}"
    return f"{type(error).__name__}: {error}"


def _close_quietly(close: Callable[[], Any]) -> None:
    try:
        close()
    except Exception:  # shutting down must go on
        log.warning("closing the Dask Gateway client failed", exc_info=True)
