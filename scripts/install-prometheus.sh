#!/usr/bin/env bash
# Installs Debian's Prometheus (when missing) for `promtool`, which checks the alert rules in deploy/observability.
# Prints promtool's path.
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
fi
command -v promtool
