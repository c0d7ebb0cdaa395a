//! Atomic saves: a reader (or a crash) sees the old file or the new one, never half of either.
//! Event sets, settings, autosaves and JUnit reports are all written this way.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// The temporary files of [`write_atomic`] start with this.
pub const TEMP_PREFIX: &str = ".segment-console-";
/// A temporary file older than this belongs to a save that can no longer finish (the process
/// was killed): every save takes well under it.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(120);

/// Removes, from `dir`, the temporary files (`prefix`…`.tmp`) of saves killed before their
/// rename, once they are older than [`STALE_TEMP_AGE`]; returns how many went. A younger one
/// may be a save in progress in another process, and is left alone.
pub fn sweep_stale_temps(dir: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age >= STALE_TEMP_AGE);
        if old && e.file_type().is_ok_and(|t| t.is_file()) && std::fs::remove_file(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Writes a temporary file beside `path`, flushes it to disk, then renames it over `path`.
/// Leftovers of earlier saves that were killed midway are swept first.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write(path, bytes, TEMP_PREFIX, false)
}

/// Like [`write_atomic`], but the temporary file is made owner-only (0600) before a byte is
/// written to it, so a secret in it is never readable by others, not even briefly. Its
/// temporary files start with `prefix`, so a sweep can tell them apart.
pub fn write_private(path: &Path, bytes: &[u8], prefix: &str) -> std::io::Result<()> {
    write(path, bytes, prefix, true)
}

fn write(path: &Path, bytes: &[u8], prefix: &str, private: bool) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // A save killed before its rename leaves a temporary file (which may hold keys): removed
    // here once it is surely abandoned.
    sweep_stale_temps(dir, prefix);
    let mut tmp = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    tmp.write_all(bytes)?;
    tmp.flush()?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // The rename itself must reach the disk, or a crash could bring the old file back.
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}
