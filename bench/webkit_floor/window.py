"""A bare WebKitGTK 4.1 window, set up as the desktop app sets up its own (src-tauri/src/webview.rs):
document-viewer cache model, no page cache, WebGL or Web Audio. It shows one page and waits.
Its memory is the floor under the app's: what WebKitGTK and its software GL cost before the app
draws anything. Usage: python3 window.py URL (Debian's /usr/bin/python3 with python3-gi)."""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402

window = Gtk.Window()
window.set_default_size(1280, 800)
context = WebKit2.WebContext.get_default()
context.set_cache_model(WebKit2.CacheModel.DOCUMENT_VIEWER)
view = WebKit2.WebView.new_with_context(context)
settings = view.get_settings()
settings.set_enable_page_cache(False)
settings.set_enable_webgl(False)
settings.set_enable_webaudio(False)
window.add(view)
window.connect("destroy", Gtk.main_quit)
window.show_all()
view.load_uri(sys.argv[1])
Gtk.main()
