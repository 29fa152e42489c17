# Sourced by run.sh: a throwaway PostgreSQL server for the tests that need it (its own data directory, a free
# port, an unprivileged user), stopped and deleted when the calling shell exits. Exports LOOM_TEST_POSTGRES
# (an Npgsql connection string) and LOOM_REQUIRE_POSTGRES=1, so those tests fail rather than skip without it.
# A LOOM_TEST_POSTGRES already set names a server to use instead.

export LOOM_REQUIRE_POSTGRES=1
if [ -z "${LOOM_TEST_POSTGRES:-}" ]; then
  pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ ! -x "$(pg_bin)/initdb" ] || [ ! -x "$(pg_bin)/pg_ctl" ]; then
    # Debian would create and start a "main" server of its own on port 5432: the tests do not need it.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
      $sudo mkdir -p /etc/postgresql-common
      echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
  pg="$(pg_bin)"
  # PostgreSQL refuses to run as root.
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    id -u loomtest >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin loomtest
    as_pg=(runuser -u loomtest --)
  fi
  pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/loom-postgres.XXXXXX")"
  [ ${#as_pg[@]} -eq 0 ] || chown loomtest "$pg_dir"
  stop_postgres() {
    "${as_pg[@]}" "$pg/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  }
  trap stop_postgres EXIT
  pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${as_pg[@]}" "$pg/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$pg_dir/initdb.log"
  # Throwaway data: no fsync, so the journal's writes cost what the tests measure, not the disk's flushes.
  "${as_pg[@]}" "$pg/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -W start \
    -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
  for _ in $(seq 1 120); do
    "$pg/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
    sleep 0.5
  done
  if ! "$pg/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
    echo "PostgreSQL did not start; its log:" >&2
    cat "$pg_dir/server.log" >&2
    exit 1
  fi
  export LOOM_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
  echo "PostgreSQL $("$pg/postgres" --version | awk '{print $3}') for the tests: 127.0.0.1:$pg_port, data in $pg_dir$([ ${#as_pg[@]} -eq 0 ] || echo ", run as loomtest")"
fi
