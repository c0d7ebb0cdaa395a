//! Where the console keeps its files: the platform's standard folders, or one folder named by
//! `SEGMENT_CONSOLE_HOME` for everything (tests, portable use).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub const HOME_ENV: &str = "SEGMENT_CONSOLE_HOME";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDirs {
    /// Settings (with secrets).
    pub config: PathBuf,
    /// History and autosaves.
    pub data: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "no home folder was found for this user, so the console does not know where to keep its \
         files; set {HOME_ENV} to a folder"
    )]
    NoHome,
    #[error("{HOME_ENV} is set but empty; give it a folder or unset it")]
    EmptyOverride,
    #[error("cannot create the folder {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl DataDirs {
    /// From the environment: `SEGMENT_CONSOLE_HOME` when set, else the platform's folders.
    pub fn locate() -> Result<DataDirs, PathsError> {
        DataDirs::from_override(std::env::var_os(HOME_ENV))
    }

    /// Like [`DataDirs::locate`], with the override's value given (tests set no variables).
    pub fn from_override(home: Option<OsString>) -> Result<DataDirs, PathsError> {
        match home {
            Some(h) if h.is_empty() => Err(PathsError::EmptyOverride),
            Some(h) => Ok(DataDirs::in_folder(Path::new(&h))),
            None => {
                let dirs = directories::ProjectDirs::from("", "", "segment-console")
                    .ok_or(PathsError::NoHome)?;
                Ok(DataDirs {
                    config: dirs.config_dir().to_path_buf(),
                    data: dirs.data_dir().to_path_buf(),
                })
            }
        }
    }

    /// Everything in one folder.
    pub fn in_folder(folder: &Path) -> DataDirs {
        DataDirs {
            config: folder.to_path_buf(),
            data: folder.to_path_buf(),
        }
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.json")
    }

    pub fn history_file(&self) -> PathBuf {
        self.data.join("history.sqlite3")
    }

    pub fn autosave_dir(&self) -> PathBuf {
        self.data.join("autosave")
    }

    /// Creates the folders (owner-only on Unix: the settings hold API keys).
    pub fn create(&self) -> Result<(), PathsError> {
        for dir in [&self.config, &self.data, &self.autosave_dir()] {
            create_private_dir(dir).map_err(|source| PathsError::Create {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)?;
    // A folder made by an older console (or by hand) is put right too: it holds the history,
    // with people's emails and traits.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_holds_everything() {
        let d = DataDirs::from_override(Some("/tmp/sc-home".into())).unwrap();
        assert_eq!(d.settings_file(), Path::new("/tmp/sc-home/settings.json"));
        assert_eq!(d.history_file(), Path::new("/tmp/sc-home/history.sqlite3"));
        assert_eq!(d.autosave_dir(), Path::new("/tmp/sc-home/autosave"));
        assert!(matches!(
            DataDirs::from_override(Some(OsString::new())),
            Err(PathsError::EmptyOverride)
        ));
    }

    #[test]
    fn without_override_the_platform_folders_are_used() {
        // A test machine may have no home folder; then the error must say what to do.
        match DataDirs::from_override(None) {
            Ok(d) => {
                assert!(d.config.ends_with("segment-console"), "{:?}", d.config);
                assert!(d.data.to_string_lossy().contains("segment-console"));
            }
            Err(e) => assert!(e.to_string().contains(HOME_ENV)),
        }
    }

    #[test]
    fn folders_are_created_private() {
        let tmp = tempfile::tempdir().unwrap();
        let d = DataDirs::in_folder(&tmp.path().join("a/b"));
        d.create().unwrap();
        assert!(d.autosave_dir().is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&d.config).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_open_folder_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let d = DataDirs::in_folder(tmp.path());
        std::fs::create_dir_all(&d.data).unwrap();
        std::fs::set_permissions(&d.data, std::fs::Permissions::from_mode(0o755)).unwrap();
        d.create().unwrap();
        let mode = std::fs::metadata(&d.data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
