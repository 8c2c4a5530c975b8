#!/usr/bin/env bash
# Validation benchmark (issue 6): a generated `salaries`-shaped table (employees schema:
# emp_no INT, salary INT, from_date DATE, to_date DATE, PRIMARY KEY (emp_no, from_date)) in
# MariaDB and a copy in PostgreSQL, compared by our `validate` (merge, the `auto` choice for two
# local databases, and checksum) and by reladiff (PyPI), first identical, then with 10 rows
# changed in the target. Prints a table; run from the repository root:
#   bash bench/validate.sh [rows] [rounds]   (defaults 3600000 rows, 1 round)
# With several rounds the three tools run interleaved, round after round, and each figure is the
# median over the rounds (a burst of other work on a shared machine then hits one sample).
# reladiff runs with 2 threads per database (the machine has 2 cores). It refuses a DATE key
# column ("Cannot use a column of type Date as a key"), so it is keyed on emp_no alone with
# from_date compared as a column (its hashdiff supports repeated keys); ours uses the real
# (emp_no, from_date) key and includes the target constraint checks and a 100-row sample.
# With BASELINE=path/to/another/migration-studio binary (e.g. main's release build), its merge
# and checksum are timed in the same interleaved rounds too (rows `merge@base`, `checksum@base`).
set -euo pipefail
ROWS=${1:-3600000}
ROUNDS=${2:-1}
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/migration-studio
command -v reladiff >/dev/null || pip install -q 'reladiff[postgresql,mysql]' >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS ms_bench_val"; psql -h127.0.0.1 -Upostgres -qc "DROP DATABASE IF EXISTS ms_bench_val" postgres' EXIT
pg() { psql -h127.0.0.1 -Upostgres -X -q -v ON_ERROR_STOP=1 "$@"; }
my() { mariadb -h127.0.0.1 -uroot "$@"; }
SRC=mysql://root@127.0.0.1:3306/ms_bench_val
DST=postgres://postgres@127.0.0.1:5432/ms_bench_val

echo "generating $ROWS rows in MariaDB and copying them to PostgreSQL..." >&2
my -e "DROP DATABASE IF EXISTS ms_bench_val; CREATE DATABASE ms_bench_val"
my ms_bench_val -e "CREATE TABLE salaries (emp_no INT NOT NULL, salary INT NOT NULL, from_date DATE NOT NULL, to_date DATE NOT NULL, PRIMARY KEY (emp_no, from_date)) ENGINE=InnoDB;
  INSERT INTO salaries SELECT 10001 + seq DIV 18, 38000 + (seq * 7919) % 120000,
    DATE_ADD('1985-01-01', INTERVAL (seq % 18) YEAR), DATE_ADD('1986-01-01', INTERVAL (seq % 18) YEAR)
  FROM seq_0_to_$((ROWS - 1)); ANALYZE TABLE salaries;" >/dev/null
pg -c "DROP DATABASE IF EXISTS ms_bench_val" -c "CREATE DATABASE ms_bench_val" postgres
pg -c "CREATE TABLE salaries (emp_no integer NOT NULL, salary integer NOT NULL, from_date date NOT NULL, to_date date NOT NULL, PRIMARY KEY (emp_no, from_date))" ms_bench_val
my --quick --batch --skip-column-names ms_bench_val -e "SELECT emp_no, salary, from_date, to_date FROM salaries" \
  | pg -c "\\copy salaries FROM STDIN" ms_bench_val
pg -c "VACUUM ANALYZE salaries" ms_bench_val
mkdir -p "$WORK/project"
"$BIN" init "$WORK/project" --source mysql --target postgres >/dev/null

# Wall seconds of a command (exit status 1 = "differences found" is expected after the change).
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$WORK/out" 2>"$WORK/err" || [ $? -eq 1 ] || { cat "$WORK/err" >&2; exit 1; }
  t1=$(date +%s.%N)
  printf '%.2f' "$(echo "$t1 - $t0" | bc)"
}
ours() {
  timed "${2:-$BIN}" validate "$WORK/project" --source-url "$SRC" --target-url "$DST" --tables salaries \
    --strategy "$1" --restart --json
}
found() { python3 -c "import json,sys; t=json.load(open('$WORK/out'))['tables'][0]['differences']; print(t['missing']['count']+t['extra']['count']+t['changed']['count'])"; }
rela() {
  timed reladiff "$SRC" salaries "postgresql://postgres@127.0.0.1:5432/ms_bench_val" salaries \
    -k emp_no -c from_date -c salary -c to_date -j 2
}
rela_found() { grep -c '^[-+]' "$WORK/out" || true; }

declare -A T N S
TOOLS="merge checksum reladiff"
[ -n "${BASELINE:-}" ] && TOOLS="merge checksum merge@base checksum@base reladiff"
for case in identical changed; do
  if [ "$case" = changed ]; then
    # 10 rows spread evenly over the key range get a new salary in the target.
    pg -c "UPDATE salaries SET salary = salary + 1 WHERE from_date = '1990-01-01'
      AND emp_no IN (SELECT 10003 + i * ($ROWS / 18 / 10) FROM generate_series(0, 9) AS i)" ms_bench_val
  fi
  for round in $(seq 1 "$ROUNDS"); do
    echo "$case, round $round/$ROUNDS: ours (merge), ours (checksum), reladiff..." >&2
    S[$case,merge]+="$(ours merge) "; N[$case,merge]=$(found)
    S[$case,checksum]+="$(ours checksum) "; N[$case,checksum]=$(found)
    if [ -n "${BASELINE:-}" ]; then
      S[$case,merge@base]+="$(ours merge "$BASELINE") "; N[$case,merge@base]=$(found)
      S[$case,checksum@base]+="$(ours checksum "$BASELINE") "; N[$case,checksum@base]=$(found)
    fi
    S[$case,reladiff]+="$(rela) "; N[$case,reladiff]=$(rela_found)
  done
  for tool in $TOOLS; do
    T[$case,$tool]=$(printf '%s\n' ${S[$case,$tool]} | sort -n | awk '{ v[NR] = $1 } END { m = (NR + 1) / 2; print (NR % 2) ? v[m] : (v[m - 0.5] + v[m + 0.5]) / 2 }')
  done
done
if [ "$ROUNDS" -gt 1 ]; then
  echo
  for case in identical changed; do
    for tool in $TOOLS; do printf '%-10s %-9s seconds per round: %s\n' "$case" "$tool" "${S[$case,$tool]}"; done
  done
fi

printf '\n%-10s %-26s %10s %10s %12s   (median of %s)\n' case tool seconds found "vs reladiff" "$ROUNDS"
for case in identical changed; do
  for tool in $TOOLS; do
    name=$tool; [ "$tool" != reladiff ] && name="migration-studio $tool"
    printf '%-10s %-26s %10.2f %10s %11.2fx\n' "$case" "$name" "${T[$case,$tool]}" "${N[$case,$tool]}" \
      "$(echo "${T[$case,reladiff]} / ${T[$case,$tool]}" | bc -l)"
  done
done
printf '\nchanged / identical: merge %.2f, checksum %.2f, reladiff %.2f (reladiff counts a changed row as - and +)\n' \
  "$(echo "${T[changed,merge]} / ${T[identical,merge]}" | bc -l)" \
  "$(echo "${T[changed,checksum]} / ${T[identical,checksum]}" | bc -l)" \
  "$(echo "${T[changed,reladiff]} / ${T[identical,reladiff]}" | bc -l)"
