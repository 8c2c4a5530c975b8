#!/usr/bin/env bash
# Backfill benchmark (issue 6): a generated `salaries`-shaped table (employees schema:
# emp_no INT, salary INT, from_date DATE, to_date DATE, PRIMARY KEY (emp_no, from_date)),
# copied MariaDB -> PostgreSQL by our backfill, by pgloader and by a raw `mariadb | psql \copy`
# pipe, then PostgreSQL -> PostgreSQL by our backfill and by a binary `\copy` pipe.
# Every target has the primary key present during the load except pgloader's (it builds its
# indexes after loading, which its time includes). Prints a table; run from the repository root:
#   bash bench/backfill.sh [rows] [rounds]   (defaults 3600000 rows, 1 round)
# With several rounds the five copies run interleaved, round after round, and each figure is
# the median over the rounds: on a shared machine a burst of someone else's work then lands on
# one copy of one round instead of deciding a ratio.
set -euo pipefail
ROWS=${1:-3600000}
ROUNDS=${2:-1}
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/migration-studio
command -v pgloader >/dev/null || apt-get install -y -q pgloader >/dev/null
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS ms_bench"; for d in ms_bench_ours ms_bench_pgl ms_bench_raw ms_bench_pgsrc ms_bench_pg_ours ms_bench_pg_raw; do psql -h127.0.0.1 -Upostgres -qc "DROP DATABASE IF EXISTS $d" postgres; done' EXIT
pg() { psql -h127.0.0.1 -Upostgres -X -q -v ON_ERROR_STOP=1 "$@"; }
my() { mariadb -h127.0.0.1 -uroot "$@"; }
TABLE_PG="CREATE TABLE salaries (emp_no integer NOT NULL, salary integer NOT NULL, from_date date NOT NULL, to_date date NOT NULL, PRIMARY KEY (emp_no, from_date))"

echo "generating $ROWS rows in MariaDB..." >&2
my -e "DROP DATABASE IF EXISTS ms_bench; CREATE DATABASE ms_bench"
my ms_bench -e "CREATE TABLE salaries (emp_no INT NOT NULL, salary INT NOT NULL, from_date DATE NOT NULL, to_date DATE NOT NULL, PRIMARY KEY (emp_no, from_date)) ENGINE=InnoDB;
  INSERT INTO salaries SELECT 10001 + seq DIV 18, 38000 + (seq * 7919) % 120000,
    DATE_ADD('1985-01-01', INTERVAL (seq % 18) YEAR), DATE_ADD('1986-01-01', INTERVAL (seq % 18) YEAR)
  FROM seq_0_to_$((ROWS - 1)); ANALYZE TABLE salaries;" >/dev/null
fresh() { pg -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" postgres 2>/dev/null; }
mkdir -p "$WORK/project"
"$BIN" init "$WORK/project" --source mysql --target postgres >/dev/null

# seconds and peak RSS (MB) of a command: "secs rss"
timed() { /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; exit 1; }; read -r s k <"$WORK/t"; echo "$s $((k / 1024))"; }
count() { pg -At -c "SELECT count(*) FROM salaries" "$1"; }

# The PostgreSQL source for the PG -> PG copies: a binary copy of the MariaDB table.
fresh ms_bench_pgsrc
pg -c "$TABLE_PG" ms_bench_pgsrc
mariadb -h127.0.0.1 -uroot --quick --batch --skip-column-names ms_bench -e "SELECT emp_no, salary, from_date, to_date FROM salaries" \
  | pg -c "\\copy salaries FROM STDIN" -c "ANALYZE salaries" ms_bench_pgsrc

cat >"$WORK/pgl.load" <<LOAD
LOAD DATABASE FROM mysql://root@127.0.0.1:3306/ms_bench INTO postgresql://postgres@127.0.0.1:5432/ms_bench_pgl
 WITH create tables, create indexes, reset sequences, workers = 2, concurrency = 1
 ALTER SCHEMA 'ms_bench' RENAME TO 'public';
LOAD
cat >"$WORK/raw.sh" <<RAW
set -o pipefail
mariadb -h127.0.0.1 -uroot --quick --batch --skip-column-names ms_bench -e "SELECT emp_no, salary, from_date, to_date FROM salaries" \
 | psql -h127.0.0.1 -Upostgres -X -q -v ON_ERROR_STOP=1 -c "\\copy salaries FROM STDIN" ms_bench_raw
