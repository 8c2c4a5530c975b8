//! Memory settings of the window's web engine (issue 5: < 200 MB idle with a project open).
//!
//! On Linux the window is WebKitGTK, whose defaults suit a web browser: a large in-memory cache
//! of resources and a back/forward page cache, sized from the machine's RAM, and WebGL and
//! Web Audio enabled by wry. This app loads one page once from its own assets, never navigates,
//! and draws with the DOM and SVG, so it needs none of them.
//!
//! On a machine with no GPU (a VM, a remote desktop, CI under Xvfb) every OpenGL user is Mesa's
//! software driver, whose `libLLVM` alone costs each process that loads it ~8 MB of relocated
//! data plus its share of ~38 MB of code. WebKitGTK 2.50's web process always paints through
//! EGL, but the UI process (this app) loads Mesa only to ask questions whose answers do not
//! matter without a GPU; [`software_rendering_defaults`] stops those questions. Without GL in
//! GTK, WebKit also turns accelerated compositing off, which on llvmpipe was both heavier and
//! slower (BENCHMARKS.md, "Desktop").

/// Environment variables that keep Mesa out of the app's own process when the machine has no
/// GPU, each with what it stops:
/// - `GDK_GL=disable`: GTK 3 opening the X display initialises GLX to pick GL-capable visuals;
/// - `WEBKIT_DISABLE_DMABUF_RENDERER=1`: WebKit initialises EGL to check the DMA-BUF renderer
///   (the web process then hands its frames over in shared memory, the path it takes anyway once
///   GTK has no GL);
/// - `WEBKIT_WEB_RENDER_DEVICE_FILE`: WebKit initialises EGL to ask which DRM render node the web
///   process should use; there is none, so an answer is given instead (WebKit needs it non-empty;
///   with the DMA-BUF renderer off the web process never opens it).
const SOFTWARE_RENDERING: [(&str, &str); 3] = [
    ("GDK_GL", "disable"),
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/null"),
];

/// Whether a DRM render node (`/dev/dri/renderD*`) is present: a GPU the app may draw with.
/// An unreadable `/dev/dri` counts as none, as the app could not open a node there either.
pub fn has_render_node() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// With no GPU, sets [`SOFTWARE_RENDERING`]'s variables that the person has not set themselves,
/// and returns the ones it set. With a GPU it sets nothing: the GPU's own driver is shared with
/// the rest of the desktop, and WebKit's DMA-BUF renderer and GTK's GL keep panning on the GPU.
///
/// Call it before GTK starts and before any thread exists (the environment is process-wide and
/// not thread-safe to write): [`crate::run`] does so first.
pub fn software_rendering_defaults() -> Vec<&'static str> {
    if !cfg!(target_os = "linux") || has_render_node() {
        return Vec::new();
    }
    SOFTWARE_RENDERING
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .map(|&(name, value)| {
            std::env::set_var(name, value);
            name
        })
        .collect()
}

/// Makes the main window's WebKitGTK lean: the document-viewer cache model (no memory cache of
/// resources, no page cache), and no WebGL or Web Audio. Logs and goes on when the webview
/// cannot be reached: a heavier window still works.
pub fn lean(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    {
        let applied = window.with_webview(|webview| {
            use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
            let view = webview.inner();
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_page_cache(false);
                settings.set_enable_webgl(false);
                settings.set_enable_webaudio(false);
            }
        });
        if let Err(e) = applied {
            tracing::warn!("webview memory settings not applied: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
