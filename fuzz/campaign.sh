#!/usr/bin/env bash
# Runs every target in turn for RUNS executions or SECONDS seconds, whichever comes first,
# logging to fuzz/logs/<target>.log, then prints each target's figures. Usage:
#   fuzz/campaign.sh [runs=1000000] [seconds=300] [targets…]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs="${1:-1000000}"
seconds="${2:-300}"
shift $(( $# >= 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(ddl_split ddl_import services_csv services_compose services_kubernetes services_backstage manifest)
mkdir -p "$here/logs"
for target in "${targets[@]}"; do
    start=$(date +%s)
    "$here/run.sh" "$target" "$runs" -max_total_time="$seconds" > "$here/logs/$target.log" 2>&1
    status=$?
    executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$here/logs/$target.log" | tail -1)
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$here/logs/$target.log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$here/logs/$target.log" | tail -1)
    echo "$target: exit $status, ${executed:-?} executions in $(( $(date +%s) - start )) s, peak RSS ${peak:-?} MB, $cov"
done
