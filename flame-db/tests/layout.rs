//! The module layout of flame-db, checked from its source (docs/architecture.md, "The
//! modules of flame-db"):
//!
//! - the `use crate::X` / `crate::X::` edges between top-level modules form no cycle;
//! - an inherent `impl T` block lives in the top-level module that defines `T`: the
//!   operations of an aggregate live in its module, and `Flame`'s and `Session`'s methods in
//!   `flame.rs`, `session.rs` and `handles.rs` (which declares every accessor and public
//!   operation of the two handles, see [`SHARED_HANDLES`]).
//!
//! The source is read as text: comments are skipped, `crate::Name` of a name that `lib.rs`
//! re-exports counts as an edge to the module it is re-exported from.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Types whose inherent impls may live outside their own module, with where and why.
const SHARED_HANDLES: &[(&str, &str, &str)] = &[
    // `handles.rs` is the one file that declares the accessors (`flame.plans()`,
    // `session.contacts()`…) and the public operations of the two handles, each delegating
    // to the aggregate module that implements it. It depends on the aggregates; none of them
    // depends on it, so `flame` and `session` stay below every aggregate.
    ("handles", "Flame", "every accessor and public operation of Flame"),
    ("handles", "Session", "every accessor and public operation of Session"),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with the top-level module it belongs to (`sql/sqlite.rs`
/// belongs to `sql`; `lib.rs` to `crate`).
fn sources(dir: &Path, top: Option<&str>, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read flame-db/src")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("utf-8 name").to_owned();
        if path.is_dir() {
            let module = top.map_or(name.clone(), str::to_owned);
            sources(&path, Some(&module), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = match top {
                Some(top) => top.to_owned(),
                None if name == "lib" => "crate".to_owned(),
                None => name,
            };
            out.push((module, path));
        }
    }
}

/// The source without comments (line comments, doc comments and block comments), strings
/// kept: enough to read paths from.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            out.push(c as char);
            if c == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1] as char);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            i += 1;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'\'' {
            // A char literal ('"' would open a string) or a lifetime: copy it as is.
            out.push('\'');
            i += 1;
        } else {
            if c == b'"' {
                in_str = true;
            }
            // Non-ASCII bytes only occur in strings and comments that matter nowhere here.
            out.push(if c.is_ascii() { c as char } else { ' ' });
            i += 1;
        }
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first segments named after each `crate::` in `code`: `crate::sql::Tx` gives `sql`,
/// `use crate::{Flame, outbox::Events}` gives `Flame` and `outbox`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if preceded.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // `flame_core::…` is no edge; `$crate::` is kept (macros of the crate).
        }
        let after = rest.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            // A group: the first segment of each top-level item.
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        item_start = false;
                        let name = ident_at(&group[i..]);
                        if !name.is_empty() {
                            out.push(name.to_owned());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident_at(after);
            if !name.is_empty() {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// The top-level modules that `lib.rs` declares, and the names it re-exports from each.
fn crate_root(lib: &str) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let mut modules = BTreeSet::new();
    let mut reexports = BTreeMap::new();
    let mut statement = String::new();
    for line in lib.lines().map(str::trim) {
        let line = line.strip_prefix("pub ").unwrap_or(line);
        if let Some(rest) = line.strip_prefix("mod ") {
            modules.insert(ident_at(rest).to_owned());
        } else if line.starts_with("use ") || !statement.is_empty() {
            statement.push_str(line);
            statement.push(' ');
            if line.ends_with(';') {
                let body = statement.trim().trim_start_matches("use ").trim_end_matches(';');
                if let Some((module, names)) = body.split_once("::") {
                    let names = names.trim().trim_start_matches('{').trim_end_matches('}');
                    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        reexports.insert(name.to_owned(), module.trim().to_owned());
                    }
                }
                statement.clear();
            }
        }
    }
    (modules, reexports)
}

struct Layout {
    /// module -> modules it names, with one file and line that names each.
    edges: BTreeMap<String, BTreeMap<String, String>>,
    /// (module, file, line, type) of every inherent impl block.
    impls: Vec<(String, String, usize, String)>,
    /// type -> module that defines it (structs and enums).
    types: BTreeMap<String, BTreeSet<String>>,
}

fn read_layout() -> Layout {
    let src = src_dir();
    let lib = fs::read_to_string(src.join("lib.rs")).expect("read lib.rs");
    let (modules, reexports) = crate_root(&code(&lib));
    let mut files = Vec::new();
    sources(&src, None, &mut files);
    let mut layout = Layout { edges: BTreeMap::new(), impls: Vec::new(), types: BTreeMap::new() };
    for (module, path) in &files {
        let text = fs::read_to_string(path).expect("read source");
        let code = code(&text);
        let file = path.strip_prefix(&src).unwrap_or(path).display().to_string();
        for (n, line) in code.lines().enumerate() {
            for name in crate_paths(line) {
                let target = if modules.contains(&name) {
                    Some(name)
                } else {
                    reexports.get(&name).cloned()
                };
                if let Some(target) = target.filter(|t| t != module && module != "crate") {
                    layout
                        .edges
                        .entry(module.clone())
                        .or_default()
                        .entry(target)
                        .or_insert_with(|| format!("{file}:{}", n + 1));
                }
            }
            let trimmed = line.trim_start();
            let decl = trimmed
                .strip_prefix("pub(crate) ")
                .or(trimmed.strip_prefix("pub "))
                .unwrap_or(trimmed);
            for kw in ["struct ", "enum "] {
                if let Some(rest) = decl.strip_prefix(kw) {
                    layout
                        .types
                        .entry(ident_at(rest).to_owned())
                        .or_default()
                        .insert(module.clone());
                }
            }
            if let Some(rest) = trimmed.strip_prefix("impl") {
                // `impl Name {` or `impl<…> Name<…> {`, and not `impl Trait for Name`.
                let header = rest.split('{').next().unwrap_or("");
                if header.contains(" for ") || !line.contains('{') {
                    continue;
                }
                let header = if header.starts_with('<') {
                    header.split_once("> ").map_or("", |(_, h)| h)
                } else {
                    header
                };
                let name = ident_at(header.trim_start());
                if !name.is_empty() {
                    layout.impls.push((module.clone(), file.clone(), n + 1, name.to_owned()));
                }
            }
        }
    }
    layout
}

