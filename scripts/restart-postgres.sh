#!/usr/bin/env bash
# Restarts the local PostgreSQL cluster that scripts/start-postgres.sh started (what a server restart or failover
# does to a running service: every connection dropped, connections refused until it is back).
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
pg_ctlcluster "$version" main restart
