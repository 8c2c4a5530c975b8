//! A memory budget for the window's web process (issue 19: the graph screen ≤ 300 MB and no
//! growth over a 15-minute session).
//!
//! WebKitGTK's web process measures its own memory every poll interval (its footprint, read from
//! `/proc/self/smaps`) and releases memory when that passes a fraction of a limit: above the
//! *conservative* threshold its caches and a garbage collection; above the *strict* one also its
//! compiled JavaScript (compiled again when next run). By default the limit is the machine's RAM
//! capped at 3 GB and the poll interval 30 s, so on a desktop the handler never acts, and what a
//! screen once compiled or cached stays for the rest of the session (the dependency graph's React
//! Flow and layouts: BENCHMARKS.md, "Desktop: 15-minute session"). The settings are WebKit's own
//! (`WebKitMemoryPressureSettings`, WebKitGTK ≥ 2.34).
//!
//! WebKit reads them only when the web context is constructed (the context's
//! `memory-pressure-settings` property is construct-only), and wry constructs the context with
//! no hook for them. [`install`] therefore wraps the GObject `constructor` of WebKit's web
//! context class: a context whose constructor was not given settings is given the app's
//! [`BUDGET`]. Constructor parameters are GObject's documented way in (`GObjectClass`'s
//! `constructor` receives every construct property with its value or its default); nothing of
//! WebKit's private state is touched.

use std::ffi::{c_uint, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use webkit2gtk::ffi as webkit;
use webkit2gtk::glib::ffi::GType;
use webkit2gtk::glib::gobject_ffi::{self as gobject, GObject, GObjectConstructParam, GValue};

/// The web process's memory budget, in WebKit's terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// The limit the thresholds are fractions of, in MiB.
    pub limit_mib: u32,
    /// Above this fraction of the limit: caches dropped and a garbage collection.
    pub conservative: f64,
    /// Above this fraction of the limit: compiled scripts dropped as well.
    pub strict: f64,
    /// Seconds between two measurements (and releases while above a threshold).
    pub poll_seconds: f64,
}

/// The app's budget. The web process's anonymous memory (`RssAnon`; WebKit's own measure is read
/// from `smaps`, not compared here) is ~52 MiB idle with a project's inventory shown and ~84 MiB
/// with the Sakila graph open; above 33 MiB it drops caches and collects garbage, above 50 MiB its
/// compiled JavaScript too, every 5 s until it is back under. Measured on the shipping build
/// (BENCHMARKS.md, "A memory budget for the web process"): the Sakila graph open 296 → 275 MB PSS
/// for the process tree, idle unchanged; a 5-minute session's web process ~45 MiB lower throughout.
pub const BUDGET: Budget = Budget {
    limit_mib: 100,
    conservative: 0.33,
    strict: 0.5,
    poll_seconds: 5.0,
};

/// The environment variable that turns the budget off (`off`), for comparing against WebKit's
/// defaults; `on` or unset keeps it.
pub const SWITCH: &str = "MIGRATION_STUDIO_WEB_MEMORY_BUDGET";

/// Whether [`SWITCH`]'s value asks for the budget: `Ok(false)` for `off`, `Ok(true)` for `on` or
/// no value, and the value itself as the error for anything else (a `false` or `0` is not taken to
/// mean `off`: the caller says it keeps the budget).
fn wanted(value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(other.to_owned()),
    }
}

type Constructor = unsafe extern "C" fn(GType, c_uint, *mut GObjectConstructParam) -> *mut GObject;

/// WebKit's constructor, and the settings as a `GValue` kept for the life of the process.
struct Installed {
    original: Constructor,
    settings: *mut GValue,
}

// SAFETY: `settings` is written once, before `Installed` is shared, and only read afterwards
// (GObject copies the boxed settings out of it); it is never freed.
unsafe impl Send for Installed {}
// SAFETY: as for `Send`: shared read-only.
unsafe impl Sync for Installed {}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// How many web contexts were given [`BUDGET`] (one in the app; tests read it).
static GIVEN: AtomicUsize = AtomicUsize::new(0);

const PROPERTY: &CStr = c"memory-pressure-settings";

