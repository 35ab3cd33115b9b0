//! Process-wide setup for the programs that run the engine (the CLI, the desktop app).

/// Tunes glibc's allocator for a process that runs the engine; call it first thing in
/// `main`, before any thread starts.
/// - glibc raises its mmap threshold after large buffers are freed, so later part
///   buffers come from arenas that keep the memory: RSS would grow far past the
///   engine's memory budget. A fixed threshold returns each part buffer to the OS.
/// - Each thread that allocates may get an arena of its own (up to 8 per core), and
///   memory freed in one is not reused by another: 5,000 small files peaked at 68 MiB
///   of RSS with the default, 43 MiB with two arenas, as fast.
pub fn limit_allocator_retention() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
