#!/usr/bin/env bash
# System packages the test suite needs that PyPI and npm cannot provide:
#   chromium + chromium-driver  headless browser for the UI tests (Playwright drives /usr/bin/chromium)
#   fonts-noto-cjk              Japanese glyphs, so screenshots of the Japanese UI are legible
#   postgresql                  server binaries, so the suite can start a throwaway PostgreSQL
#                               when none is reachable (pytest-postgresql runs pg_ctl)
#   redis-server                so the suite can start a throwaway Redis for the response-cache
#                               tests when none is reachable
# Installs only what is missing; does nothing on a machine that has everything.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
compgen -G "/usr/share/fonts/opentype/noto/NotoSansCJK*" >/dev/null || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "Need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
