#!/usr/bin/env bash
# Makes (or reuses) a Python venv with the orchestrators' libraries for tests/orchestrators.rs:
# Apache Airflow and hera (the Argo Workflows SDK), pinned by requirements.txt and
# constraints.txt beside this script. Prints the venv's python; point the tests at it:
#
#   export MIGRATION_STUDIO_ORCHESTRATOR_PYTHON=$(tests/orchestrators/venv.sh ~/.cache/migration-studio/orchestrators)
#
# A venv made from the same pins is reused as it is (a stamp file holds their digest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:?usage: venv.sh DIR}
digest=$(cat "$here/requirements.txt" "$here/constraints.txt" | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$venv/.migration-studio-pins" 2>/dev/null)" != "$digest" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        -r "$here/requirements.txt" -c "$here/constraints.txt" >&2
    echo "$digest" >"$venv/.migration-studio-pins"
fi
echo "$venv/bin/python"
