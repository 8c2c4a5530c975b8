#!/usr/bin/env bash
# Write downtime of the Sakila CDC rehearsal (issue 17): the Sakila sample (47,273 rows,
# MariaDB → PostgreSQL, local provider) rehearsed end to end ROUNDS times; per run the write
# downtime (freeze to writes resuming on the target) and its split (freeze, final catch-up,
# final validation, cutover) from the report. With BASELINE=path/to/another migration-studio
# binary, that binary is rehearsed in the same rounds, interleaved, so the machine's noise hits
# both alike (a baseline without the split prints only its downtime and final validation row).
# Run from the repository root:
#   bash bench/downtime.sh [rounds]   (default 5; figures are medians)
set -euo pipefail
ROUNDS=${1:-5}
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/migration-studio
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
tools="new"; [ -n "${BASELINE:-}" ] && tools="base new"
for round in $(seq 1 "$ROUNDS"); do
  for tool in $tools; do
    bin=$BIN; [ "$tool" = base ] && bin=$BASELINE
    rm -rf "$WORK/p" && cp -r sample-projects/sakila-mysql-to-postgres "$WORK/p"
    rm -rf "$WORK/p/.migration-studio" "$WORK/p"/migration-studio.db*
    if ! "$bin" rehearse "$WORK/p" --provider local --json > "$WORK/$tool-$round.json" 2> "$WORK/err"; then
      echo "$tool round $round: failed: $(tail -1 "$WORK/err")" >&2
      rm -f "$WORK/$tool-$round.json"
    fi
  done
done
python3 - "$WORK" "$tools" <<'PY'
import glob, json, statistics, sys
work, tools = sys.argv[1], sys.argv[2].split()
print("| build | verdict | write downtime s | freeze s | final catch-up s | final validation s | cutover s |")
print("|---|---|---:|---:|---:|---:|---:|")
for tool in tools:
    runs = [json.load(open(p)) for p in sorted(glob.glob(f"{work}/{tool}-*.json"))]
    if not runs:
        print(f"| {tool} | no run finished | | | | | |"); continue
    def med(f):
        return statistics.median(f(r) for r in runs)
    def final_validation(r):
        split = r.get("downtime_split") or {}
        if split.get("final_validation_seconds"):
            return split["final_validation_seconds"]
        rows = [x for x in r.get("runbook", []) if x.get("action") == "final_validation"]
        return sum(x.get("measured_seconds") or 0 for x in rows)
    split = lambda k: med(lambda r: (r.get("downtime_split") or {}).get(k, 0.0))
    verdicts = ",".join(sorted({r["verdict"] for r in runs}))
    print(f"| {tool} ({len(runs)} runs, medians) | {verdicts} | {med(lambda r: r['write_downtime_seconds']):.3f} | "
          f"{split('freeze_seconds'):.3f} | {split('final_catch_up_seconds'):.3f} | {med(final_validation):.3f} | "
          f"{split('cutover_seconds'):.3f} |")
    each = " ".join("%.2f" % r["write_downtime_seconds"] for r in runs)
    print(f"| {tool}, per run | | {each} | | | | |")
PY
