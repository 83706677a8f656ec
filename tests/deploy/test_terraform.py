"""The Terraform, checked without a cloud or a `terraform` binary: it parses, its modules and
environments fit together (what `terraform validate` would catch), every environment has the
same structure, and what must be private or protected is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import (
    ENVIRONMENTS,
    MODULES,
    TERRAFORM,
    blocks,
    load_hcl,
    module_dirs,
    resources,
    terraform_files,
)

ENVIRONMENT_DIRS = [TERRAFORM / "environments" / name for name in ENVIRONMENTS]
# Files that must be the same in every environment: the structure. Only terraform.tfvars (the
# sizes) and backend.tf (the state's prefix) may differ.
SHARED_FILES = ("main.tf", "variables.tf", "providers.tf", "outputs.tf")
REQUIRED_MODULES = {
    "network", "gke", "identity", "registry", "database", "redis", "storage", "secrets",
    "mlflow", "dask-gateway", "jupyterhub", "monitoring",
}  # fmt: skip
REFERENCE = re.compile(r"\b(var|local|module)\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?")


def parsed_dir(directory: Path) -> dict[str, Any]:
    """Every block of the .tf files of one directory (a module), merged by kind."""
    merged: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        for kind, entries in load_hcl(path).items():
            merged.setdefault(kind, []).extend(entries)
    return merged


def source_text(directory: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(directory.glob("*.tf")))


def declared_locals(document: dict[str, Any]) -> set[str]:
    return {name for entry in document.get("locals", []) for name in entry}


def module_calls(directory: Path) -> dict[str, dict[str, Any]]:
    return blocks(parsed_dir(directory), "module")


def called_module_dir(caller: Path, call: dict[str, Any]) -> Path:
    return (caller / call["source"]).resolve()


@pytest.mark.parametrize("path", terraform_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_terraform_file_parses(path: Path) -> None:
    assert load_hcl(path), f"{path} is empty"


@pytest.mark.parametrize("name", SHARED_FILES)
def test_environments_share_one_structure(name: str) -> None:
    texts = {env.name: (env / name).read_text() for env in ENVIRONMENT_DIRS}
    assert len(set(texts.values())) == 1, f"{name} differs between {sorted(texts)}"


def test_environments_instantiate_every_module() -> None:
    calls = module_calls(ENVIRONMENT_DIRS[0])
    sources = {Path(call["source"]).name for call in calls.values()}
    assert sources == REQUIRED_MODULES
    assert sources | {"jupyterhub-values"} == {path.name for path in module_dirs()}


def test_environments_keep_state_in_gcs_under_their_own_prefix() -> None:
    prefixes = set()
    for env in ENVIRONMENT_DIRS:
        backend = load_hcl(env / "backend.tf")["terraform"][0]["backend"][0]
        assert list(backend) == ["gcs"], env.name
        prefixes.add(backend["gcs"]["prefix"])
        assert backend["gcs"]["prefix"].endswith(env.name)
    assert len(prefixes) == len(ENVIRONMENT_DIRS)


@pytest.mark.parametrize(
    "directory", [*module_dirs(), *ENVIRONMENT_DIRS], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_every_variable_has_a_type_and_a_description(directory: Path) -> None:
    variables = blocks(parsed_dir(directory), "variable")
    assert variables, f"{directory} declares no variable"
    missing = [
        name
        for name, body in variables.items()
        if not body.get("type") or not str(body.get("description", "")).strip()
    ]
    assert not missing, f"variables without a type or description in {directory}: {missing}"


@pytest.mark.parametrize(
    "directory", [*module_dirs(), *ENVIRONMENT_DIRS], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_every_reference_is_declared(directory: Path) -> None:
    """var.X, local.X and module.M.O name something that exists (terraform validate's job)."""
    document = parsed_dir(directory)
    variables = set(blocks(document, "variable"))
    local_names = declared_locals(document)
    calls = blocks(document, "module")
    problems = []
    for kind, name, attribute in REFERENCE.findall(source_text(directory)):
        if kind == "var" and name not in variables:
            problems.append(f"var.{name} is not declared")
        elif kind == "local" and name not in local_names:
            problems.append(f"local.{name} is not declared")
        elif kind == "module":
            if name not in calls:
                problems.append(f"module.{name} is not called")
                continue
            outputs = blocks(parsed_dir(called_module_dir(directory, calls[name])), "output")
            if attribute and attribute not in outputs:
                problems.append(f"module.{name}.{attribute} is not an output of {name}")
    assert not problems, f"in {directory}: {sorted(set(problems))}"


@pytest.mark.parametrize(
    "caller", [*module_dirs(), *ENVIRONMENT_DIRS], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_module_calls_match_the_modules_variables(caller: Path) -> None:
    meta = {"source", "version", "depends_on", "providers", "count", "for_each"}
    for name, call in module_calls(caller).items():
        variables = blocks(parsed_dir(called_module_dir(caller, call)), "variable")
        given = set(call) - meta
        unknown = given - set(variables)
        required = {var for var, body in variables.items() if "default" not in body}
        missing = required - given
        assert not unknown, f"module {name} in {caller} has no variables {sorted(unknown)}"
        assert not missing, f"module {name} in {caller} lacks required {sorted(missing)}"


@pytest.mark.parametrize("env", ENVIRONMENT_DIRS, ids=lambda p: p.name)
def test_tfvars_set_every_required_variable_and_nothing_else(env: Path) -> None:
    variables = blocks(parsed_dir(env), "variable")
    values = load_hcl(env / "terraform.tfvars")
    # image_tag is the release, given by the deploy workflow on the command line.
    required = {name for name, body in variables.items() if "default" not in body} - {"image_tag"}
    assert not set(values) - set(variables), f"unknown settings in {env.name}"
    assert not required - set(values), f"{env.name} lacks {sorted(required - set(values))}"
    assert values["environment"] == env.name


def test_prod_database_is_highly_available_protected_and_recoverable() -> None:
    prod = load_hcl(TERRAFORM / "environments" / "prod" / "terraform.tfvars")
    assert prod["database"]["high_availability"] is True
    assert prod["database"]["deletion_protection"] is True
    assert prod["database"]["pitr_days"] >= 7
    assert prod["database"]["backup_retention_days"] >= 7
    assert prod["cluster_deletion_protection"] is True
    assert prod["cache"]["tier"] == "STANDARD_HA"


def test_database_always_has_backups_and_point_in_time_recovery() -> None:
    (instance,) = [
        body
        for kind, _, body in resources(parsed_dir(MODULES / "database"))
        if kind == "google_sql_database_instance"
    ]
    settings = instance["settings"][0]
    backups = settings["backup_configuration"][0]
    assert backups["enabled"] is True
    assert backups["point_in_time_recovery_enabled"] is True
    assert "REGIONAL" in settings["availability_type"]
    assert instance["deletion_protection"] == "${var.deletion_protection}"
    assert settings["deletion_protection_enabled"] == "${var.deletion_protection}"


def test_database_has_no_public_ip_and_requires_trusted_clients() -> None:
    (instance,) = [
        body
        for kind, _, body in resources(parsed_dir(MODULES / "database"))
        if kind == "google_sql_database_instance"
    ]
    ip = instance["settings"][0]["ip_configuration"][0]
    assert ip["ipv4_enabled"] is False
    assert "authorized_networks" not in ip
    assert ip["ssl_mode"] == "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"


def all_resources() -> list[tuple[Path, str, str, dict[str, Any]]]:
    return [
        (directory, kind, name, body)
        for directory in module_dirs()
        for kind, name, body in resources(parsed_dir(directory))
    ]


def test_no_firewall_rule_admits_the_whole_internet() -> None:
    rules = [
        (directory.name, name, body)
        for directory, kind, name, body in all_resources()
        if kind == "google_compute_firewall"
    ]
    assert rules
    for module, name, body in rules:
        if body.get("direction", "INGRESS") == "INGRESS":
            assert "0.0.0.0/0" not in body.get("source_ranges", []), f"{module}.{name}"


def test_no_bucket_or_iam_binding_is_public() -> None:
    buckets = [body for _, kind, _, body in all_resources() if kind == "google_storage_bucket"]
    assert buckets
    for bucket in buckets:
        assert bucket["public_access_prevention"] == "enforced"
        assert bucket["uniform_bucket_level_access"] is True
    text = "\n".join(source_text(directory) for directory in module_dirs())
    assert "allUsers" not in text
    assert "allAuthenticatedUsers" not in text


def test_cluster_nodes_and_cache_are_private() -> None:
    (cluster,) = [
        body for _, kind, _, body in all_resources() if kind == "google_container_cluster"
    ]
    assert cluster["private_cluster_config"][0]["enable_private_nodes"] is True
    assert cluster["workload_identity_config"]
    (cache,) = [body for _, kind, _, body in all_resources() if kind == "google_redis_instance"]
    assert cache["connect_mode"] == "PRIVATE_SERVICE_ACCESS"
    assert cache["auth_enabled"] is True
    assert cache["transit_encryption_mode"] == "SERVER_AUTHENTICATION"


def test_master_authorized_networks_refuse_the_whole_internet() -> None:
    variables = blocks(parsed_dir(MODULES / "gke"), "variable")
    validation = variables["master_authorized_networks"]["validation"][0]
    assert "0.0.0.0/0" in validation["condition"]
    for env in ENVIRONMENT_DIRS:
        networks = load_hcl(env / "terraform.tfvars")["master_authorized_networks"]
        assert all(network["cidr_block"] != "0.0.0.0/0" for network in networks)


@pytest.mark.parametrize("env", ENVIRONMENT_DIRS, ids=lambda p: p.name)
def test_node_pools_autoscale(env: Path) -> None:
    pools = load_hcl(env / "terraform.tfvars")["node_pools"]
    assert {pool["purpose"] for pool in pools.values()} == {"core", "user", "dask"}
    for name, pool in pools.items():
        assert pool["min_nodes"] <= pool["max_nodes"], name
        if pool["purpose"] in ("user", "dask"):
            assert pool["max_nodes"] > pool["min_nodes"], f"{env.name}: {name} cannot scale"


# What a secret looks like: a Fernet key, a provider key, a private key, an assigned password.
SECRET_PATTERNS = (
    re.compile(r"\b[A-Za-z0-9_-]{43}=(?![A-Za-z0-9])"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(password|secret_data|api_key|token)\s*=\s*\"[^\"$]", re.IGNORECASE),
)


@pytest.mark.parametrize("path", terraform_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_no_secret_value_in_terraform(path: Path) -> None:
    text = path.read_text()
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text), f"{path}: {pattern.pattern} matches"


def test_secret_check_recognises_a_planted_secret() -> None:
    planted = 'resource "x" "y" {\n  secret_data = "gAAAAAB-not-really"\n}\n'
    fernet = 'workbench_keys = "' + "A" * 43 + '="\n'
    assert any(pattern.search(planted) for pattern in SECRET_PATTERNS)
    assert any(pattern.search(fernet) for pattern in SECRET_PATTERNS)


def test_master_keys_secret_gets_no_version_from_terraform() -> None:
    document = parsed_dir(MODULES / "secrets")
    versions = [
        body
        for kind, _, body in resources(document)
        if kind == "google_secret_manager_secret_version"
    ]
    # Only the cache URL (known from the redis module) is written; keys come from an operator.
    assert [version["secret"] for version in versions] == [
        "${google_secret_manager_secret.response_cache_url.id}"
    ]


def test_jupyterhub_chart_is_pinned_to_4_4_0() -> None:
    variables = blocks(parsed_dir(MODULES / "jupyterhub"), "variable")
    assert variables["chart_version"]["default"] == "4.4.0"
    (release,) = [
        body
        for kind, _, body in resources(parsed_dir(MODULES / "jupyterhub"))
        if kind == "helm_release"
    ]
    assert release["version"] == "${var.chart_version}"
    assert release["atomic"] is True


ALERTS = {
    "api_5xx_ratio": "workbench_api_requests_total",
    "api_p95_latency": "workbench_api_request_duration_seconds_bucket",
    "execution_failure_ratio": "workbench_executions_total",
    "execution_p95_duration": "workbench_execution_duration_seconds_bucket",
    "provider_error_ratio": "workbench_provider_calls_total",
}


def monitoring_locals() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for entry in parsed_dir(MODULES / "monitoring").get("locals", []):
        merged.update(entry)
    return merged


def test_alerts_cover_what_users_feel_and_what_precedes_an_outage() -> None:
    local_values = monitoring_locals()
    assert set(local_values["prometheus_alerts"]) == set(ALERTS)
    for alert, metric in ALERTS.items():
        assert metric in local_values["promql"][alert], alert
    kinds = {(kind, name) for kind, name, _ in resources(parsed_dir(MODULES / "monitoring"))}
    assert {
        ("google_monitoring_alert_policy", "cloudsql_cpu"),
        ("google_monitoring_alert_policy", "cloudsql_disk"),
        ("google_monitoring_alert_policy", "pod_restarts"),
        ("google_logging_metric", "audit_events"),
        ("google_monitoring_notification_channel", "email"),
    } <= kinds


def test_alert_thresholds_are_variables_with_defaults() -> None:
    variables = blocks(parsed_dir(MODULES / "monitoring"), "variable")
    thresholds = {name: body for name, body in variables.items() if "threshold" in name}
    assert len(thresholds) == 8
    for name, body in thresholds.items():
        assert isinstance(body.get("default"), int | float), name
        assert f"var.{name}" in source_text(MODULES / "monitoring")
