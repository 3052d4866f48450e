//! The layers of the orchestrator (ARCHITECTURE.md): each module of the
//! library may use only modules of lower layers, so no import cycle can
//! form. Read from the source itself: every `crate::<module>` a file names
//! (outside comments) is checked against this table, and a module missing
//! from the table fails the test until it is given a layer. The bottom
//! crate, `hetfaas-api`, depends on nothing of hetfaas.

use std::path::{Path, PathBuf};

/// Bottom to top; a module may use those of lower layers only.
const LAYERS: &[(usize, &[&str])] = &[
    (1, &["function", "worker", "fault", "affinity"]),
    (2, &["store", "platform", "routing"]),
    (3, &["learning", "metrics"]),
    (4, &["config", "recorder"]),
    (5, &["resource_manager"]),
    (6, &["api"]),
    (7, &["server"]),
    (8, &["node_server"]),
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().find(|(_, modules)| modules.contains(&module)).map(|(layer, _)| *layer)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules a line of code names as `crate::<module>`.
fn uses(line: &str) -> Vec<&str> {
    line.match_indices("crate::")
        .map(|(at, _)| &line[at + 7..])
        .map(|rest| &rest[..rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(rest.len())])
        .collect()
}

#[test]
fn every_module_uses_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut violations = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        // The crate roots, and the binary's own modules, sit above every layer.
        if matches!(module.as_str(), "lib" | "main" | "cli") {
            continue;
        }
        let own = layer(&module).unwrap_or_else(|| panic!("module `{module}` has no layer: add it to LAYERS and ARCHITECTURE.md"));
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")) {
            for used in uses(line) {
                let Some(theirs) = layer(used) else { continue };
                if used != module && theirs >= own {
                    violations.push(format!("{}:{}: `{module}` (layer {own}) uses `{used}` (layer {theirs})", relative.display(), n + 1));
                }
            }
        }
    }
    assert!(violations.is_empty(), "imports that climb or cross a layer:\n{}", violations.join("\n"));
}

#[test]
fn the_wire_contract_depends_on_nothing_of_hetfaas() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/Cargo.toml")).unwrap();
    let dependencies = manifest.split("[dependencies]").nth(1).unwrap();
    assert!(!dependencies.contains("hetfaas") && !dependencies.contains("path ="), "hetfaas-api is the bottom layer:\n{dependencies}");
}

#[test]
fn the_check_sees_a_climbing_import() {
    assert_eq!(uses("use crate::resource_manager::Orchestrator; let x = crate::store::foo();"), ["resource_manager", "store"]);
    assert!(layer("platform") < layer("node_server"), "a platform importing the node server would be reported");
}
