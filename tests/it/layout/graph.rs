//! The module graph of one crate: which file is which module (following
//! `mod x;` declarations, flagging `#[path]`), every file's imports as
//! edges to other files, and the import cycles among them (Tarjan).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// One crate's module tree: module path -> file, file -> its module path.
pub struct Modules {
    pub by_path: BTreeMap<Vec<String>, PathBuf>,
    pub files: BTreeMap<PathBuf, Vec<String>>,
}

pub fn load_crate(root_file: &Path, problems: &mut Vec<String>) -> Modules {
    let mut modules = Modules {
        by_path: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    let mut todo = vec![(root_file.to_path_buf(), Vec::new())];
    while let Some((file, path)) = todo.pop() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        if !text.trim_start().starts_with("//!") {
            problems.push(format!("{file:?} does not start with a //! comment"));
        }
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        let dir = child_dir(&file);
        declared_files(
            &ast.items,
            &dir,
            &path,
            &mut todo,
            &mut modules,
            &file,
            problems,
        );
        modules.by_path.insert(path.clone(), file.clone());
        modules.files.insert(file, path);
    }
    modules
}

/// Where the files of `file`'s child modules live.
fn child_dir(file: &Path) -> PathBuf {
    let parent = file.parent().expect("a file has a folder");
    match file.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs" | "main.rs" | "mod.rs") => parent.to_path_buf(),
        _ => parent.join(file.file_stem().expect("a file stem")),
    }
}

/// Queues the files of the `mod x;` items (inline modules map to `file`).
fn declared_files(
    items: &[syn::Item],
    dir: &Path,
    path: &[String],
    todo: &mut Vec<(PathBuf, Vec<String>)>,
    modules: &mut Modules,
    file: &Path,
    problems: &mut Vec<String>,
) {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        if m.attrs.iter().any(|a| a.path().is_ident("path")) {
            problems.push(format!("{file:?}: #[path] on mod {}", m.ident));
        }
        let mut child = path.to_vec();
        child.push(m.ident.to_string());
        match &m.content {
            Some((_, inner)) => {
                modules.by_path.insert(child.clone(), file.to_path_buf());
                let dir = dir.join(m.ident.to_string());
                declared_files(inner, &dir, &child, todo, modules, file, problems);
            }
            None => {
                let flat = dir.join(format!("{}.rs", m.ident));
                let nested = dir.join(m.ident.to_string()).join("mod.rs");
                let found = if flat.exists() { flat } else { nested };
                if found.exists() {
                    todo.push((found, child));
                } else {
                    problems.push(format!("{file:?}: no file for mod {}", m.ident));
                }
            }
        }
    }
}

/// Every file's imports, as edges to other files of the crate.
pub fn edges(
    modules: &Modules,
    problems: &mut Vec<String>,
) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut all = BTreeMap::new();
    for (file, path) in &modules.files {
        let text = std::fs::read_to_string(file).expect("read before");
        let ast = syn::parse_file(&text).expect("parsed before");
        let mut paths = Paths {
            module: path.clone(),
            found: Vec::new(),
            children: Vec::new(),
        };
        paths.children.push(children(&ast.items));
        paths.visit_file(&ast);
        let mut out = BTreeSet::new();
        for (at, segments) in paths.found {
            let Some(target) = resolve(modules, &at, &segments) else {
                problems.push(format!("{file:?}: cannot resolve {}", segments.join("::")));
                continue;
            };
            if target != *file {
                out.insert(target);
            }
        }
        all.insert(file.clone(), out);
    }
    all
}

fn children(items: &[syn::Item]) -> Vec<String> {
    let mods = items.iter().filter_map(|i| match i {
        syn::Item::Mod(m) => Some(m.ident.to_string()),
        _ => None,
    });
    mods.collect()
}

/// The file a path names: `crate`, `super` and `self` are made absolute,
/// then the deepest known module of the path is taken. Paths into other
/// crates (`std::`, `axum::`, `tidings::` from a binary) resolve to none
/// and are left out by the caller's filter.
fn resolve(modules: &Modules, at: &[String], segments: &[String]) -> Option<PathBuf> {
    let mut abs: Vec<String> = at.to_vec();
    let mut rest = segments;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            abs.clear();
            rest = &rest[1..];
        }
        _ => {
            while rest.first().map(String::as_str) == Some("super") {
                abs.pop()?;
                rest = &rest[1..];
            }
            if rest.first().map(String::as_str) == Some("self") {
                rest = &rest[1..];
            }
        }
    }
    abs.extend(rest.iter().cloned());
    (0..=abs.len())
        .rev()
        .find_map(|n| modules.by_path.get(&abs[..n]).cloned())
}

/// Collects the crate-relative paths of a file, with the module each
/// appears in.
struct Paths {
    module: Vec<String>,
    found: Vec<(Vec<String>, Vec<String>)>,
    /// The child modules declared in each enclosing module (innermost last).
    children: Vec<Vec<String>>,
}

impl Paths {
    fn keep(&mut self, segments: Vec<String>) {
        let first = segments.first().map(String::as_str).unwrap_or("");
        let local = self
            .children
            .last()
            .is_some_and(|c| c.iter().any(|m| m == first));
        if matches!(first, "crate" | "super" | "self") || local {
            self.found.push((self.module.clone(), segments));
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) if n.ident == "self" => self.keep(prefix.clone()),
            syn::UseTree::Name(n) => {
                self.keep([prefix.clone(), vec![n.ident.to_string()]].concat())
            }
            syn::UseTree::Rename(r) => {
                self.keep([prefix.clone(), vec![r.ident.to_string()]].concat())
            }
            syn::UseTree::Glob(_) => self.keep(prefix.clone()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(prefix, t)),
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            self.keep(segments);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let Some((_, items)) = &item.content else {
            return;
        };
        self.module.push(item.ident.to_string());
        self.children.push(children(items));
        items.iter().for_each(|i| self.visit_item(i));
        self.children.pop();
        self.module.pop();
    }
}

/// The strongly connected components of more than one file (Tarjan).
pub fn cycles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, (usize, usize)>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a PathBuf) {
            let n = self.index.len();
            self.index.insert(v, (n, n));
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.index[v].1.min(self.index[w].1);
                    self.index.get_mut(v).expect("visited").1 = low;
                } else if self.on_stack.contains(w) {
                    let low = self.index[v].1.min(self.index[w].0);
                    self.index.get_mut(v).expect("visited").1 = low;
                }
            }
            if self.index[v].0 == self.index[v].1 {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}
