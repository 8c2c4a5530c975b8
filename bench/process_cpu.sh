#!/usr/bin/env bash
# Where a data-path command's CPU goes (issue 6): runs the command once and prints its wall
# seconds, its own CPU seconds (user + system), MariaDB's (the server process, from
# /proc/<mariadbd>/stat) and PostgreSQL's backends' (the postmaster's reaped-children times,
# which count a backend once it has exited; a backend still closing when the command returns
# is missed, so a PostgreSQL figure near 0 is a missed reading, not a cheap run).
# Run on the machine's own MariaDB and PostgreSQL, e.g.:
#   bash bench/process_cpu.sh target/release/migration-studio validate PROJECT \
#     --source-url mysql://root@127.0.0.1:3306/DB --target-url postgres://postgres@127.0.0.1:5432/DB \
#     --strategy merge --restart --json
# To compare two builds, run it alternately with each binary (BENCHMARKS.md, "Validation").
set -euo pipefail
[ $# -gt 0 ] || { sed -n 2,11p "$0"; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
maria=$(pidof mariadbd)
postmaster=$(head -n 1 /var/run/postgresql/*-main.pid | head -n 1)
ticks=$(getconf CLK_TCK)
maria_cpu() { awk '{ print $14 + $15 }' "/proc/$maria/stat"; }
pg_cpu() { awk '{ print $16 + $17 }' "/proc/$postmaster/stat"; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
m0=$(maria_cpu) p0=$(pg_cpu)
/usr/bin/time -f "%e %U %S" -o "$out" "$@" >/dev/null || [ $? -eq 1 ] # 1: differences found
sleep 0.5
m1=$(maria_cpu) p1=$(pg_cpu)
read -r wall user sys <"$out"
awk -v w="$wall" -v u="$user" -v s="$sys" -v m=$((m1 - m0)) -v p=$((p1 - p0)) -v t="$ticks" \
  'BEGIN { printf "wall %.2f s   ours %.2f s   MariaDB %.2f s   PostgreSQL %.2f s (CPU)\n", w, u + s, m / t, p / t }'
