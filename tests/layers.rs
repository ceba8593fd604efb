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

/// The `crate::<module>` paths (and `firmware_msgs`) that `code` names, as written up to the
/// second path segment (`crate::bundle::verify`, `crate::model`).
fn names_used(code: &str) -> Vec<String> {
    let mut used = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let path: String = code[at + "crate::".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).take(2).collect();
        used.push(segments.join("::"));
    }
    if code.contains("firmware_msgs") {
        used.push("firmware_msgs".to_owned());
    }
    used
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    // (module, the modules it may use, what of those it still may not): the graph is strictly
    // downward. `sync` and `escape` are small helpers any layer may use.
    let rules: [(&str, &[&str], &[&str]); 6] = [
        ("model", &["address_key"], &[]),
        ("scheme", &["model"], &[]),
        ("bundle", &["address_key", "lines", "model", "scheme"], &[]),
        // A transport moves bytes: what they mean is the app layer's.
        ("device", &[], &[]),
        ("app", &["device", "model", "firmware_msgs"], &[]),
        // Signing speaks porsign's types to the app layer, which makes the protocol objects;
        // what it shares with the verifier lives below both (`model`, `scheme`).
        (
            "sign",
            &["app", "bundle", "challenge", "device", "model", "scheme"],
            &["bundle::verify"],
        ),
    ];
    let mut found = Vec::new();
    for (module, allowed, forbidden) in rules {
        for (file, code) in sources(module) {
            for used in names_used(&code) {
                let top = used.split("::").next().unwrap_or_default();
                let own = top == module || ["sync", "escape"].contains(&top);
                if !(own || allowed.contains(&top)) || forbidden.contains(&used.as_str()) {
                    found.push(format!("{file} uses {used}"));
                }
            }
        }
    }
    found.dedup();
    assert!(
        found.is_empty(),
        "imports against the layers:\n{}",
        found.join("\n")
    );
}
