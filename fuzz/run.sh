#!/usr/bin/env bash
# Builds the fuzz targets with stable Rust (the coverage instrumentation cargo-fuzz asks rustc
# for, without its nightly-only sanitizer flags) and runs one of them on its corpus:
#
#   fuzz/run.sh build
#   fuzz/run.sh <target> [runs] [extra libFuzzer flags…]     e.g. fuzz/run.sh ddl_import 1000000
#
# One core (libFuzzer runs one process), at the lowest priority. A crash, timeout (>10 s for
# one input) or allocation past the limits stops the run and leaves the input in
# fuzz/artifacts/<target>/; replay it with `fuzz/run.sh <target> 1 fuzz/artifacts/<target>/…`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
flags="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps the flags off build scripts and proc-macros, which run on the host.
host="$(rustc -vV | sed -n 's/^host: //p')"
if [ "${1:-}" = build ]; then
    RUSTFLAGS="$flags" exec nice -n 19 cargo build --release --manifest-path "$here/Cargo.toml" \
        --target "$host" --bins
fi
target="${1:?usage: fuzz/run.sh build | <target> [runs] [libFuzzer flags]}"
runs="${2:-1000000}"
shift $(( $# >= 2 ? 2 : 1 ))
mkdir -p "$here/corpus/$target" "$here/artifacts/$target"
max_len=4096
case "$target" in ddl_*) max_len=8192 ;; esac
seeds=()
[ -d "$here/seeds/$target" ] && seeds=("$here/seeds/$target")
exec nice -n 19 "$CARGO_TARGET_DIR/$host/release/$target" \
    -runs="$runs" -max_len="$max_len" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 \
    -print_final_stats=1 -artifact_prefix="$here/artifacts/$target/" \
    "$@" "$here/corpus/$target" "${seeds[@]}"