RAW
cat >"$WORK/rawpg.sh" <<RAW
set -o pipefail
psql -h127.0.0.1 -Upostgres -X -q -c "\\copy (SELECT * FROM salaries) TO STDOUT (FORMAT binary)" ms_bench_pgsrc \
 | psql -h127.0.0.1 -Upostgres -X -q -v ON_ERROR_STOP=1 -c "\\copy salaries FROM STDIN (FORMAT binary)" ms_bench_pg_raw
RAW

# One copy: fresh target database, the command timed, the row count checked. Appends
# "seconds peak_MB" to $WORK/<name>.
copy() {
  local name=$1 db=$2; shift 2
  fresh "$db"
  [ "$name" = pgloader ] || pg -c "$TABLE_PG" "$db"
  timed "$@" >>"$WORK/$name"
  [ "$(count "$db")" = "$ROWS" ] || { echo "$name: row count differs" >&2; exit 1; }
}
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS: ours MariaDB -> PostgreSQL, pgloader, raw pipe, ours PG -> PG, binary pipe..." >&2
  copy ours ms_bench_ours "$BIN" backfill "$WORK/project" --source-url mysql://root@127.0.0.1:3306/ms_bench \
    --target-url postgres://postgres@127.0.0.1:5432/ms_bench_ours --mark-rehearsal-target --run-id bench --restart
  copy pgloader ms_bench_pgl pgloader --quiet "$WORK/pgl.load"
  copy raw ms_bench_raw bash "$WORK/raw.sh"
  copy pg_ours ms_bench_pg_ours "$BIN" backfill "$WORK/project" --source-url postgres://postgres@127.0.0.1:5432/ms_bench_pgsrc \
    --target-url postgres://postgres@127.0.0.1:5432/ms_bench_pg_ours --mark-rehearsal-target --run-id bench-pg --restart
  copy pg_raw ms_bench_pg_raw bash "$WORK/rawpg.sh"
done

# Median seconds and median peak MB of a copy over the rounds.
median() { sort -n -k"$2" "$WORK/$1" | awk -v c="$2" '{ v[NR] = $c } END { m = (NR + 1) / 2; printf "%s", (NR % 2) ? v[m] : (v[m - 0.5] + v[m + 0.5]) / 2 }'; }
for n in ours pgloader raw pg_ours pg_raw; do
  printf -v "t_$n" '%s' "$(median "$n" 1)"; printf -v "m_$n" '%s' "$(median "$n" 2)"
done
[ "$ROUNDS" -gt 1 ] && { echo; for n in ours pgloader raw pg_ours pg_raw; do printf '%-9s seconds per round: %s\n' "$n" "$(cut -d' ' -f1 "$WORK/$n" | paste -sd' ')"; done; }

rate() { awk -v r="$ROWS" -v t="$1" 'BEGIN { printf "%.0f", r / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
printf '\n%-46s %9s %12s %9s\n' "copy of $ROWS rows (median of $ROUNDS)" "seconds" "rows/s" "peak MB"
printf '%-46s %9s %12s %9s\n' "ours MariaDB -> PostgreSQL (keyset, checkpoints)" "$t_ours" "$(rate "$t_ours")" "$m_ours"
printf '%-46s %9s %12s %9s\n' "pgloader MariaDB -> PostgreSQL" "$t_pgloader" "$(rate "$t_pgloader")" "$m_pgloader"
printf '%-46s %9s %12s %9s\n' "raw mariadb --quick | psql \\copy" "$t_raw" "$(rate "$t_raw")" "$m_raw"
printf '%-46s %9s %12s %9s\n' "ours PostgreSQL -> PostgreSQL" "$t_pg_ours" "$(rate "$t_pg_ours")" "$m_pg_ours"
printf '%-46s %9s %12s %9s\n' "raw \\copy binary | \\copy binary" "$t_pg_raw" "$(rate "$t_pg_raw")" "$m_pg_raw"
printf '\nours vs pgloader: %sx (target >= 2)   ours vs raw pipe: %sx (target >= 0.9)   PG->PG ours vs binary pipe: %sx\n' \
  "$(ratio "$t_ours" "$t_pgloader")" "$(ratio "$t_ours" "$t_raw")" "$(ratio "$t_pg_ours" "$t_pg_raw")"