/// The cycles of the graph: one per strongly connected component of more than one module,
/// each given as a path that comes back to its start.
fn cycles(edges: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<(Vec<String>, Vec<String>)> {
    // Tarjan's algorithm, iteration order fixed by the maps.
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.edges.get(v) {
            for w in targets.keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.components.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    // A concrete cycle in each component: the shortest way back from its first module.
    s.components
        .into_iter()
        .map(|component| {
            let inside: BTreeSet<&str> = component.iter().copied().collect();
            let start = *inside.iter().next().expect("non-empty");
            let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut end = None;
            'search: while let Some(v) = queue.pop_front() {
                for w in edges.get(v).into_iter().flat_map(|t| t.keys()).map(String::as_str) {
                    if !inside.contains(w) {
                        continue;
                    }
                    if w == start {
                        end = Some(v);
                        break 'search;
                    }
                    if !came_from.contains_key(w) {
                        came_from.insert(w, v);
                        queue.push_back(w);
                    }
                }
            }
            let mut path = vec![start.to_owned()];
            let mut v = end.expect("a component has a cycle through each of its modules");
            while v != start {
                path.push(v.to_owned());
                v = came_from[v];
            }
            path.push(start.to_owned());
            let last = path.len() - 1;
            path[1..last].reverse();
            (inside.iter().map(|m| m.to_string()).collect(), path)
        })
        .collect()
}

fn describe(
    edges: &BTreeMap<String, BTreeMap<String, String>>,
    (members, cycle): &(Vec<String>, Vec<String>),
) -> String {
    let steps: Vec<String> = cycle
        .windows(2)
        .map(|pair| format!("{} -> {} ({})", pair[0], pair[1], edges[&pair[0]][&pair[1]]))
        .collect();
    format!(
        "{}\n    {}\n  (modules in a cycle together: {})",
        cycle.join(" -> "),
        steps.join("\n    "),
        members.join(", ")
    )
}

#[test]
fn the_modules_of_flame_db_form_no_cycle() {
    let layout = read_layout();
    let found = cycles(&layout.edges);
    let graph: Vec<String> = layout
        .edges
        .iter()
        .map(|(from, to)| {
            format!("{from} -> {}", to.keys().cloned().collect::<Vec<_>>().join(", "))
        })
        .collect();
    // Shown with `--nocapture`: what docs/architecture.md describes.
    println!("{}", graph.join("\n"));
    assert!(
        found.is_empty(),
        "flame-db's modules depend on each other in a cycle (docs/architecture.md, \"The modules \
         of flame-db\"):\n{}\n\nthe whole graph:\n{}",
        found.iter().map(|c| describe(&layout.edges, c)).collect::<Vec<_>>().join("\n"),
        graph.join("\n"),
    );
    // The reading itself works: the graph has the edges every aggregate has.
    assert!(layout.edges["contact"].contains_key("session"), "{graph:#?}");
    assert!(layout.edges["session"].contains_key("flame"), "{graph:#?}");
}

#[test]
fn inherent_impls_live_with_their_type() {
    let layout = read_layout();
    let mut misplaced = Vec::new();
    for (module, file, line, name) in &layout.impls {
        let Some(owners) = layout.types.get(name) else { continue };
        if owners.contains(module) {
            continue;
        }
        if SHARED_HANDLES.iter().any(|(m, t, _)| m == module && t == name) {
            continue;
        }
        misplaced.push(format!(
            "{file}:{line}: `impl {name}` outside the module that defines it ({})",
            owners.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    assert!(
        misplaced.is_empty(),
        "an aggregate's operations live in its module, and Flame's and Session's accessors and \
         public operations in handles.rs:\n{}",
        misplaced.join("\n")
    );
    // The reading itself works: the handles' own impls were seen.
    assert!(layout.impls.iter().any(|(m, _, _, t)| m == "flame" && t == "Flame"));
    assert!(layout.impls.iter().any(|(m, _, _, t)| m == "session" && t == "Session"));
}

#[test]
fn the_reader_sees_paths_and_cycles() {
    assert_eq!(
        crate_paths("use crate::{Flame, outbox::{self, Events}, sql::Tx};"),
        ["Flame", "outbox", "sql"]
    );
    assert_eq!(crate_paths("x = crate::sql::corrupt(c); flame_core::crate::y"), ["sql"]);
    assert_eq!(code("a // crate::x\n/* crate::y */ b \"// kept\""), "a \n b \"// kept\"");
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        edges.entry(a.into()).or_default().insert(b.into(), format!("{a}.rs:1"));
    }
    let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert_eq!(cycles(&edges), [(owned(&["a", "b", "c"]), owned(&["a", "b", "c", "a"]))]);
    edges.get_mut("c").expect("c").remove("a");
    assert!(cycles(&edges).is_empty());
}
