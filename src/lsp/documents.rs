//! The open documents (the editor's unsaved buffers) and the projects they belong to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{TextDocumentContentChangeEvent, Url};

use super::position::LineIndex;
use crate::load::Overlay;

/// The text of every open document, by path, as the editor last sent it.
#[derive(Debug, Default)]
pub struct Documents {
    open: HashMap<PathBuf, String>,
}

impl Documents {
    pub fn open(&mut self, path: PathBuf, text: String) {
        self.open.insert(path, text);
    }

    pub fn close(&mut self, path: &Path) {
        self.open.remove(path);
    }

    pub fn text(&self, path: &Path) -> Option<&str> {
        self.open.get(path).map(String::as_str)
    }

    /// Applies the editor's changes in order: whole texts, or ranges replaced (incremental sync).
    pub fn change(&mut self, path: &Path, changes: Vec<TextDocumentContentChangeEvent>) {
        let Some(text) = self.open.get_mut(path) else {
            return;
        };
        for change in changes {
            match change.range {
                None => *text = change.text,
                Some(range) => {
                    let index = LineIndex::new(text);
                    let start = index.offset(range.start);
                    let end = index.offset(range.end).max(start);
                    text.replace_range(start..end, &change.text);
                }
            }
        }
    }

    /// The open documents under `root`, read by the loader in place of the files on disk.
    pub fn overlay(&self, root: &Path) -> Overlay {
        let texts = self
            .open
            .iter()
            .filter(|(path, _)| path.starts_with(root))
            .map(|(path, text)| (path.clone(), text.clone()))
            .collect();
        Overlay::new(texts)
    }

    /// The URIs of the open documents under `root`.
    pub fn uris_under(&self, root: &Path) -> Vec<Url> {
        self.open
            .keys()
            .filter(|path| path.starts_with(root))
            .filter_map(|path| Url::from_file_path(path).ok())
            .collect()
    }

    /// The projects of the open documents.
    pub fn roots(&self) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = self.open.keys().filter_map(|p| project_root(p)).collect();
        roots.sort();
        roots.dedup();
        roots
    }
}

/// The local path of a `file:` URI (other schemes are not monc's files).
pub fn path_of(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path().ok()
}

/// The project a file belongs to: the nearest directory above it holding `monc.hcl`,
/// `tenants/` or `monitors/` (or the one-file `tenants.hcl` / `monitors.hcl`).
pub fn project_root(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .find(|dir| is_project(dir))
        .map(Path::to_path_buf)
}

fn is_project(dir: &Path) -> bool {
    dir.join("monc.hcl").is_file()
        || dir.join("tenants").is_dir()
        || dir.join("monitors").is_dir()
        || dir.join("tenants.hcl").is_file()
        || dir.join("monitors.hcl").is_file()
}

#[cfg(test)]
mod tests {
    use lsp_types::{Position, Range};

    use super::*;

    #[test]
    fn incremental_changes_apply_in_order() {
        let mut documents = Documents::default();
        let path = PathBuf::from("/p/monitors/a.hcl");
        documents.open(path.clone(), "tier = \"L3\"\nname = \"x\"\n".into());
        let edit = |line, from, to, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(line, from),
                Position::new(line, to),
            )),
            range_length: None,
            text: text.into(),
        };
        documents.change(&path, vec![edit(0, 8, 10, "L2"), edit(1, 8, 9, "yz")]);
        assert_eq!(
            documents.text(&path),
            Some("tier = \"L2\"\nname = \"yz\"\n")
        );
    }
}
