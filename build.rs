//! Tells the tests whether the shared research vectors (`../shared` beside the workspace) are
//! here. They come from other public repositories and are never copied into the repo, so a
//! checkout without them cannot run the tests that read them. Those tests carry
//! `#[cfg_attr(shared_missing, ignore = "needs ../shared")]`: they show as `ignored` in the
//! test summary, and this script prints how many, instead of their passing silently. Under
//! `CI=true` nothing is ignored, and a missing file fails the test that needs it.
//!
//! The browser tests of the HTML report need Debian's `chromium` the same way: without it on
//! PATH they carry `#[cfg_attr(chromium_missing, ignore = "needs chromium")]` and show as
//! ignored, except under `CI=true` (`.ci/run` installs it), where they fail instead.
//!
//! Used by both workspace crates (`firmware-msgs` names it as its build script).

use std::path::Path;

/// The attribute that marks a test as needing `../shared`.
const MARK: &str = "ignore = \"needs ../shared\"";
/// The attribute that marks a test as needing chromium.
const CHROMIUM_MARK: &str = "ignore = \"needs chromium\"";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(shared_missing)");
    println!("cargo::rustc-check-cfg=cfg(chromium_missing)");
    println!("cargo:rerun-if-env-changed=CI");
    chromium();
    shared();
}

/// Sets `chromium_missing` when no `chromium` is on PATH (and CI is not set).
fn chromium() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    // Watch the binary, or the folder it would be installed into (a missing path would make
    // cargo rebuild every time).
    let watched = found
        .clone()
        .unwrap_or_else(|| Path::new("/usr/bin").to_path_buf());
    if watched.exists() {
        println!("cargo:rerun-if-changed={}", watched.display());
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if ci || found.is_some() {
        return;
    }
    println!("cargo:rustc-cfg=chromium_missing");
    let skipped = count(&Path::new(&manifest).join("tests"), CHROMIUM_MARK);
    if skipped > 0 {
        println!(
            "cargo:warning={skipped} browser tests skipped: chromium is not installed \
             (apt-get install -y chromium poppler-utils; under CI=true they fail instead)"
        );
    }
}

fn shared() {
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
    let skipped = count(&manifest.join("tests"), MARK);
    if skipped > 0 {
        println!(
            "cargo:warning={skipped} tests skipped: ../shared missing (they read the research \
             vectors; they show as ignored; under CI=true they fail instead)"
        );
    }
}

/// How many tests under `dir` carry `mark`.
fn count(dir: &Path, mark: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                count(&path, mark)
            } else if path.extension().is_some_and(|e| e == "rs") {
                std::fs::read_to_string(&path)
                    .map(|text| text.matches(mark).count())
                    .unwrap_or(0)
            } else {
                0
            }
        })
        .sum()
}
