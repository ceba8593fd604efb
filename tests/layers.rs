//! The modules keep to their layers: each top-level module of `src/` uses only the modules
//! below it. Read from the sources (`crate::<module>` and `firmware_msgs` outside comments),
//! so that an import reaching up or around a layer fails here, naming the file.

use std::path::Path;

use crate::util::repo_root;

/// Every `.rs` file under `dir` (or the file `dir.rs`), with its text stripped of comments.
fn sources(module: &str) -> Vec<(String, String)> {
    let src = repo_root().join("src");
    let mut files = Vec::new();
    let single = src.join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "no sources for module {module}");
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let code: Vec<&str> = text
                .lines()
                .map(|line| line.split("//").next().unwrap_or_default())
                .collect();
            (shown(&path), code.join("\n"))
        })
        .collect()
}

fn shown(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The files of `module` that name any of `forbidden` (paths such as `crate::sign` or
/// `firmware_msgs`).
fn offenders(module: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, code) in sources(module) {
        for name in forbidden {
            let hit = code.match_indices(name).any(|(at, _)| {
                // A whole path segment: `crate::app` is not `crate::application`.
                !code[at + name.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if hit {
                found.push(format!("{file} uses {name}"));
            }
        }
    }
    found
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    // (module, what it must not use): the graph is strictly downward.
    let rules: [(&str, &[&str]); 6] = [
        (
            "model",
            &[
                "crate::scheme",
                "crate::bundle",
                "crate::device",
                "crate::app",
                "crate::sign",
                "crate::okx",
                "crate::cli",
                "crate::emulator",
                "firmware_msgs",
            ],
        ),
        (
            "scheme",
            &[
                "crate::bundle",
                "crate::device",
                "crate::app",
                "crate::sign",
                "crate::okx",
                "crate::cli",
                "crate::emulator",
                "firmware_msgs",
            ],
        ),
        (
            "bundle",
            &[
                "crate::device",
                "crate::app",
                "crate::sign",
                "crate::okx",
                "crate::cli",
                "crate::emulator",
                "firmware_msgs",
            ],
        ),
        // A transport moves bytes: what they mean is the app layer's.
        (
            "device",
            &[
                "crate::model",
                "crate::scheme",
                "crate::bundle",
                "crate::app",
                "crate::sign",
                "crate::okx",
                "crate::cli",
                "crate::emulator",
                "firmware_msgs",
            ],
        ),
        (
            "app",
            &[
                "crate::bundle",
                "crate::sign",
                "crate::okx",
                "crate::cli",
                "crate::emulator",
            ],
        ),
        // Signing speaks porsign's types to the app layer, which makes the protocol objects;
        // what it shares with the verifier lives below both (`model`, `scheme`).
        (
            "sign",
            &[
                "firmware_msgs",
                "crate::bundle::verify",
                "crate::okx",
                "crate::cli",
                "crate::emulator",
            ],
        ),
    ];
    let found: Vec<String> = rules
        .iter()
        .flat_map(|(module, forbidden)| offenders(module, forbidden))
        .collect();
    assert!(
        found.is_empty(),
        "imports against the layers:\n{}",
        found.join("\n")
    );
}
