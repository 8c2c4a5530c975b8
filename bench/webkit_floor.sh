#!/usr/bin/env bash
# The memory floor under the desktop app (issue 5, "< 200 MB idle"): a bare WebKitGTK window
# (bench/webkit_floor/window.py, Debian's python3-gi) showing a one-line page, with the app's
# own software-rendering settings (src-tauri/src/webview.rs: set only where not already set) and
# the e2e's (WEBKIT_DISABLE_COMPOSITING_MODE), measured by the e2e's own code (ui/e2e/memory.mjs):
# PSS of the process tree, here 8 s after the window is started. Prints per process its PSS and largest
# holders. Extra environment (e.g. JSC_useDFGJIT=false) passes through.
# Needs: Xvfb, Node.js, python3-gi and gir1.2-webkit2-4.1. Usage: bash bench/webkit_floor.sh [URL]
set -euo pipefail
cd "$(dirname "$0")/webkit_floor"
url=${1:-"data:text/html,<h1>Hello</h1><p>One line of text.</p>"}
python=/usr/bin/python3
if ! "$python" -c 'import gi; gi.require_version("WebKit2", "4.1")' 2>/dev/null; then
    echo "needs Debian's python3-gi and gir1.2-webkit2-4.1 (apt-get install python3-gi gir1.2-webkit2-4.1)" >&2
    exit 2
fi
log=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$log"' EXIT
exec {displayfd}<> <(:)
Xvfb -displayfd "$displayfd" -screen 0 1400x900x24 -nolisten tcp >"$log/xvfb" 2>&1 &
pids+=($!)
read -r -t 10 -u "$displayfd" display || { echo "Xvfb did not start: $(cat "$log/xvfb")" >&2; exit 1; }
export DISPLAY=:$display GSETTINGS_BACKEND=memory WEBKIT_DISABLE_COMPOSITING_MODE=1
if ! ls /dev/dri/renderD* >/dev/null 2>&1; then
    export GDK_GL=${GDK_GL:-disable} WEBKIT_DISABLE_DMABUF_RENDERER=${WEBKIT_DISABLE_DMABUF_RENDERER:-1}
    export WEBKIT_WEB_RENDER_DEVICE_FILE=${WEBKIT_WEB_RENDER_DEVICE_FILE:-/dev/null}
fi
"$python" window.py "$url" >"$log/window" 2>&1 &
window=$!
pids=("$window" "${pids[@]}")
sleep 8
kill -0 "$window" 2>/dev/null || { echo "the window exited: $(cat "$log/window")" >&2; exit 1; }
node ../../ui/e2e/memory.mjs "$window"
