//! SSOT discovery and loading.
//!
//! [`discover`] finds the root (the nearest directory holding `opsbook.toml`);
//! [`Ssot::load`] walks it, classifies every file ([`FileKind`]), decodes and
//! parses them in parallel, and keeps every problem it meets as a
//! [`Problem`] with file and line rather than stopping: the gate reports them
//! all at once.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::ssot::kind::{build_globs, classify};
use crate::ssot::read::load_file;
use crate::ssot::source::runbook_of;
use crate::ssot::{Config, FileKind, Problem, ProblemKind, Runbook, RunbookMeta, SourceFile};
use crate::syntax::yaml::Pos;

pub use crate::ssot::layout::CONFIG_FILE;

/// Finds the SSOT root: `start` or the nearest ancestor with `opsbook.toml`.
#[must_use]
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(CONFIG_FILE).is_file() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// A loaded SSOT.
#[derive(Debug)]
pub struct Ssot {
    /// The root directory.
    pub root: PathBuf,
    /// The configuration (defaults when `opsbook.toml` is invalid).
    pub config: Config,
    /// Every file walked, sorted by relative path.
    pub files: Vec<SourceFile>,
    /// Runbooks (indices into `files`).
    pub runbooks: Vec<Runbook>,
    /// Problems met while loading, sorted by file and line.
    pub problems: Vec<Problem>,
}

/// Why an SSOT could not be loaded at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The root has no `opsbook.toml`.
    #[error("`{0}` is not an opsbook SSOT: no opsbook.toml there")]
    NotAnSsot(PathBuf),
    /// The root cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `opsbook.toml` is not valid: commands that act on it refuse to guess.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong (with the line).
        message: String,
    },
}

const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules", ".opsbook-cache"];

/// Converts a path under `root` into a `/`-separated relative path.
#[must_use]
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

impl Ssot {
    /// Reads only `opsbook.toml` (defaults when it is malformed: the full load
    /// reports that as a finding).
    ///
    /// # Errors
    /// As [`Ssot::load`].
    pub fn load_config(root: &Path) -> Result<Config, LoadError> {
        let p = root.join(CONFIG_FILE);
        if !root.is_dir() || !p.is_file() {
            return Err(LoadError::NotAnSsot(root.to_path_buf()));
        }
        let size = std::fs::metadata(&p)
            .map_err(|source| LoadError::Io {
                path: p.clone(),
                source,
            })?
            .len();
        let f = load_file(&p, CONFIG_FILE, &FileKind::Config, size, &mut Vec::new());
        Ok(f.value().map(Config::from_value).unwrap_or_default())
    }

    /// Reads `opsbook.toml` and refuses an invalid one (for commands that act
    /// on the platform, where a silently ignored setting — a hook — is
    /// dangerous).
    ///
    /// # Errors
    /// [`LoadError::NotAnSsot`], [`LoadError::Config`] naming the line.
    pub fn load_config_strict(root: &Path) -> Result<Config, LoadError> {
        let p = root.join(CONFIG_FILE);
        if !root.is_dir() || !p.is_file() {
            return Err(LoadError::NotAnSsot(root.to_path_buf()));
        }
        let size = std::fs::metadata(&p)
            .map_err(|source| LoadError::Io {
                path: p.clone(),
                source,
            })?
            .len();
        let mut problems = Vec::new();
        let f = load_file(&p, CONFIG_FILE, &FileKind::Config, size, &mut problems);
        if let Some(pr) = problems.first() {
            return Err(LoadError::Config {
                path: p,
                message: format!("line {}: {}; fix it first", pr.line, pr.message),
            });
        }
        Ok(f.value().map(Config::from_value).unwrap_or_default())
    }

    /// Loads the SSOT at `root`, keeping every parsed file in memory.
    ///
    /// Every file under the root is walked (except `.git`, `target`,
    /// `node_modules`), classified, read, decoded and parsed in parallel.
    /// Problems with single files are collected in [`Ssot::problems`].
    ///
    /// # Errors
    /// [`LoadError::NotAnSsot`] when `root/opsbook.toml` does not exist;
    /// [`LoadError::Io`] when the root cannot be read.
    pub fn load(root: &Path) -> Result<Ssot, LoadError> {
        Ssot::load_inner(root, |_| (), |(), _, _| (), false).map(|(s, _)| s)
    }

