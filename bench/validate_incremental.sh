#!/usr/bin/env bash
# Incremental final validation (issue 17): the bench table of `bench/validate.sh` (a generated
# `salaries`, 3.6M rows, MariaDB → PostgreSQL), 1 % of its rows changed after a full validation;
# the post-freeze incremental validation (changed keys from the changelog, their rows compared,
# exact counts, 100 random keys re-checked) timed against a full validation of the same table.
# Writes only to its scratch databases (ms_bench_inc), dropped at the end. Run from the
# repository root:
#   bash bench/validate_incremental.sh [rows] [rounds]   (defaults 3600000 rows, 3 rounds)
set -euo pipefail
ROWS=${1:-3600000}
ROUNDS=${2:-3}
cd "$(dirname "$0")/.."
trap 'mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS ms_bench_inc"; psql -h127.0.0.1 -Upostgres -qc "DROP DATABASE IF EXISTS ms_bench_inc" postgres' EXIT
pg() { psql -h127.0.0.1 -Upostgres -X -q -v ON_ERROR_STOP=1 "$@"; }
my() { mariadb -h127.0.0.1 -uroot "$@"; }
echo "generating $ROWS rows in MariaDB and copying them to PostgreSQL..." >&2
my -e "DROP DATABASE IF EXISTS ms_bench_inc; CREATE DATABASE ms_bench_inc"
my ms_bench_inc -e "CREATE TABLE salaries (emp_no INT NOT NULL, salary INT NOT NULL, from_date DATE NOT NULL, to_date DATE NOT NULL, PRIMARY KEY (emp_no, from_date)) ENGINE=InnoDB;
  INSERT INTO salaries SELECT 10001 + seq DIV 18, 38000 + (seq * 7919) % 120000,
    DATE_ADD('1985-01-01', INTERVAL (seq % 18) YEAR), DATE_ADD('1986-01-01', INTERVAL (seq % 18) YEAR)
  FROM seq_0_to_$((ROWS - 1)); ANALYZE TABLE salaries;" >/dev/null
pg -c "DROP DATABASE IF EXISTS ms_bench_inc" -c "CREATE DATABASE ms_bench_inc" postgres
pg -c "CREATE TABLE salaries (emp_no integer NOT NULL, salary integer NOT NULL, from_date date NOT NULL, to_date date NOT NULL, PRIMARY KEY (emp_no, from_date))" ms_bench_inc
my --quick --batch --skip-column-names ms_bench_inc -e "SELECT emp_no, salary, from_date, to_date FROM salaries" \
  | pg -c "\\copy salaries FROM STDIN" ms_bench_inc
pg -c "VACUUM ANALYZE salaries" ms_bench_inc
cargo bench -q --bench validate_changed -- mysql://root@127.0.0.1:3306/ms_bench_inc \
  postgres://postgres@127.0.0.1:5432/ms_bench_inc salaries "$ROUNDS"
