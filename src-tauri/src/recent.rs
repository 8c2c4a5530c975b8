//! Recently opened projects, most recent first, kept in `recent-projects.json` in the app's
//! configuration folder (at most [`MAX_RECENT`]). A missing or unreadable file is an empty list:
//! the list is a convenience, never a reason to fail.
//!
//! Only Rust writes the list, and only for a project the person opened or created through a
//! dialog Rust opened ([`crate::dialogs`]): so a folder in it may be opened again by its path
//! ([`remembered`]), and no other path the window names can be.

use std::path::Path;

use serde::{Deserialize, Serialize};
use specta::Type;

/// How many projects are remembered.
pub const MAX_RECENT: usize = 12;
const FILE: &str = "recent-projects.json";

/// A recently opened project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct RecentProject {
    /// Folder.
    pub path: String,
    /// Name when last opened.
    pub name: String,
    /// When last opened, seconds since the Unix epoch.
    pub opened_at: f64,
    /// Whether the folder still holds a project.
    #[serde(default)]
    pub exists: bool,
}

/// The list, each entry's `exists` checked now.
pub fn load(config_dir: &Path) -> Vec<RecentProject> {
    let mut list: Vec<RecentProject> = std::fs::read(config_dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    for p in &mut list {
        p.exists = Path::new(&p.path)
            .join(migration_studio::project::MANIFEST_FILE)
            .is_file();
    }
    list
}

fn store(config_dir: &Path, list: &[RecentProject]) -> std::io::Result<()> {
    std::fs::create_dir_all(config_dir)?;
    let tmp = config_dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(list).unwrap_or_default())?;
    std::fs::rename(tmp, config_dir.join(FILE))
}

/// The folder `path` when it is in the list (as the list names it), to open it again.
pub fn remembered(config_dir: &Path, path: &str) -> Option<crate::dialogs::ChosenPath> {
    load(config_dir)
        .into_iter()
        .find(|p| p.path == path)
        .map(|p| crate::dialogs::ChosenPath::remembered(p.path))
}

/// Puts `path` first; failures to write are logged, not returned.
pub fn touch(config_dir: &Path, path: &str, name: &str) -> Vec<RecentProject> {
    let mut list = load(config_dir);
    list.retain(|p| p.path != path);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64().floor());
    list.insert(
        0,
        RecentProject {
            path: path.to_owned(),
            name: name.to_owned(),
            opened_at: now,
            exists: true,
        },
    );
    list.truncate(MAX_RECENT);
    if let Err(e) = store(config_dir, &list) {
        tracing::warn!("cannot remember recent projects: {e}");
    }
    list
}

/// Removes `path` from the list.
pub fn forget(config_dir: &Path, path: &str) -> Vec<RecentProject> {
    let mut list = load(config_dir);
    list.retain(|p| p.path != path);
    if let Err(e) = store(config_dir, &list) {
        tracing::warn!("cannot update recent projects: {e}");
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_bounded_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_empty());
        for i in 0..MAX_RECENT + 3 {
            touch(dir.path(), &format!("/p/{i}"), "x");
        }
        touch(dir.path(), "/p/5", "again");
        let list = load(dir.path());
        assert_eq!(list.len(), MAX_RECENT);
        assert_eq!(list[0].path, "/p/5");
        assert_eq!(list.iter().filter(|p| p.path == "/p/5").count(), 1);
        assert!(!list[0].exists);
        assert_eq!(
            remembered(dir.path(), "/p/5").map(|p| p.path().to_owned()),
            Some(std::path::PathBuf::from("/p/5"))
        );
        assert!(remembered(dir.path(), "/p/99").is_none());
        let list = forget(dir.path(), "/p/5");
        assert!(list.iter().all(|p| p.path != "/p/5"));
        std::fs::write(dir.path().join(FILE), b"not json").unwrap();
        assert!(load(dir.path()).is_empty());
    }
}
