#!/usr/bin/env bash
# The lifecycle's real jobs (issue 20): JOBS generated tables (default 200, ROWS rows each,
# default 1,000) on two local PostgreSQL databases, the old side and the new, one job each,
# driven by `lifecycle run` through shadow → reverse shadow → cleanup → done in one run:
# every window measured on the databases (counts, checksums, and the resource figures from
# pg_stat_user_tables and pg_total_relation_size), `windows = 3`, `auto_cleanup`, 0.2 s between
# ticks (a session's read statistics reach pg_stat_user_tables when it ends; the pause lets
# them land before the next tick reads them). Prints the run's wall time, the time per phase
# from the recorded transitions (the wall time from the first job entering a phase to the last
# one leaving it, and the mean per job), and checks that every job is done and no row was lost
# (row totals of both sides equal). The databases are dropped on every exit.
# Run from the repository root:
#   bash bench/lifecycle_jobs.sh            (BIN=path/to/migration-studio skips the build)
set -euo pipefail
JOBS=${JOBS:-200}
ROWS=${ROWS:-1000}
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/migration-studio
fi
WORK=$(mktemp -d)
OLD=ms_bench_lc_old
NEW=ms_bench_lc_new
pg() { psql -h127.0.0.1 -Upostgres -X -q -v ON_ERROR_STOP=1 "$@"; }
trap 'rm -rf "$WORK"; pg -c "DROP DATABASE IF EXISTS $OLD WITH (FORCE)" -c "DROP DATABASE IF EXISTS $NEW WITH (FORCE)" postgres' EXIT
mkdir -p "$WORK/project/ddl"
for i in $(seq -f '%03g' 1 "$JOBS"); do
  echo "CREATE TABLE t$i (id integer PRIMARY KEY, v text, n bigint);"
done >"$WORK/project/ddl/schema.sql"
{
  cat "$WORK/project/ddl/schema.sql"
  for i in $(seq -f '%03g' 1 "$JOBS"); do
    echo "INSERT INTO t$i SELECT g, md5(g::text), g * $((10#$i)) FROM generate_series(1, $ROWS) g;"
  done
} >"$WORK/load.sql"
for db in $OLD $NEW; do
  pg -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" postgres
  pg -f "$WORK/load.sql" $db
done
cat >"$WORK/project/migration-studio.toml" <<TOML
name = "lifecycle-bench"
rto_minutes = 30
maintenance_window_minutes = 60

[source]
engine = "postgres"

[target]
engine = "postgres"

[[inputs]]
path = "ddl/schema.sql"

[lifecycle]
windows = 3
criteria = ["data_quality", "resources"]
auto_cleanup = true
TOML
t0=$(date +%s.%N)
"$BIN" lifecycle run "$WORK/project" --interval 0.2 \
  --source-url "postgres://postgres@127.0.0.1:5432/$OLD" \
  --target-url "postgres://postgres@127.0.0.1:5432/$NEW" >"$WORK/run.txt"
t1=$(date +%s.%N)
echo "lifecycle_jobs: $JOBS jobs of $ROWS rows, PostgreSQL → PostgreSQL, windows = 3, auto_cleanup"
printf 'whole run %.1f s\n' "$(echo "$t1 - $t0" | bc)"
sqlite3 -header -column "$WORK/project/migration-studio.db" <<'SQL'
SELECT count(*) AS ticks, round(max(at) - min(at), 2) AS "seconds first to last tick",
       round((max(at) - min(at)) / max(count(*) - 1, 1), 2) AS "s per tick"
  FROM lifecycle_tick;
WITH spans AS (
  SELECT i.job, i.to_phase AS phase, i.at AS start,
         (SELECT min(o.at) FROM lifecycle_transition o WHERE o.job = i.job AND o.seq > i.seq) AS stop
    FROM lifecycle_transition i
)
SELECT phase, count(*) AS jobs, round(max(stop) - min(start), 2) AS "wall s",
       round(avg(stop - start), 2) AS "mean s per job"
  FROM spans WHERE stop IS NOT NULL GROUP BY phase ORDER BY min(start);
SQL
done_jobs=$("$BIN" lifecycle status "$WORK/project" --all --json | jq '[.jobs[] | select(.phase == "done")] | length')
total() {
  pg -tA -c "$(for i in $(seq -f '%03g' 1 "$JOBS"); do printf 'SELECT count(*) FROM t%s UNION ALL ' "$i"; done
    echo 'SELECT 0')" "$1" | paste -sd+ | bc
}
old_rows=$(total $OLD)
new_rows=$(total $NEW)
echo "jobs done $done_jobs of $JOBS; rows old $old_rows, new $new_rows"
[ "$done_jobs" = "$JOBS" ] && [ "$old_rows" = "$new_rows" ] && [ "$old_rows" = "$((JOBS * ROWS))" ]
