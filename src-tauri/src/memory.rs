//! Giving the memory that opening a project freed back to the system (issue 5: < 200 MB idle).
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
