//! A folder of golden files (`run --expect DIR`): each event's expected partner requests,
//! compared with today's, or written with `--update`. The names and the comparison are
//! `plan::golden`'s; this is the disk side.

use super::atomic::write_atomic;
use crate::json::text as json_text;
use crate::plan::golden;
use serde_json::Value;
use std::path::Path;

/// What became of one golden file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// The file holds what the event makes today.
    Same,
    /// It differs: the diff from the file to today's.
    Differs(String),
    /// No file for this event (run with --update to write it).
    Missing,
    /// The file could not be read as JSON.
    Unreadable(String),
    /// Written by --update (new or changed).
    Written,
    /// A golden file for an event the set no longer has.
    Stale,
    /// A stale file removed by --update.
    Removed,
}

impl Check {
    /// Whether the run must fail for it.
    pub fn fails(&self) -> bool {
        matches!(
            self,
            Check::Differs(_) | Check::Missing | Check::Unreadable(_) | Check::Stale
        )
    }
}

/// One golden file's result; `index` is `None` for a stale file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    pub index: Option<usize>,
    pub file: String,
    pub check: Check,
}

/// Compares (or with `update`, writes) one file per `(event index, file name, actual)`, then
/// looks for golden files no event produced.
pub fn check_dir(
    dir: &Path,
    actual: &[(usize, String, Value)],
    update: bool,
) -> Result<Vec<FileCheck>, String> {
    if update {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    } else if !dir.is_dir() {
        return Err(format!(
            "{} is not a folder of golden files (run once with --update to write them)",
            dir.display()
        ));
    }
    let mut out = Vec::with_capacity(actual.len());
    for (index, file, value) in actual {
        let path = dir.join(file);
        let existing = match std::fs::read(&path) {
            Ok(bytes) => Some(
                json_text::parse_bytes(&bytes)
                    .map_err(|e| format!("line {}, column {}: {}", e.line, e.column, e.message)),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let check = match (existing, update) {
            (Some(Ok(old)), _) if golden::compare(&old, value).is_none() => Check::Same,
            (_, true) => {
                write_atomic(&path, golden::text(value).as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Check::Written
            }
            (Some(Ok(old)), false) => {
                Check::Differs(golden::compare(&old, value).unwrap_or_default())
            }
            (Some(Err(e)), false) => Check::Unreadable(e),
            (None, false) => Check::Missing,
        };
        out.push(FileCheck {
            index: Some(*index),
            file: file.clone(),
            check,
        });
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| golden::is_golden_name(n) && !actual.iter().any(|(_, f, _)| f == n))
        .collect();
    names.sort();
    for name in names {
        if update {
            std::fs::remove_file(dir.join(&name))
                .map_err(|e| format!("cannot remove the stale {name}: {e}"))?;
        }
        out.push(FileCheck {
            index: None,
            file: name,
            check: if update { Check::Removed } else { Check::Stale },
        });
    }
    Ok(out)
}
