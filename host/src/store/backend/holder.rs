//! Who holds a refresh lease, and whether it still lives. Each store
//! handle registers a holder: a file in `holders/` beside the database that it keeps
//! locked for as long as it exists. The operating system drops the lock
//! when the process dies, however it dies, so another process can tell at
//! once that a lease's holder is gone instead of waiting out the lease.
//! (PostgreSQL gets the same property from session-scoped advisory locks.)

use std::fs::{File, TryLockError};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::store::{StoreError, new_id};

/// The folder of holder files in the data directory.
const HOLDERS_DIR: &str = "holders";

/// This store handle's identity in leases, alive while the value lives.
#[derive(Debug)]
pub struct Holder {
    /// Names the holder in lease rows (128 random bits, hex).
    pub id: String,
    dir: PathBuf,
    /// Locked exclusively until dropped.
    file: Option<File>,
}

impl Holder {
    /// Registers a new holder beside the database file (every process on
    /// that database looks there). The file is locked before it takes its
    /// name, so no one ever sees it unlocked while its holder lives. The
    /// folder is 0700 and the file 0600.
    pub fn register(database_dir: &Path) -> Result<Self, StoreError> {
        let dir = database_dir.join(HOLDERS_DIR);
        let cannot = |e: std::io::Error| StoreError::Key(format!("cannot register in {}: {e}", dir.display()));
        crate::private::create_dir(&dir).map_err(cannot)?;
        let id = new_id();
        let claiming = dir.join(format!("{id}.claim"));
        let file = crate::private::create_file(&claiming).map_err(cannot)?;
        file.try_lock().map_err(|e| cannot(e.into()))?;
        std::fs::rename(&claiming, dir.join(format!("{id}.lock"))).map_err(cannot)?;
        Ok(Self { id, dir, file: Some(file) })
    }

    /// Whether the holder `id` still lives. A holder whose file is
    /// missing or unlocked is gone; its file is removed on the way.
    pub fn is_alive(&self, id: &str) -> bool {
        if id == self.id {
            return true;
        }
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return false;
        }
        let path = self.dir.join(format!("{id}.lock"));
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return false,
            Err(_) => return true,
        };
        match file.try_lock() {
            Ok(()) => {
                let _ = std::fs::remove_file(&path);
                false
            }
            Err(TryLockError::WouldBlock) => true,
            Err(TryLockError::Error(_)) => true,
        }
    }

    /// Removes the files of holders that are gone; returns how many.
    pub fn sweep_dead(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return 0 };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| entry.file_name().to_str()?.strip_suffix(".lock").map(str::to_owned))
            .filter(|id| !self.is_alive(id))
            .count()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join(format!("{}.lock", self.id)));
        drop(self.file.take());
    }
}
