"""The Dask Gateway the workbench service uses in the cluster: the URL it is given matches the
gateway's prefix, and the gateway's options handler (real dask-gateway-server `Options`) gives
the service's clusters no step re-runs and many threads per worker."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from traitlets.config import Config

from tests.deploy.conftest import MODULES, blocks, load_hcl


def gateway_values() -> dict[str, Any]:
    (local_values,) = load_hcl(MODULES / "dask-gateway" / "main.tf")["locals"]
    return local_values["values"]["gateway"]


def workbench_env() -> dict[str, str]:
    text = (MODULES / "jupyterhub" / "main.tf").read_text()
    pairs = re.findall(r'name\s*=\s*"(WORKBENCH_[A-Z_]+)"\s*\n\s*value\s*=\s*"?([^"\n]+)"?', text)
    return dict(pairs)


def options_handler_config() -> Config:
    heredoc = gateway_values()["extraConfig"]["workbench"]
    body = textwrap.dedent(heredoc.split("\n", 1)[1].rsplit("\n", 1)[0])
    variables = blocks(load_hcl(MODULES / "dask-gateway" / "variables.tf"), "variable")
    threads = variables["workbench_worker_threads"]["default"]
    config = Config()
    exec(body.replace("${var.workbench_worker_threads}", str(threads)), {"c": config})
    return config


class GatewayUser:
    def __init__(self, name: str) -> None:
        self.name = name


def test_service_is_given_the_gateway_url_with_its_prefix() -> None:
    prefix = gateway_values()["prefix"]
    assert workbench_env()["WORKBENCH_DASK_GATEWAY"] == f"${{var.dask_gateway_address}}{prefix}"


def test_service_clusters_never_rerun_a_step_and_run_many_at_once() -> None:
    options = options_handler_config().Backend.cluster_options
    overrides = options.get_configuration({}, GatewayUser("service:workbench"))
    assert overrides["environment"] == {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    assert overrides["worker_threads"] >= 16


def test_users_clusters_keep_the_gateway_defaults() -> None:
    options = options_handler_config().Backend.cluster_options
    assert options.get_configuration({}, GatewayUser("alice")) == {}
