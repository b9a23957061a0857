//! Files and folders readable by their owner only (0600 and 0700), set
//! explicitly rather than left to the umask: the data directory holds the
//! master key, sealed secrets and code the host will run.

use std::fs::File;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `dir` and any missing parent, each 0700; an existing one is kept.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates the new file `path` (it must not exist), 0600, for writing.
pub fn create_file(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

/// The group and other permission bits of an existing `dir`, when it has any.
pub fn shared_bits(dir: &Path) -> Option<u32> {
    let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}
