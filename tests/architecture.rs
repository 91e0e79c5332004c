//! The layers' import rules, read from the source: the adapters (`http`, `console`, `cli`,
//! `startup`) and the operations layer (`desk`) form no cycle, and the desk names no adapter.
//! Run alone with `cargo test --test architecture`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LAYERS: [&str; 5] = ["desk", "http", "console", "cli", "startup"];

/// The top-level module a file belongs to (`src/http/agents.rs` -> `http`).
fn module_of(path: &Path, src: &Path) -> Option<String> {
    let rel = path.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every `crate::<module>` a file names outside comments.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// layer -> the other layers it imports, with one file that does it.
fn layer_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for path in all {
        let Some(from) = module_of(&path, &src) else {
            continue;
        };
        if !LAYERS.contains(&from.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file is UTF-8");
        for to in named_modules(&text) {
            if to != from && LAYERS.contains(&to.as_str()) {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| path.display().to_string());
            }
        }
    }
    graph
}

/// A cycle through `start`, if any, as the list of layers on it.
fn cycle_from(
    graph: &BTreeMap<String, BTreeMap<String, String>>,
    start: &str,
    at: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in graph.get(at).map(|m| m.keys()).into_iter().flatten() {
        if next == start {
            let mut c = path.clone();
            c.push(next.clone());
            return Some(c);
        }
        if !path.contains(next) {
            path.push(next.clone());
            if let Some(c) = cycle_from(graph, start, next, path) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn the_adapters_and_the_desk_import_each_other_in_one_direction_only() {
    let graph = layer_graph();
    for layer in LAYERS {
        let mut path = vec![layer.to_string()];
        if let Some(cycle) = cycle_from(&graph, layer, layer, &mut path) {
            let hops: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} -> {} (in {})", w[0], w[1], graph[&w[0]][&w[1]]))
                .collect();
            panic!("import cycle: {}", hops.join(", "));
        }
    }
}

#[test]
fn the_desk_names_no_adapter_and_no_http_type() {
    let graph = layer_graph();
    assert_eq!(
        graph.get("desk").cloned().unwrap_or_default(),
        BTreeMap::new(),
        "the desk imports an adapter"
    );
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/desk");
    let mut desk = Vec::new();
    files(&src, &mut desk);
    for path in desk {
        let text = std::fs::read_to_string(&path).expect("a source file is UTF-8");
        assert!(
            !text.contains("axum::"),
            "{} uses axum: HTTP types belong to http/ and console/",
            path.display()
        );
    }
}

#[test]
fn the_scanner_sees_a_cycle_when_there_is_one() {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    graph
        .entry("http".into())
        .or_default()
        .insert("console".into(), "a.rs".into());
    graph
        .entry("console".into())
        .or_default()
        .insert("http".into(), "b.rs".into());
    let mut path = vec!["http".to_string()];
    assert_eq!(
        cycle_from(&graph, "http", "http", &mut path),
        Some(vec!["http".to_string(), "console".into(), "http".into()])
    );
    assert_eq!(
        named_modules("use crate::desk::agents; // crate::cli in a comment"),
        BTreeSet::from(["desk".to_string()])
    );
}

/// The floors below the engine: they may be used by everything above and name none of it.
const LOWER: [&str; 11] = [
    "store",
    "events",
    "nlu",
    "intents",
    "policy",
    "routing",
    "clock",
    "secret",
    "signature",
    "config",
    "metrics",
];
const UPPER: [&str; 13] = [
    "engine", "desk", "http", "console", "cli", "startup", "pipeline", "outbox", "workers",
    "intake", "poller", "review", "reload",
];

#[test]
fn the_lower_floors_name_nothing_above_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    for path in all {
        let Some(from) = module_of(&path, &src) else {
            continue;
        };
        if !LOWER.contains(&from.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file is UTF-8");
        let above: Vec<String> = named_modules(&text)
            .into_iter()
            .filter(|m| UPPER.contains(&m.as_str()))
            .collect();
        assert!(
            above.is_empty(),
            "{} (in `{from}`, below the engine) names {above:?}",
            path.display()
        );
    }
}

/// The platforms the registry lists: (module, its file under src/channels/).
fn registered_platforms() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/channels/registry.rs");
    let text = std::fs::read_to_string(path).expect("the registry is readable");
    text.lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once(" in \"")?;
            let (file, _) = rest.split_once("\":")?;
            let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric());
            name_ok.then(|| (name.to_string(), file.to_string()))
        })
        .collect()
}

#[test]
fn a_platform_is_named_by_the_registry_and_its_own_folder_only() {
    let platforms = registered_platforms();
    assert!(platforms.len() >= 6, "the registry lists {platforms:?}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let channels = root.join("src/channels");
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    for (name, file) in &platforms {
        let own = channels.join(file);
        assert!(own.is_file(), "the registry names {file}, which is missing");
        let own_dir = own.parent().filter(|d| *d != channels.as_path());
        for path in &all {
            let inside = path == &own || own_dir.is_some_and(|d| path.starts_with(d));
            if inside || path.ends_with("channels/registry.rs") {
                continue;
            }
            let text = std::fs::read_to_string(path).expect("a source file is UTF-8");
            for needle in [format!("channels::{name}::"), format!("mod {name};")] {
                assert!(
                    !text.contains(&needle),
                    "{} names the platform `{name}` (`{needle}`): only the registry may",
                    path.display()
                );
            }
        }
    }
}