/// Gives every web context constructed from now on [`BUDGET`], unless its constructor was given
/// settings of its own or [`SWITCH`] is `off` (a value other than `on` or `off` is logged as a
/// warning and keeps the budget). Returns whether the budget is in force. Call it before the
/// window is created and after logging is set up; calling it again changes nothing.
pub fn install() -> bool {
    let value = std::env::var(SWITCH).ok();
    match wanted(value.as_deref()) {
        Ok(false) => return false,
        Ok(true) => {}
        Err(value) => {
            tracing::warn!("{SWITCH}={value:?} is neither `on` nor `off`: the budget stays on");
        }
    }
    INSTALLED.get_or_init(|| {
        // SAFETY: plain calls into WebKit and GObject: the settings are created, filled and moved
        // into a GValue of their own boxed type; the class is referenced for the life of the
        // process (never unreferenced), so its struct stays valid while the constructor is swapped
        // on the main thread before any context exists.
        unsafe {
            let settings = webkit::webkit_memory_pressure_settings_new();
            webkit::webkit_memory_pressure_settings_set_memory_limit(settings, BUDGET.limit_mib);
            webkit::webkit_memory_pressure_settings_set_conservative_threshold(
                settings,
                BUDGET.conservative,
            );
            webkit::webkit_memory_pressure_settings_set_strict_threshold(settings, BUDGET.strict);
            webkit::webkit_memory_pressure_settings_set_poll_interval(
                settings,
                BUDGET.poll_seconds,
            );
            let value: *mut GValue = Box::into_raw(Box::new(std::mem::zeroed()));
            gobject::g_value_init(value, webkit::webkit_memory_pressure_settings_get_type());
            gobject::g_value_take_boxed(value, settings.cast());

            let class = gobject::g_type_class_ref(webkit::webkit_web_context_get_type())
                .cast::<gobject::GObjectClass>();
            let original = (*class)
                .constructor
                .expect("GObject gives every class a constructor");
            (*class).constructor = Some(construct_web_context);
            Installed {
                original,
                settings: value,
            }
        }
    });
    true
}

/// How many web contexts were constructed with [`BUDGET`] since the process started.
pub fn contexts_given_budget() -> usize {
    GIVEN.load(Ordering::Relaxed)
}

/// The web context class's constructor while [`install`]ed: WebKit's own, with [`BUDGET`] in
/// place of unset settings.
unsafe extern "C" fn construct_web_context(
    type_: GType,
    count: c_uint,
    params: *mut GObjectConstructParam,
) -> *mut GObject {
    let installed = INSTALLED
        .get()
        .expect("the constructor is swapped only once INSTALLED is set");
    if !params.is_null() {
        // SAFETY: GObject passes `count` construct parameters, each with a valid pspec and value.
        for param in std::slice::from_raw_parts_mut(params, count as usize) {
            if CStr::from_ptr((*param.pspec).name) == PROPERTY
                && gobject::g_value_get_boxed(param.value).is_null()
            {
                param.value = installed.settings;
                GIVEN.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    (installed.original)(type_, count, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" {
        /// GTK 3's own initialisation (the app's is tauri's); WebKit's web context needs a display.
        fn gtk_init_check(argc: *mut i32, argv: *mut *mut *mut std::ffi::c_char) -> i32;
    }

    #[test]
    fn only_off_turns_the_budget_off() {
        assert_eq!(wanted(None), Ok(true));
        assert_eq!(wanted(Some("on")), Ok(true));
        assert_eq!(wanted(Some("off")), Ok(false));
        assert_eq!(wanted(Some("0")), Err("0".to_owned()));
        assert_eq!(wanted(Some("OFF")), Err("OFF".to_owned()));
    }

    /// A web context constructed the way wry constructs it (no settings given) gets the budget.
    /// Needs an X display: CI runs the shell's tests under `xvfb-run`.
    #[test]
    fn a_context_constructed_without_settings_gets_the_budget() {
        // SAFETY: GTK's initialisation with no arguments, once, before any GTK call.
        let display = unsafe { gtk_init_check(std::ptr::null_mut(), std::ptr::null_mut()) };
        assert_ne!(display, 0, "no X display: run the tests under xvfb-run");
        assert!(install());
        assert!(install(), "a second install changes nothing");
        let before = contexts_given_budget();
        // SAFETY: constructs and releases a WebKit web context through GObject, as wry does.
        unsafe {
            let context =
                gobject::g_object_new(webkit::webkit_web_context_get_type(), std::ptr::null());
            assert!(!context.is_null());
            gobject::g_object_unref(context);
        }
        assert_eq!(contexts_given_budget(), before + 1);
    }
}
