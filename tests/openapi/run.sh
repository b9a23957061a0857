#!/usr/bin/env bash
# Checks /v1/openapi.json against the server that serves it (docs/API.md,
# "OpenAPI"): starts flowauth on a free loopback port with a fresh data
# directory, makes a tenant, and runs schemathesis (pinned) over every
# route with the tenant's key, in its coverage and fuzzing phases. Fails
# on any finding: an undocumented status code, a schema-valid request
# refused, an answer that does not match its schema, a server error.
#
#   tests/openapi/run.sh                    # target/release/flowauth
#   FLOWAUTH_BIN=target/debug/flowauth tests/openapi/run.sh
#   OPENAPI_MAX_EXAMPLES=100 tests/openapi/run.sh
#   tests/openapi/run.sh --include-path /v1/tenants/{tenant}/tokens   # more schemathesis arguments
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
binary=${FLOWAUTH_BIN:-$target/release/flowauth}
version=4.32.5

# schemathesis at the pinned version: the one on PATH when it is that
# version, else one installed into a virtualenv under the target directory.
schemathesis=schemathesis
if [ "$(schemathesis --version 2>/dev/null)" != "schemathesis, version $version" ]; then
    venv=$target/schemathesis-$version
    if [ ! -x "$venv/bin/schemathesis" ]; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "schemathesis==$version"
    fi
    schemathesis=$venv/bin/schemathesis
fi

data=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$data"
}
trap cleanup EXIT

export FLOWAUTH_ADMIN_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
"$binary" --data-dir "$data/store" serve --listen "127.0.0.1:$port" >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 600); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$data/server.log"; echo "flowauth did not start ($binary)" >&2; exit 1; }
    sleep 0.1
done

export FLOWAUTH_TENANT=acme
created=$(curl -fsS -H "Authorization: Bearer $FLOWAUTH_ADMIN_KEY" -H 'content-type: application/json' \
    -d "{\"name\":\"$FLOWAUTH_TENANT\"}" "$base/v1/tenants")
export FLOWAUTH_TENANT_KEY=$(printf '%s' "$created" | python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')

status=0
"$schemathesis" --config-file "$here/schemathesis.toml" run "$base/v1/openapi.json" \
    --max-examples "${OPENAPI_MAX_EXAMPLES:-30}" --report-dir "$target/schemathesis-report" --report junit "$@" \
    || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server log" >&2
    tail -n 50 "$data/server.log" >&2
fi
exit "$status"