    /// Loads the SSOT keeping, for runbooks, only their metadata (see
    /// [`Ssot::load_streaming`]): for commands that do not read runbook bodies.
    ///
    /// # Errors
    /// As [`Ssot::load`].
    pub fn load_metadata(root: &Path) -> Result<Ssot, LoadError> {
        Ssot::load_inner(root, |_| (), |(), _, _| (), true).map(|(s, _)| s)
    }

    /// Loads the SSOT in two phases so that memory stays bounded however many
    /// runbooks there are: first every file that is not a runbook; then
    /// `prepare` builds a context from that partial SSOT; then each runbook is
    /// parsed, handed to `per_runbook` (in parallel), and released — only its
    /// [`RunbookMeta`] and the positions in [`Runbook::positions`] are kept.
    /// Returns the SSOT (runbook files without `docs`/`body`) and the
    /// per-runbook results in file order.
    ///
    /// # Errors
    /// As [`Ssot::load`].
    pub fn load_streaming<C, T, P, F>(
        root: &Path,
        prepare: P,
        per_runbook: F,
    ) -> Result<(Ssot, Vec<T>), LoadError>
    where
        C: Sync,
        T: Send,
        P: FnOnce(&Ssot) -> C,
        F: Fn(&C, &SourceFile, &RunbookMeta) -> T + Sync,
    {
        Ssot::load_inner(root, prepare, per_runbook, true)
    }

