//! Giving the memory the app frees back to the system (issue 5: < 200 MB idle; issue 19: the
//! graph screen ≤ 300 MB).
//!
//! Opening a project parses its inputs on one of tokio's worker threads. glibc's allocator gives
//! each such thread its own arena and returns little of an arena's freed memory to the system by
//! itself, so the parse's transient garbage (~17 MB for the Sakila sample) stayed resident for as
//! long as the app ran. `malloc_trim` hands every arena's free pages back; the memory still in
//! use (the opened workspace) is untouched.

/// Returns the allocator's free pages to the system. Cheap (it walks the free lists once,
/// a few milliseconds): call it after work that allocates a lot and keeps little.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases pages glibc's allocator holds free; it takes the arenas'
    // own locks, so it is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Bytes from which glibc serves an allocation with its own `mmap` (returned to the system on
/// `free`), and above which it trims a heap's free top: glibc's starting defaults, fixed.
const ALLOCATOR_THRESHOLD: i32 = 128 * 1024;

/// The most arenas glibc's allocator may make (its default: 8 per core).
const ARENAS: i32 = 2;

/// Keeps glibc's allocator from holding on to what large, short-lived buffers leave behind: the
/// app's assets decompressed for the page (the graph screen's chunks and ELK's 1.6 MB worker
/// script) and the IPC's serialized answers. glibc raises both thresholds by itself after the first
/// large buffer is freed (up to 32 MiB, mallopt(3), "M_MMAP_THRESHOLD"), after which such buffers
/// come from the heap and stay resident; setting them turns that adjustment off. Measured with the
/// e2e's `MS_E2E_BENCH=start` on the shipping build, 3 runs each: the app process 85 → 74 MB PSS
/// idle and 96 → 82–85 MB with the Sakila graph open (BENCHMARKS.md, "Desktop: the allocator's
/// thresholds"). Call it first thing, before any thread allocates.
///
/// It also caps glibc's arenas at [`ARENAS`]: glibc gives threads arenas of their own, up to 8 per
/// core, and an arena keeps what its threads freed (tokio's workers and blocking pool, sqlx's
/// SQLite connection threads and WebKit's threads can each get one). Measured: ~2 MB less idle
/// and with the graph open, and the first minute of a session no longer jumps by 3.5 MB; the app
/// process's slow growth over a 15-minute session stays (BENCHMARKS.md, "glibc's arenas capped at
/// 2"). A desktop app's threads rarely allocate at once, so sharing arenas costs no measurable
/// time.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters (under its own lock); the values are
    // within what glibc accepts (it returns 0 and changes nothing otherwise).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, ALLOCATOR_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, ALLOCATOR_THRESHOLD);
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}
