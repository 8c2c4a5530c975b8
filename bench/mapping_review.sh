#!/usr/bin/env bash
# The mapping review's data pass against the validation's merge read of the same table (issue 18:
# the data pass at no less than 0.8x the merge read's rate). A generated `salaries`-shaped table
# (as bench/validate.sh: emp_no INT, salary INT, from_date DATE, to_date DATE, key (emp_no,
# from_date)) in MariaDB, copied to PostgreSQL; the project's spec casts emp_no to smallint
# (M003: keys past 32767) and salary to numeric(5,0) (M002: salaries of 100000 and more), so
# the data pass counts two findings over every row. `mapping review --source-url` is timed
# against `validate --strategy merge` of the same table (no sample, no constraint checks: the
# merge read alone), interleaved round after round; each figure is the median. BIN=path times
# another build (default: this checkout's release build). Run from the repository root:
#   bash bench/mapping_review.sh [rows] [rounds]   (defaults 3600000 rows, 3 rounds)
set -euo pipefail
ROWS=${1:-3600000}
ROUNDS=${2:-3}
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/migration-studio
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS ms_bench_map"; psql -h127.0.0.1 -Upostgres -qc "DROP DATABASE IF EXISTS ms_bench_map" postgres' EXIT
pg() { psql -h127.0.0.1 -Upostgres -X -q -v ON_ERROR_STOP=1 "$@"; }
my() { mariadb -h127.0.0.1 -uroot "$@"; }
SRC=mysql://root@127.0.0.1:3306/ms_bench_map
DST=postgres://postgres@127.0.0.1:5432/ms_bench_map
DDL="CREATE TABLE salaries (emp_no INT NOT NULL, salary INT NOT NULL, from_date DATE NOT NULL, to_date DATE NOT NULL, PRIMARY KEY (emp_no, from_date)) ENGINE=InnoDB;"

echo "generating $ROWS rows in MariaDB and copying them to PostgreSQL..." >&2
my -e "DROP DATABASE IF EXISTS ms_bench_map; CREATE DATABASE ms_bench_map"
my ms_bench_map -e "$DDL
  INSERT INTO salaries SELECT 10001 + seq DIV 18, 38000 + (seq * 7919) % 120000,
    DATE_ADD('1985-01-01', INTERVAL (seq % 18) YEAR), DATE_ADD('1986-01-01', INTERVAL (seq % 18) YEAR)
  FROM seq_0_to_$((ROWS - 1)); ANALYZE TABLE salaries;" >/dev/null
pg -c "DROP DATABASE IF EXISTS ms_bench_map" -c "CREATE DATABASE ms_bench_map" postgres
pg -c "CREATE TABLE salaries (emp_no integer NOT NULL, salary integer NOT NULL, from_date date NOT NULL, to_date date NOT NULL, PRIMARY KEY (emp_no, from_date))" ms_bench_map
my --quick --batch --skip-column-names ms_bench_map -e "SELECT emp_no, salary, from_date, to_date FROM salaries" \
  | pg -c "\\copy salaries FROM STDIN" ms_bench_map
pg -c "VACUUM ANALYZE salaries" ms_bench_map

P="$WORK/project"
"$BIN" init "$P" --source mysql --target postgres >/dev/null
echo "$DDL" >"$P/schema.sql"
sed -i 's/^inputs = \[\]$/inputs = [{ path = "schema.sql" }]/' "$P/migration-studio.toml"
"$BIN" import "$P" >/dev/null
"$BIN" mapping init "$P" >/dev/null
python3 - "$P/mapping.toml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
def rule(column, body):
    global text
    text, n = re.subn(rf"(?m)^{column} = .*$", f'{column} = {{ {body}, reason = "bench", author = "bench" }}', text, count=1)
    assert n == 1, column
rule("emp_no", 'type = "smallint"')
rule("salary", 'type = "numeric(5,0)"')
open(path, "w").write(text)
PY

timed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$WORK/out" 2>"$WORK/err" || [ $? -eq 1 ] || { cat "$WORK/err" >&2; exit 1; }
  t1=$(date +%s.%N)
  printf '%.2f' "$(echo "$t1 - $t0" | bc)"
}
review=() merge=()
for _ in $(seq "$ROUNDS"); do
  review+=("$(timed "$BIN" mapping review "$P" --source-url "$SRC" --json)")
  counted=$(python3 -c "import json; r=json.load(open('$WORK/out')); print(', '.join(f\"{f['code']} {f['entry']}: {f['data']['rows']}\" for f in r['findings'] if f.get('data')))")
  merge+=("$(timed "$BIN" validate "$P" --source-url "$SRC" --target-url "$DST" --tables salaries --strategy merge --restart --json --sample 0 --no-constraints)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
r=$(median "${review[@]}") m=$(median "${merge[@]}")
echo
echo "rows: $ROWS, rounds: $ROUNDS, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "findings counted: $counted"
echo "| what | seconds (median) | all rounds |"
echo "|---|---|---|"
echo "| mapping review --source-url (data pass) | $r | ${review[*]} |"
echo "| validate --strategy merge (no sample, no constraints) | $m | ${merge[*]} |"
echo "data pass rate / merge read rate: $(echo "scale=2; $m / $r" | bc)x (target >= 0.8x)"
