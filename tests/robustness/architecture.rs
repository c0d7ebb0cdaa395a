//! The layout rules of docs/ARCHITECTURE.md, read off the source: no import circle between any
//! two files of the crate, each layer of the library uses only the layers below it, egui stays
//! in the window, the window's model has no egui, the pure core does no I/O, and the top of
//! src/app stays small. A change that breaks a rule fails here with the file and the path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every .rs file under `dir`, as a path relative to src/ with `/` separators.
fn rust_files(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p.strip_prefix(src()).expect("under src");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The module path of a file: `app/model/mod.rs` is `app::model`, `lib.rs` is the root.
fn module_of(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// The text without comments and string literals, so that a path in a doc comment or a
/// message is not read as an import.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'r'
            && (b.get(i + 1) == Some(&b'#') || b.get(i + 1) == Some(&b'"'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // Raw string: r"...", r#"..."#, r##"..."##.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(b[i] as char);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal such as '{' (lifetimes have no closing quote two bytes on).
            out.push_str("' '");
            i += 3;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            let ch = text[i..].chars().next().expect("char");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e` (aliases and globs cut off).
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    fn go(prefix: &str, t: &str, out: &mut Vec<String>) {
        match t.find('{') {
            None => {
                for part in split_top(t) {
                    let part = part.split(" as ").next().unwrap_or("").replace(' ', "");
                    let p = join(prefix, part.trim_end_matches("::*"));
                    if !p.is_empty() {
                        out.push(p);
                    }
                }
            }
            Some(_) => {
                for part in split_top(t) {
                    let part = part.trim();
                    if let Some(open) = part.find('{') {
                        let head = part[..open].replace(' ', "");
                        let head = head.trim_end_matches("::");
                        let inner = &part[open + 1..part.len() - 1];
                        go(&join(prefix, head), inner, out);
                    } else {
                        go(prefix, part, out);
                    }
                }
            }
        }
    }
    fn join(a: &str, b: &str) -> String {
        match (a.is_empty(), b.is_empty() || b == "self") {
            (true, _) => b.to_string(),
            (false, true) => a.to_string(),
            (false, false) => format!("{a}::{b}"),
        }
    }
    fn split_top(t: &str) -> Vec<String> {
        let mut parts = Vec::new();
        let mut depth = 0;
        let mut cur = String::new();
        for c in t.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            parts.push(cur);
        }
        parts
    }
    let mut out = Vec::new();
    go("", &tree, &mut out);
    out
}

struct Crate {
    /// Module path (joined by `::`) to file.
    files: BTreeMap<String, String>,
    /// File to its code without comments and strings.
    code: BTreeMap<String, String>,
}

impl Crate {
    fn read() -> Crate {
        let mut list = Vec::new();
        rust_files(&src(), &mut list);
        let mut files = BTreeMap::new();
        let mut code = BTreeMap::new();
        for f in list {
            // The binary's own modules (main.rs, cli/) are not part of the library.
            if f == "main.rs" || f.starts_with("cli/") {
                continue;
            }
            let text = std::fs::read_to_string(src().join(&f)).expect("read source");
            // Inline test modules (at the end of a file, by the project's convention) use
            // `super` for the file itself; they are not part of the layout.
            let text = match text.find("#[cfg(test)]\nmod ") {
                Some(at) => &text[..at],
                None => &text[..],
            };
            files.insert(module_of(&f).join("::"), f.clone());
            code.insert(f, code_only(text));
        }
        Crate { files, code }
    }

    /// The file of the deepest module a path names, from the module `from`.
    fn resolve(&self, from: &[String], path: &str) -> Option<String> {
        let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let mut base: Vec<String> = match segs.first() {
            Some(&"crate") => Vec::new(),
            Some(&"super") | Some(&"self") => from.to_vec(),
            Some(_) => from.to_vec(),
            None => return None,
        };
        let mut rest: &[&str] = match segs[0] {
            "crate" | "self" => &segs[1..],
            _ => &segs[..],
        };
        while rest.first() == Some(&"super") {
            base.pop();
            rest = &rest[1..];
        }
        if !matches!(segs[0], "crate" | "super" | "self") {
            // A bare path starts with a child module of `from`, or it is not ours.
            let child = [from, &[segs[0].to_string()]].concat().join("::");
            if !self.files.contains_key(&child) {
                return None;
            }
        }
        let mut found = self.files.get(&base.join("::")).cloned();
        for s in rest {
            base.push(s.to_string());
            match self.files.get(&base.join("::")) {
                Some(f) => found = Some(f.clone()),
                None => break,
            }
        }
        found
    }

    /// Which files each file refers to, with the path that does it.
    fn edges(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (file, code) in &self.code {
            let from = module_of(file);
            let mut paths = Vec::new();
            // `use` trees.
            let mut rest = code.as_str();
            while let Some(at) = rest.find("use ") {
                let before = rest[..at].chars().last();
                rest = &rest[at + 4..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let Some(end) = rest.find(';') else { break };
                paths.extend(expand(&rest[..end]));
                rest = &rest[end..];
            }
            // Paths written out in code: crate::a::b, super::a, or a child module's name.
            let bytes = code.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                let starts = (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_')
                    && (i == 0
                        || !(bytes[i - 1].is_ascii_alphanumeric()
                            || bytes[i - 1] == b'_'
                            || bytes[i - 1] == b':'));
                if !starts {
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b':')
                {
                    j += 1;
                }
                let word = &code[i..j];
                if word.contains("::") {
                    paths.push(word.trim_end_matches(':').to_string());
                }
                i = j.max(i + 1);
            }
            for p in paths {
                if let Some(target) = self.resolve(&from, &p)
                    && &target != file
                {
                    edges
                        .entry(file.clone())
                        .or_default()
                        .entry(target)
                        .or_insert(p);
                }
            }
        }
        edges
    }
}

/// The modules two files stand for when one uses the other: the children of their deepest
/// common module that hold each (`app/control/actions.rs` using `app/model/document.rs` is
/// `app::control` using `app::model`). None when one holds the other (a file and its parent
/// module, or a module and its own files), which is how Rust's modules are built, not a circle.
fn sibling_pair(a: &str, b: &str) -> Option<(String, String)> {
    let (ma, mb) = (module_of(a), module_of(b));
    let common = ma.iter().zip(&mb).take_while(|(x, y)| x == y).count();
    if common == ma.len() || common == mb.len() {
        return None;
    }
    Some((ma[..=common].join("::"), mb[..=common].join("::")))
}

/// The circles between sibling modules: groups of modules (at the same level, each with its
/// files and sub-modules) that use each other round, found as strongly connected components.
fn cycles(edges: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    // Tarjan's algorithm, iterative enough for a few hundred files.
    struct T<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(t: &mut T, v: &str) {
        t.index.insert(v.to_string(), t.next);
        t.low.insert(v.to_string(), t.next);
        t.next += 1;
        t.stack.push(v.to_string());
        t.on.insert(v.to_string());
        let targets: Vec<String> = t
            .edges
            .get(v)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for w in targets {
            if !t.index.contains_key(&w) {
                visit(t, &w);
                let lw = t.low[&w];
                let lv = t.low.get_mut(v).expect("low");
                *lv = (*lv).min(lw);
            } else if t.on.contains(&w) {
                let iw = t.index[&w];
                let lv = t.low.get_mut(v).expect("low");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().expect("stack");
                t.on.remove(&w);
                let done = w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: Vec<String> = edges.keys().cloned().collect();
    for n in nodes {
        if !t.index.contains_key(&n) {
            visit(&mut t, &n);
        }
    }
    t.out
}

#[test]
fn no_import_circle_between_modules() {
    let c = Crate::read();
    let edges = c.edges();
    // Module to module, each link with one file-level use that makes it.
    let mut modules: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (a, targets) in &edges {
        for (b, path) in targets {
            if let Some((ma, mb)) = sibling_pair(a, b) {
                modules
                    .entry(ma)
                    .or_default()
                    .entry(mb)
                    .or_insert(format!("{a} uses {path}"));
            }
        }
    }
    let found = cycles(&modules);
    let words: Vec<String> = found
        .iter()
        .map(|comp| {
            let links: Vec<String> = comp
                .iter()
                .flat_map(|a| {
                    modules[a]
                        .iter()
                        .filter(|(b, _)| comp.contains(b))
                        .map(move |(b, why)| format!("{a} -> {b} ({why})"))
                })
                .collect();
            links.join("; ")
        })
        .collect();
    assert!(found.is_empty(), "import circles:\n{}", words.join("\n"));
    // The check sees the uses at all: the window's controller uses its model.
    assert!(modules["app::control"].contains_key("app::model"));
}

#[test]
fn each_library_layer_uses_only_the_layers_below_it() {
    // The top-level modules of the library and what each may use (docs/ARCHITECTURE.md).
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("allocator", &[][..]),
        ("event", &[][..]),
        ("json", &[][..]),
        ("destinations", &["event", "json"][..]),
        ("plan", &["event", "json"][..]),
        ("files", &["event", "json", "destinations", "plan"][..]),
        ("transport", &["json", "destinations"][..]),
        (
            "history",
            &["event", "json", "destinations", "plan", "transport"][..],
        ),
        ("sandbox", &["event", "json", "destinations"][..]),
        (
            "export",
            &["json", "destinations", "transport", "history"][..],
        ),
        (
            "batch",
            &[
                "event",
                "json",
                "destinations",
                "plan",
                "transport",
                "history",
            ][..],
        ),
        (
            "capture",
            &[
                "event",
                "json",
                "destinations",
                "plan",
                "transport",
                "history",
                "sandbox",
            ][..],
        ),
    ]);
    let c = Crate::read();
    let mut wrong = Vec::new();
    for (from, targets) in c.edges() {
        let layer = from.split('/').next().unwrap_or("").trim_end_matches(".rs");
        let Some(ok) = allowed.get(layer) else {
            assert!(
                layer == "app" || layer == "lib",
                "{from}: a new top-level module; give it a layer here and in docs/ARCHITECTURE.md"
            );
            continue;
        };
        for (to, path) in targets {
            let to_layer = to.split('/').next().unwrap_or("").trim_end_matches(".rs");
            if to_layer != layer && to_layer != "lib" && !ok.contains(&to_layer) {
                wrong.push(format!("{from} uses {path} (layer {to_layer})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "layer rules broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn egui_stays_in_the_window_and_io_out_of_the_core() {
    let c = Crate::read();
    let mut wrong = Vec::new();
    for (file, code) in &c.code {
        let ui_crate = [
            "egui::",
            "eframe::",
            "egui_extras::",
            "egui_plot::",
            "rfd::",
        ]
        .iter()
        .find(|k| code.contains(*k));
        if let Some(k) = ui_crate
            && (!file.starts_with("app/") || file.starts_with("app/model/"))
        {
            wrong.push(format!(
                "{file} uses {k}: the window's crates belong in src/app (not its model)"
            ));
        }
        let core = ["event/", "json/", "destinations/", "plan/"]
            .iter()
            .any(|p| file.starts_with(p));
        if core {
            for io in [
                "std::fs",
                "tokio::",
                "reqwest::",
                "rusqlite::",
                "axum::",
                "std::net",
            ] {
                if code.contains(io) {
                    wrong.push(format!(
                        "{file} uses {io}: the core (event, json, destinations, plan) does no I/O"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn panels_and_windows_draw_state_they_are_given() {
    // They draw what they are handed and push commands; the controller (app/control) is the
    // only place, with app/mod.rs, that works on the whole App.
    let c = Crate::read();
    let mut wrong = Vec::new();
    for (file, code) in &c.code {
        if !(file.starts_with("app/panels/") || file.starts_with("app/windows/")) {
            continue;
        }
        let uses_app = code.match_indices("App").any(|(at, _)| {
            let before = code[..at].chars().last();
            let after = code[at + 3..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        });
        if uses_app {
            wrong.push(file.clone());
        }
    }
    assert!(wrong.is_empty(), "these use App itself: {wrong:?}");
}

#[test]
fn the_top_of_the_window_module_stays_small() {
    let files: Vec<String> = std::fs::read_dir(src().join("app"))
        .expect("src/app")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        files.len() <= 8,
        "src/app holds {} files: {files:?}",
        files.len()
    );
}

#[test]
fn paths_in_use_trees_expand() {
    assert_eq!(
        expand("crate::a::{b, c::{d, e as f}, self}"),
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c::e",
            "crate::a"
        ]
    );
    assert_eq!(code_only("a // crate::x\n\"crate::y\" b"), "a \n\"\" b");
}
