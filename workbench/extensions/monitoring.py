"""Monitoring: `GET <prefix>metrics` (Prometheus) and `GET <prefix>health` (for probes).

- `metrics`: for workbench administrators and allowed scrapers. A scraper is a hub service named
  in `WorkbenchApp.metrics_services`, holding the scope `access:services!service=workbench`; it
  sends its hub API token (`Authorization: token …`). Everyone else gets 403.
- `health`: no login (Kubernetes probes, load balancers): 200 `{"status": "ok"}` when the
  database answers a trivial query within `HEALTH_TIMEOUT_S`, else 503
  `{"status": "unavailable"}`. It says nothing else: no version, no error text, no names.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar

from jupyter_server.auth.decorator import allow_unauthenticated
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from sqlalchemy import text
from tornado import web

from workbench.extensions.base import ApiError, WorkbenchAPIHandler
from workbench.extensions.routes import Operation, route

log = logging.getLogger(__name__)
HEALTH_TIMEOUT_S = 5.0


class MetricsHandler(WorkbenchAPIHandler):
    allow_services: ClassVar[bool] = True
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Prometheus metrics (administrators and allowed scraper services)",
            "monitoring",
            response={"type": "string"},
            content_type="text/plain",
        )
    }

    @web.authenticated
    async def get(self) -> None:
        identity = self.identity
        if identity.kind == "service":
            allowed = identity.name in self.workbench.metrics_services
        else:
            allowed = self.workbench.actors.is_admin(identity)
        if not allowed:
            raise ApiError(403, "metrics are for workbench administrators and allowed scrapers")
        encoder, content_type = choose_encoder(self.request.headers.get("Accept", ""))
        self.finish(encoder(REGISTRY), set_content_type=content_type)


class HealthHandler(web.RequestHandler):
    """Whether the service can serve: its database answers. Not part of the API (no login)."""

    def check_xsrf_cookie(self) -> None:  # GET only, and nothing to protect
        pass

    @allow_unauthenticated
    async def get(self) -> None:
        app: Any = self.settings["workbench"]
        check = asyncio.get_running_loop().run_in_executor(
            app.executor, _database_answers, app.database
        )
        try:
            healthy = await asyncio.wait_for(check, HEALTH_TIMEOUT_S)
        except TimeoutError:
            log.warning("health check: the database did not answer in %.0f s", HEALTH_TIMEOUT_S)
            healthy = False
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"status": "ok" if healthy else "unavailable"}))


def _database_answers(database: Any) -> bool:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as e:  # any failure means "not healthy"; the reason goes to the log only
        log.warning("health check: the database did not answer: %s", type(e).__name__)
        return False
    return True


default_handlers = [
    route("/metrics", MetricsHandler),
    ("/health", HealthHandler),  # not an API route: no route_path, not in the OpenAPI document
]
