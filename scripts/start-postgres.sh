#!/usr/bin/env bash
# Installs (from Debian's packages, when missing) and starts a local PostgreSQL server for the e2e run against
# Postgres, with a superuser `llm` (password `llm`) on 127.0.0.1:5432. Prints the admin DATABASE_URL.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  if su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
su postgres -c "psql -qAtc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'llm') THEN CREATE ROLE llm LOGIN SUPERUSER PASSWORD 'llm'; END IF; END \\\$\\\$;\"" >&2
echo "postgres://llm:llm@127.0.0.1:5432/postgres"
