//! Memory settings of the window's web engine (issue 5: < 200 MB idle with a project open).
//!
//! On Linux the window is WebKitGTK, whose defaults suit a web browser: a large in-memory cache
//! of resources and a back/forward page cache, sized from the machine's RAM, and WebGL and
//! Web Audio enabled by wry. This app loads one page once from its own assets, never navigates,
//! and draws with the DOM and SVG, so it needs none of them.

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
