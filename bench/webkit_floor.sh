#!/usr/bin/env bash
# The memory floor under the desktop app (issue 5, "< 200 MB idle"): a bare WebKitGTK window
# (bench/webkit_floor/window.py, Debian's python3-gi) showing a one-line page, with the app's
# own software-rendering settings (src-tauri/src/webview.rs) and the e2e's
# (WEBKIT_DISABLE_COMPOSITING_MODE), measured like the e2e measures the app (PSS of the process
# tree, 8 s after the page is shown). Prints per process its PSS and largest holders. Extra
# environment (e.g. JSC_useDFGJIT=false) passes through. Usage: bash bench/webkit_floor.sh [URL]
set -euo pipefail
cd "$(dirname "$0")/webkit_floor"
url=${1:-"data:text/html,<h1>Hello</h1><p>One line of text.</p>"}
/usr/bin/python3 -c 'import gi; gi.require_version("WebKit2", "4.1")' 2>/dev/null \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-gi gir1.2-webkit2-4.1 >/dev/null
display=:97
Xvfb "$display" -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=$display GSETTINGS_BACKEND=memory WEBKIT_DISABLE_COMPOSITING_MODE=1
if ! ls /dev/dri/renderD* >/dev/null 2>&1; then
    export GDK_GL=disable WEBKIT_DISABLE_DMABUF_RENDERER=1 WEBKIT_WEB_RENDER_DEVICE_FILE=/dev/null
fi
/usr/bin/python3 window.py "$url" >/dev/null 2>&1 &
window=$!
sleep 8
python3 pss.py "$window"
kill "$window"
