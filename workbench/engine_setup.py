"""How the service's agent engine is started: in-process Dask, a scheduler, or a Dask Gateway.

`EngineSetup` is plain data (it crosses into the execution process); `start()` blocks until the
engine is connected and returns it. On a gateway the cluster is started first and stopped after
the engine that runs on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.gateway_cluster import EngineCluster, GatewaySettings

ENGINE_START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class EngineSetup:
    scheduler_address: str | None = None  # None: an in-process LocalCluster
    gateway: GatewaySettings | None = None
    response_cache: str | None = None  # a path or URL; None: no cache
    provider_limits: Mapping[str, int] = field(default_factory=dict)
    start_timeout_s: float = ENGINE_START_TIMEOUT_S

    def start(self) -> Any:
        """The connected engine (an `agents.engine.Engine`, or one on its gateway cluster)."""
        from agents.engine import Engine  # Dask loads slowly

        cache = self.response_cache
        if cache and "://" not in cache:
            Path(cache).expanduser().parent.mkdir(parents=True, exist_ok=True)
        limits = dict(self.provider_limits)
        if self.gateway is None:
            engine = Engine(self.scheduler_address, cache=cache, provider_limits=limits)
            return engine.wait_ready(self.start_timeout_s)
        cluster = EngineCluster.start(self.gateway)
        try:
            engine = Engine(
                cluster.scheduler_address,
                security=cluster.security,
                cache=cache,
                provider_limits=limits,
            ).wait_ready(self.start_timeout_s)
        except BaseException:
            cluster.close()
            raise
        return EngineOnCluster(engine, cluster)


class EngineOnCluster:
    """An engine and the gateway cluster it runs on: closing closes both, the engine first."""

    def __init__(self, engine: Any, cluster: EngineCluster) -> None:
        self.engine = engine
        self.cluster = cluster

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        return self.engine.submit(*args, **kwargs)

    def close(self) -> None:
        try:
            self.engine.close()
        finally:
            self.cluster.close()
