#!/usr/bin/env bash
# Rehearsal figures (issue 3): the Sakila sample (47,273 rows, MariaDB → PostgreSQL) rehearsed
# end to end on each provider, and once with every fault drill. Prints a table from the reports;
# run from the repository root:
#   bash bench/rehearsal.sh
# The docker rows need a daemon (DOCKER_HOST) and the images of `migration-studio images build`;
# they are skipped, said so, without one.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/migration-studio
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
run() { # label, extra args…
    local label=$1; shift
    rm -rf "$WORK/p" && cp -r sample-projects/sakila-mysql-to-postgres "$WORK/p"
    rm -rf "$WORK/p/.migration-studio" "$WORK/p"/migration-studio.db*
    if "$BIN" rehearse "$WORK/p" --json "$@" > "$WORK/r.json" 2> "$WORK/err"; then :; else
        echo "$label: failed: $(tail -1 "$WORK/err")" >&2; return 0; fi
    python3 - "$label" "$WORK/r.json" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
step = {s["name"]: s["end_seconds"] - s["start_seconds"] for s in r["steps"]}
prov = step.get("provision containers", step.get("provision scratch databases", 0))
resume = next((d["resume_seconds"] for d in r.get("drills", []) if d.get("resume_seconds")), None)
print(f"| {label} | {r['verdict']} | {r['total_seconds']:.1f} | {prov:.2f} | {step.get('backfill', 0):.2f} | "
      f"{step.get('validation', 0):.2f} | {r['write_downtime_seconds']:.2f} | {r['rollback_seconds']:.2f} | "
      f"{r['rows_lost']} | {r['duplicate_rows']} | {r['rejected_rows']} | {'' if resume is None else f'{resume:.3f}'} |")
PY
}
echo "| run | verdict | total s | provision s | backfill s | validation s | write downtime s | rollback s | rows lost | duplicates | rejects kept | resume s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
run "local" --provider local
run "local, all drills" --provider local --drill kill-backfill --drill drop-connection --drill plant-rejects=5
if docker version >/dev/null 2>&1; then
    run "docker" --provider docker
else
    echo "| docker | skipped: no daemon answers at ${DOCKER_HOST:-the default socket} | | | | | | | | | | |"
fi