    fn load_inner<C, T, P, F>(
        root: &Path,
        prepare: P,
        per_runbook: F,
        release: bool,
    ) -> Result<(Ssot, Vec<T>), LoadError>
    where
        C: Sync,
        T: Send,
        P: FnOnce(&Ssot) -> C,
        F: Fn(&C, &SourceFile, &RunbookMeta) -> T + Sync,
    {
        let meta = std::fs::metadata(root).map_err(|source| LoadError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        if !meta.is_dir() || !root.join(CONFIG_FILE).is_file() {
            return Err(LoadError::NotAnSsot(root.to_path_buf()));
        }
        let mut problems = Vec::new();
        // Configuration first: it decides how other files are classified.
        let cfg_path = root.join(CONFIG_FILE);
        let cfg_size = std::fs::metadata(&cfg_path).map(|m| m.len()).unwrap_or(0);
        let cfg_file = load_file(
            &cfg_path,
            CONFIG_FILE,
            &FileKind::Config,
            cfg_size,
            &mut problems,
        );
        let config = cfg_file.value().map(Config::from_value).unwrap_or_default();
        let (exclude, bad_exclude) = build_globs(&config.exclude);
        let (alerts, bad_alerts) = build_globs(&config.alerts);
        for (key, bad) in [("exclude", bad_exclude), ("alerts", bad_alerts)] {
            let pos = cfg_file
                .doc()
                .map_or(Pos { line: 1, col: 1 }, |d| d.pos(&format!("/gate/{key}")));
            for message in bad {
                problems.push(Problem {
                    kind: ProblemKind::Toml,
                    file: CONFIG_FILE.to_string(),
                    line: pos.line,
                    col: pos.col,
                    message: format!("`[gate] {key}`: {message}"),
                });
            }
        }

        let mut entries: Vec<(PathBuf, String, u64, FileKind)> = Vec::new();
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !SKIP_DIRS.iter().any(|s| e.file_name() == *s));
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_file() {
                        let rel = rel_path(root, e.path());
                        if rel == CONFIG_FILE {
                            continue;
                        }
                        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                        let kind = classify(&rel, &exclude, &alerts);
                        entries.push((e.path().to_path_buf(), rel, size, kind));
                    }
                }
                Err(err) => {
                    let rel = err.path().map_or_else(String::new, |p| rel_path(root, p));
                    let message = if err.loop_ancestor().is_some() {
                        format!(
                            "symbolic link loop: `{rel}` points back to its ancestor `{}`",
                            err.loop_ancestor()
                                .map(|a| rel_path(root, a))
                                .unwrap_or_default()
                        )
                    } else {
                        format!("cannot walk: {err}")
                    };
                    problems.push(Problem {
                        kind: ProblemKind::Walk,
                        file: rel,
                        line: 1,
                        col: 1,
                        message,
                    });
                }
            }
        }
        let (runbook_entries, other_entries): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .partition(|(_, _, _, k)| *k == FileKind::Runbook);
        // Phase 1: everything but runbooks.
        let loaded: Vec<(SourceFile, Vec<Problem>)> = other_entries
            .par_iter()
            .map(|(path, rel, size, kind)| {
                let mut p = Vec::new();
                let f = load_file(path, rel, kind, *size, &mut p);
                (f, p)
            })
            .collect();
        let mut files = vec![cfg_file];
        for (f, p) in loaded {
            files.push(f);
            problems.extend(p);
        }
        let mut ssot = Ssot {
            root: root.to_path_buf(),
            config,
            files,
            runbooks: Vec::new(),
            problems,
        };
        let cx = prepare(&ssot);
        // Phase 2: runbooks, each checked and (when streaming) released.
        let done: Vec<(SourceFile, Runbook, T, Vec<Problem>)> = runbook_entries
            .par_iter()
            .map(|(path, rel, size, kind)| {
                let mut p = Vec::new();
                let mut f = load_file(path, rel, kind, *size, &mut p);
                let mut rb = runbook_of(0, &f);
                let out = per_runbook(&cx, &f, &rb.meta);
                if release {
                    f.docs = Vec::new();
                    f.body = None;
                    f.path = PathBuf::new();
                    rb.meta.slim();
                }
                (f, rb, out, p)
            })
            .collect();
        // Merge the two path-sorted lists (no second copy of either), pointing
        // each runbook at its file.
        let mut done = done;
        done.sort_by(|a, b| a.0.rel.cmp(&b.0.rel));
        let mut others = std::mem::take(&mut ssot.files);
        others.sort_by(|a, b| a.rel.cmp(&b.rel));
        let mut files = Vec::with_capacity(others.len() + done.len());
        let mut runbooks = Vec::with_capacity(done.len());
        let mut results = Vec::with_capacity(done.len());
        let mut others = others.into_iter().peekable();
        for (f, mut rb, out, p) in done {
            while let Some(o) = others.next_if(|o| o.rel < f.rel) {
                files.push(o);
            }
            rb.file = files.len();
            files.push(f);
            runbooks.push(rb);
            results.push(out);
            ssot.problems.extend(p);
        }
        files.extend(others);
        ssot.files = files;
        ssot.runbooks = runbooks;
        ssot.problems
            .sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
        Ok((ssot, results))
    }

    /// The kind of a path relative to the root, by this SSOT's configuration.
    #[must_use]
    pub fn kind_of(&self, rel: &str) -> FileKind {
        classify(
            rel,
            &build_globs(&self.config.exclude).0,
            &build_globs(&self.config.alerts).0,
        )
    }

    /// The first file of a kind.
    #[must_use]
    pub fn file_of(&self, kind: &FileKind) -> Option<&SourceFile> {
        self.files.iter().find(|f| &f.kind == kind)
    }

    /// A policy document by name (`degraded`, `safety-matrix`, …).
    #[must_use]
    pub fn policy(&self, name: &str) -> Option<&SourceFile> {
        self.file_of(&FileKind::Policy(name.to_string()))
    }

    /// A plan document by name (`verification`, `coverage`, …).
    #[must_use]
    pub fn plan(&self, name: &str) -> Option<&SourceFile> {
        self.file_of(&FileKind::Plan(name.to_string()))
    }

    /// The file of a runbook.
    #[must_use]
    pub fn runbook_file(&self, rb: &Runbook) -> &SourceFile {
        &self.files[rb.file]
    }
}
