#!/usr/bin/env bash
# Runs teapot's whole test suite against a real PostgreSQL and SQLite.
#
# PostgreSQL: TEAPOT_TEST_PG if set; else the server on 127.0.0.1:5432 if one answers; else a
# throwaway cluster started here from the PostgreSQL binaries (and stopped at the end). Each test
# makes and drops its own database, so tests run in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

find_pg_bin() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return 0
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /opt/homebrew/opt/postgresql*/bin 2>/dev/null | sort -Vr); do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

cleanup() { :; }
if [ -z "${TEAPOT_TEST_PG:-}" ]; then
  if listening "${TEAPOT_PG_PORT:-5432}"; then
    export TEAPOT_TEST_PG="postgres://postgres@127.0.0.1:${TEAPOT_PG_PORT:-5432}/postgres"
  elif bin=$(find_pg_bin); then
    port=54329
    while listening "$port"; do port=$((port + 1)); done
    dir=$(mktemp -d /tmp/teapot-pg.XXXXXX)
    run=()
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
      chown postgres "$dir"
      run=(runuser -u postgres --)
    fi
    echo "test.sh: nothing listens on ${TEAPOT_PG_PORT:-5432}; starting a throwaway PostgreSQL from $bin on port $port" >&2
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null
    cleanup() { "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
    export TEAPOT_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
  else
    cat >&2 <<'MSG'
test.sh: no PostgreSQL answers on 127.0.0.1:5432 and no PostgreSQL binaries were found.
Install them, then run this script again (it starts a throwaway cluster by itself):
  Debian/Ubuntu:  sudo apt-get install postgresql
  Fedora:         sudo dnf install postgresql-server
  macOS:          brew install postgresql@15
Or point the tests at a server you have: TEAPOT_TEST_PG=postgres://user@host:port/postgres scripts/test.sh
MSG
    exit 1
  fi
fi
trap cleanup EXIT
echo "test.sh: PostgreSQL at $TEAPOT_TEST_PG" >&2
# test-hooks: the crash-recovery tests make the teapot binary kill itself at chosen points; only a
# test build has that hook. The CLI tests run target/debug/teapot, which `cargo test` does not build
# for another crate's tests: it is built first.
cargo build -p teapot-cli --features test-hooks
cargo test --workspace --all-targets --features teapot-cli/test-hooks "$@"
# Doctests: the typed API's compile-fail examples (src/orm/expression.rs) among them.
cargo test --workspace --doc --features teapot-cli/test-hooks
