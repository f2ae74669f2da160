//! SIGINT/SIGTERM: remove the temporary files of outputs not yet renamed
//! into place, then exit 130/143. Without this a killed run would leave
//! `.xlogdec-*.tmp` files behind (destructors do not run on a signal).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files that must not outlive the process.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temps() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic elsewhere while holding the lock leaves a usable list.
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the signal watcher (once per process).
pub fn install() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return; // no handler: the default action still ends the run
        };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // Held until exit: no rename can start after the cleanup.
                let mut list = temps();
                for p in list.drain(..) {
                    let _ = std::fs::remove_file(p);
                }
                std::process::exit(128 + sig);
            }
        });
    }
}

/// Records a temporary file to remove on a signal.
pub fn register(path: &Path) {
    temps().push(path.to_path_buf());
}

/// Runs `f` (the rename of `path` into place, or its removal) with the
/// list locked, then forgets `path`: a signal sees it before or after, never
/// half-way.
pub fn settle<T>(path: &Path, f: impl FnOnce() -> T) -> T {
    let mut list = temps();
    let r = f();
    list.retain(|p| p != path);
    r
}
