//! Names of the files a run writes under the project's run folder. Run ids come from the
//! command line and table names from the data, so neither may become a path: a run id is
//! checked, a table name is encoded.

/// Longest run id: the bookkeeping tables store it in a `VARCHAR(64)`.
pub const MAX_RUN_ID_LEN: usize = 64;

/// A run id that cannot name a run folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("run id {id:?} is not valid: use 1 to 64 letters, digits, '_', '-' or '.', not starting with '.'")]
pub struct InvalidRunId {
    /// The refused id.
    pub id: String,
}

/// Accepts 1–[`MAX_RUN_ID_LEN`] ASCII letters, digits, `_`, `-` and `.`, not starting with `.`
/// (so never `..`, a hidden name or a path).
///
/// # Errors
/// [`InvalidRunId`].
pub fn check_run_id(id: &str) -> Result<(), InvalidRunId> {
    let valid = !id.is_empty()
        && id.len() <= MAX_RUN_ID_LEN
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(InvalidRunId { id: id.to_owned() })
    }
}

/// Longest encoded stem before it is shortened with a hash (file systems allow 255 bytes).
const MAX_STEM: usize = 180;

/// A file name for `label` (a table's qualified name, any characters) with `extension`:
/// letters, digits, `_`, `-` and single dots are kept, every other byte is percent-encoded
/// (`/` → `%2F`; a leading dot or a dot after a dot too, so the name is never `.`, `..` or
/// hidden). A long name keeps its start and ends with a hash of the whole label, so two labels
/// never share a file.
pub fn file_name(label: &str, extension: &str) -> String {
    let mut stem = String::with_capacity(label.len());
    let mut previous_dot = true;
    for b in label.bytes() {
        let keep =
            b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && !previous_dot);
        if keep {
            stem.push(b as char);
        } else {
            stem.push_str(&format!("%{b:02X}"));
        }
        previous_dot = b == b'.';
    }
    if stem.is_empty() {
        stem.push_str("%00");
    }
    if stem.len() > MAX_STEM {
        let mut cut = MAX_STEM;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
        stem.push_str(&format!(
            "~{:016x}",
            xxhash_rust::xxh3::xxh3_64(label.as_bytes())
        ));
    }
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_that_would_be_paths_are_refused() {
        for bad in [
            "",
            "..",
            ".hidden",
            "../../x",
            "a/b",
            "a\\b",
            "ü",
            &"x".repeat(65),
        ] {
            assert!(check_run_id(bad).is_err(), "{bad:?}");
        }
        for good in ["bf-0123abcd", "r.2026-12-04", "A_b-9"] {
            assert!(check_run_id(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn table_names_never_leave_the_folder() {
        assert_eq!(file_name("sakila.item", "jsonl"), "sakila.item.jsonl");
        assert_eq!(
            file_name("./../../../x", "jsonl"),
            "%2E%2F.%2E%2F.%2E%2F.%2E%2Fx.jsonl"
        );
        assert_eq!(file_name("..", "jsonl"), "%2E%2E.jsonl");
        assert_eq!(file_name("a/b", "jsonl"), "a%2Fb.jsonl");
        assert_ne!(file_name("a/b", "jsonl"), file_name("a%2Fb", "jsonl"));
        let long = file_name(&"é".repeat(300), "jsonl");
        assert!(long.len() < 255 && !long.contains('/'), "{long}");
        assert_ne!(long, file_name(&"é".repeat(301), "jsonl"));
    }
}
