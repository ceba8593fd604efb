//! Tells the tests whether the shared research vectors (`../shared` beside the workspace) are
//! here. They come from other public repositories and are never copied into the repo, so a
//! checkout without them cannot run the tests that read them. Those tests carry
//! `#[cfg_attr(shared_missing, ignore = "needs ../shared")]`: they show as `ignored` in the
//! test summary, and this script prints how many, instead of their passing silently. Under
//! `CI=true` nothing is ignored, and a missing file fails the test that needs it.
//!
//! Used by both workspace crates (`firmware-msgs` names it as its build script).

use std::path::Path;

/// The attribute that marks a test as needing `../shared`.
const MARK: &str = "ignore = \"needs ../shared\"";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(shared_missing)");
    println!("cargo:rerun-if-env-changed=CI");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let manifest = Path::new(&manifest);
    let workspace = manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .unwrap_or(manifest);
    let shared = workspace.join("..").join("shared");
    println!("cargo:rerun-if-changed={}", shared.display());
    println!("cargo:rerun-if-changed=tests");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if ci || shared.join("research").is_dir() {
        return;
    }
    println!("cargo:rustc-cfg=shared_missing");
    let skipped = count_marks(&manifest.join("tests"));
    if skipped > 0 {
        println!(
            "cargo:warning={skipped} tests skipped: ../shared missing (they read the research \
             vectors; they show as ignored; under CI=true they fail instead)"
        );
    }
}

/// How many tests under `dir` carry [`MARK`].
fn count_marks(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                count_marks(&path)
            } else if path.extension().is_some_and(|e| e == "rs") {
                std::fs::read_to_string(&path)
                    .map(|text| text.matches(MARK).count())
                    .unwrap_or(0)
            } else {
                0
            }
        })
        .sum()
}
