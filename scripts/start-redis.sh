#!/usr/bin/env bash
# Installs (from Debian's packages, when missing) and starts a local Redis server on 127.0.0.1:6379, without
# persistence, for the e2e run with shared state. Prints its REDIS_URL.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >&2
fi
if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --logfile /tmp/redis-6379.log >&2
fi
for _ in $(seq 1 30); do
  if redis-cli -p 6379 ping >/dev/null 2>&1; then break; fi
  sleep 0.2
done
echo "redis://127.0.0.1:6379"
