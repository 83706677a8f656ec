"""checkov over deploy/ (Terraform, Dockerfiles, secrets) and over the workflows: no failed
check, and every skipped one listed in deploy/.checkov.yaml with its reason."""

from __future__ import annotations

import json
import re

import yaml

from tests.deploy.conftest import DEPLOY, CheckovReport, parse_checkov


def describe(failed: list[dict[str, object]]) -> str:
    return "\n".join(
        f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
        for check in failed
    )


def test_deploy_and_workflows_pass_checkov(checkov_report: CheckovReport) -> None:
    assert not checkov_report.failed, describe(checkov_report.failed)


def test_checkov_scanned_the_terraform_the_images_and_the_workflows(
    checkov_report: CheckovReport,
) -> None:
    summaries = checkov_report.summaries
    assert summaries["terraform"]["resource_count"] >= 50
    assert summaries["terraform"]["passed"] >= 100
    assert summaries["terraform"]["parsing_errors"] == 0
    assert summaries["dockerfile"]["resource_count"] == 2
    assert summaries["github_actions"]["passed"] >= 100


def test_report_parser_reads_every_document_and_keeps_failures() -> None:
    failing = {
        "check_id": "CKV_GCP_29", "file_path": "/x.tf", "resource": "b", "check_name": "n",
    }  # fmt: skip
    first = [{"check_type": "terraform", "results": {"failed_checks": [failing]},
              "summary": {"resource_count": 1}}]  # fmt: skip
    second = {"check_type": "github_actions", "results": {"failed_checks": []},
              "summary": {"resource_count": 0}}  # fmt: skip
    report = parse_checkov(json.dumps(first, indent=2) + "\n" + json.dumps(second))
    assert report.failed == [failing]
    assert set(report.summaries) == {"terraform", "github_actions"}


def test_every_skipped_check_has_a_reason() -> None:
    text = (DEPLOY / ".checkov.yaml").read_text()
    skipped = yaml.safe_load(text)["skip-check"]
    assert skipped
    lines = text.splitlines()
    for check in skipped:
        (index,) = [i for i, line in enumerate(lines) if line.strip() == f"- {check}"]
        reason = lines[index - 1].strip()
        assert re.match(r"# \S.{20,}", reason), f"{check} has no one-line reason above it"
