#!/usr/bin/env bash
# Small tables (issue 17): Chinook (11 tables, 15,607 rows; DATASET=sakila: Sakila, 16 tables,
# 47,273 rows) loaded into MariaDB from its MySQL script, copied to PostgreSQL by our backfill,
# then validated (`validate --strategy merge` and `--strategy checksum`, whole processes:
# connection, schema read and all checks included). With BASELINE=path/to/another
# migration-studio binary, that binary is timed in the same rounds, interleaved, so the
# machine's noise hits both alike. Then, in-process, the post-freeze incremental validation of
# an empty change set against a full validation (`cargo bench --bench validate_changed -- … -`).
# Run from the repository root:
#   bash bench/validate_small.sh [rounds]   (default 5; figures are medians)
set -euo pipefail
ROUNDS=${1:-5}
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/migration-studio
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS ms_bench_small"; psql -h127.0.0.1 -Upostgres -qc "DROP DATABASE IF EXISTS ms_bench_small" postgres' EXIT
SRC=mysql://root@127.0.0.1:3306/ms_bench_small
DST=postgres://postgres@127.0.0.1:5432/ms_bench_small
mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS ms_bench_small; CREATE DATABASE ms_bench_small"
if [ "${DATASET:-chinook}" = sakila ]; then
  # As tests/common loads it: the script's own schema lines dropped, `sakila.` renamed.
  cat sample-projects/sakila-mysql-to-postgres/data/sakila-mv-schema.sql sample-projects/sakila-mysql-to-postgres/data/sakila-mv-data.sql \
    | tr -d '\r' | grep -v -x -E '(DROP SCHEMA IF EXISTS sakila;|CREATE SCHEMA sakila;|USE sakila;)' \
    | sed 's/sakila\./ms_bench_small./g' | mariadb -h127.0.0.1 -uroot ms_bench_small
else
  # As tests/validate.rs loads it: the script's own database lines dropped, backslashes kept.
  { echo "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');"
    grep -v -E '^(DROP DATABASE|CREATE DATABASE|USE )' tests/datasets/chinook/ChinookDatabase/DataSources/Chinook_MySql.sql
  } | mariadb -h127.0.0.1 -uroot ms_bench_small
fi
psql -h127.0.0.1 -Upostgres -X -q -c "DROP DATABASE IF EXISTS ms_bench_small" -c "CREATE DATABASE ms_bench_small" postgres
"$BIN" init "$WORK/project" --source mysql --target postgres >/dev/null
"$BIN" backfill "$WORK/project" --source-url "$SRC" --target-url "$DST" --mark-rehearsal-target --create-tables --post-copy >/dev/null
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" "$WORK/out" >&2; exit 1; }
  t1=$(date +%s.%N)
  printf '%.3f' "$(echo "$t1 - $t0" | bc)"
}
run() { timed "$1" validate "$WORK/project" --source-url "$SRC" --target-url "$DST" --strategy "$2" --restart --json; }
declare -A S
tools="new"; [ -n "${BASELINE:-}" ] && tools="base new"
for round in $(seq 1 "$ROUNDS"); do
  for strategy in merge checksum; do
    for tool in $tools; do
      bin=$BIN; [ "$tool" = base ] && bin=$BASELINE
      S[$tool,$strategy]+="$(run "$bin" "$strategy") "
    done
  done
done
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { m = (NR + 1) / 2; print (NR % 2) ? v[m] : (v[m - 0.5] + v[m + 0.5]) / 2 }'; }
echo "${DATASET:-chinook} MariaDB → PostgreSQL, validate, seconds per round, then the median of $ROUNDS:"
for strategy in merge checksum; do
  for tool in $tools; do
    printf '%-9s %-5s %s  median %s\n' "$strategy" "$tool" "${S[$tool,$strategy]}" "$(median "${S[$tool,$strategy]}")"
  done
done
cargo bench -q --bench validate_changed -- "$SRC" "$DST" - "$ROUNDS"
