//! Shared test helpers: locating the research files in ../shared and fixtures in the repo.

use std::path::PathBuf;

/// The repository root (where the root Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file from the repo's own `fixtures/` folder. These are ours and always present.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

/// A file under `../shared/` (research files from public repositories, never copied into the
/// repo). When `../shared` is missing, a test run with CI=true fails and any other run skips the
/// test with a message, so a developer without the folder is told rather than misled.
pub fn shared_file(rel: &str) -> Option<PathBuf> {
    let path = repo_root().join("..").join("shared").join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!("CI=true but the shared research file {rel} is missing next to the repo");
    }
    eprintln!("skipping: ../shared/{rel} is not present (set up ../shared to run this test)");
    None
}

/// Reads and parses a JSON file from `../shared/`, or returns None (see [`shared_file`]).
pub fn shared_json(rel: &str) -> Option<serde_json::Value> {
    let path = shared_file(rel)?;
    let text = std::fs::read_to_string(&path).expect("shared file is readable");
    Some(serde_json::from_str(&text).expect("shared file is valid JSON"))
}
