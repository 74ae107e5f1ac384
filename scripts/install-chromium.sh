#!/usr/bin/env bash
# Installs Debian's Chromium (when missing) for the headless-browser tests, and prints its path. Browser downloads
# by test tools do not work here; playwright-core drives this system browser instead.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
command -v chromium
