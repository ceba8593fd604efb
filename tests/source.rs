//! The source tree itself: files a reader can hold, and one copy of each shared encoding.

use std::path::{Path, PathBuf};

/// The longest a source file may grow before it is split by concern.
const MAX_LINES: usize = 600;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file below `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The Rust files of both crates: sources, tests, examples.
fn all_sources() -> Vec<(String, String)> {
    let root = repo();
    let mut files = Vec::new();
    for dir in [
        "src",
        "tests",
        "examples",
        "firmware-msgs/src",
        "firmware-msgs/tests",
    ] {
        let dir = root.join(dir);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
    }
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable source file");
            let name = path
                .strip_prefix(&root)
                .expect("below the repository")
                .to_string_lossy()
                .replace('\\', "/");
            (name, text)
        })
        .collect()
}

#[test]
fn no_source_file_over_600_lines() {
    let sources = all_sources();
    // The walk must have found the tree, or the check below passes on nothing.
    assert!(
        sources.iter().any(|(name, _)| name == "src/lib.rs"),
        "{sources:?}"
    );
    let long: Vec<String> = sources
        .iter()
        .filter(|(_, text)| text.lines().count() > MAX_LINES)
        .map(|(name, text)| format!("{name}: {} lines", text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "split these by concern (at most {MAX_LINES} lines each): {long:?}"
    );
}

#[test]
fn compact_size_is_encoded_in_one_place_per_crate() {
    // A hand-written CompactSize encoder branches on this range. porsign encodes with the
    // `bitcoin` crate's consensus encoding; only the sans-io crate, which must not depend on
    // `bitcoin`, has its own.
    let marker = ["0xfd", "..=", "0xffff"].concat();
    let writers: Vec<String> = all_sources()
        .into_iter()
        .filter(|(_, text)| text.contains(&marker))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(writers, ["firmware-msgs/src/varint.rs"]);
}
