//! Reading input files without being led astray: only regular files are opened, never a FIFO
//! (which blocks forever), a device (`/dev/zero` never ends) or, inside a folder, a symbolic link
//! (which may lead out of the project); and no read goes past a size limit.
//!
//! A file's kind is checked twice: from its directory entry or `symlink_metadata` before it is
//! opened, and on the open handle (opened non-blocking, and without following a final symbolic
//! link when asked), so a file swapped for a FIFO or a link in between is still refused.

use std::fs::{File, FileType};
use std::hash::Hasher;
use std::io::Read;
use std::path::Path;

/// Whether a final symbolic link in a path may be followed when opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Follow it: the path was named in the manifest and resolved inside the project.
    Follow,
    /// Refuse it: the path was found in a folder walk.
    Refuse,
}

/// Why a bounded read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading failed, or the path is not a regular file.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The file holds more than the limit.
    #[error("{bytes} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Bytes found (at least; reading stops past the limit).
        bytes: u64,
        /// The limit in bytes.
        limit: u64,
    },
}

/// What a file of type `kind` is, in words, when it is not a regular file or a folder.
pub fn special_kind(kind: &FileType) -> Option<&'static str> {
    if kind.is_file() || kind.is_dir() {
        return None;
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Opens `path` for reading if it is a regular file.
///
/// # Errors
/// The OS error, or [`std::io::ErrorKind::InvalidInput`] saying what the path is instead.
pub fn open_regular(path: &Path, links: Links) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking, so opening a FIFO returns at once and the check below refuses it.
        let mut flags = libc::O_NONBLOCK;
        if links == Links::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if links == Links::Refuse && e.raw_os_error() == Some(libc::ELOOP) {
            return not_regular("a symbolic link");
        }
        e
    })?;
    let kind = file.metadata()?.file_type();
    match special_kind(&kind) {
        Some(what) => Err(not_regular(what)),
        None if kind.is_dir() => Err(not_regular("a folder")),
        None => Ok(file),
    }
}

fn not_regular(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{what}, not a regular file; only regular files inside the project are read"),
    )
}

/// Reads the regular file `path`, refusing it once it passes `limit` bytes.
///
/// # Errors
/// [`ReadError::TooLarge`] (before reading when its size says so), [`ReadError::Io`].
pub fn read_limited(path: &Path, links: Links, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path, links)?;
    let len = file.metadata()?.len();
    if len > limit {
        return Err(ReadError::TooLarge { bytes: len, limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // `take` guards against a file that grows between the size check and the read.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            bytes: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Feeds the regular file `path` to `hasher` in chunks, at most `limit + 1` bytes of it (a
/// longer file is refused by the import that follows; its digest only needs to differ).
///
/// # Errors
/// As [`open_regular`], and read errors.
pub fn hash_limited(
    path: &Path,
    links: Links,
    limit: u64,
    hasher: &mut impl Hasher,
) -> std::io::Result<()> {
    let mut file = open_regular(path, links)?.take(limit + 1);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.write(&buffer[..n]);
        total += n as u64;
    }
    hasher.write_u64(total);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, "x: 1\n").unwrap();
        let link = dir.path().join("zero.yaml");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let fifo = dir.path().join("fifo.yaml");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());

        assert_eq!(read_limited(&file, Links::Refuse, 10).unwrap(), b"x: 1\n");
        let too_large = read_limited(&file, Links::Refuse, 3).unwrap_err();
        assert!(matches!(
            too_large,
            ReadError::TooLarge { bytes: 5, limit: 3 }
        ));
        for (path, links, what) in [
            (&link, Links::Refuse, "a symbolic link"),
            (&link, Links::Follow, "a character device"),
            (&fifo, Links::Follow, "a FIFO"),
        ] {
            let error = open_regular(path, links).unwrap_err();
            assert!(error.to_string().starts_with(what), "{error}");
        }
    }
}
