//! Drills (seed §4.1.4 "drill schedule + acceptance"; issue: drills).
//!
//! [`due`] lists the drills of `runbooks/drills.yaml` that are due at a date:
//! never run, or last run `interval_days` or more ago. [`record`] appends the
//! result to the hash-chained `ledger/drills.jsonl` and, on a pass, sets the
//! runbook's `last_drilled` and the drill's `last_run` — editing only the
//! value on that one line, every other byte of both files as it was (line
//! endings, encoding, comments included), with an atomic replace.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ledger::{self, Actor};
use crate::ssot::{FileKind, Ssot};
use crate::syntax::text::{self, Encoding};
use crate::syntax::yaml::Pos;

/// A drill as the schedule needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drill {
    /// Drill ID, e.g. `DR-HALT-EVIDENCE`.
    pub id: String,
    /// The runbook it exercises.
    pub runbook: String,
    /// Interval between drills, in days.
    pub interval_days: Option<i64>,
    /// Date of the last run (`YYYY-MM-DD`), if any.
    pub last_run: Option<String>,
}

/// A drill that is due.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Due {
    /// The drill.
    #[serde(flatten)]
    pub drill: Drill,
    /// When it became due (`None`: never run).
    pub due_since: Option<String>,
    /// Days past due (0 when due today or never run).
    pub days_overdue: i64,
}

/// Why a drill cannot be recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DrillError {
    /// No such drill.
    #[error("unknown drill `{id}`; known: {known}")]
    Unknown {
        /// The ID given.
        id: String,
        /// Known IDs.
        known: String,
    },
    /// The runbook of the drill is not found.
    #[error("drill `{drill}` exercises `{runbook}`, which no runbook file declares")]
    NoRunbook {
        /// The drill.
        drill: String,
        /// The runbook ID.
        runbook: String,
    },
    /// The field to update is missing or not a plain value on one line.
    #[error("{file}: cannot update `{field}`: {why}")]
    Edit {
        /// The file.
        file: String,
        /// The field.
        field: String,
        /// Why.
        why: String,
    },
    /// Ledger.
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Reads the drills of `runbooks/drills.yaml`.
#[must_use]
pub fn drills(ssot: &Ssot) -> Vec<Drill> {
    let Some(v) = ssot
        .file_of(&FileKind::Drills)
        .and_then(crate::ssot::SourceFile::value)
    else {
        return Vec::new();
    };
    v.get("drills")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|d| {
                    Some(Drill {
                        id: d.get("id")?.as_str()?.to_string(),
                        runbook: d
                            .get("runbook")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        interval_days: d.get("interval_days").and_then(Value::as_i64),
                        last_run: d
                            .get("last_run")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The drills due at `as_of`, most overdue first (never-run ones first of all).
#[must_use]
pub fn due(drills: &[Drill], as_of: jiff::civil::Date) -> Vec<Due> {
    let mut out: Vec<Due> = drills
        .iter()
        .filter_map(|d| {
            let Some(last) = d
                .last_run
                .as_deref()
                .and_then(|s| s.parse::<jiff::civil::Date>().ok())
            else {
                return Some(Due {
                    drill: d.clone(),
                    due_since: None,
                    days_overdue: 0,
                });
            };
            let due = last
                .checked_add(jiff::Span::new().days(d.interval_days.unwrap_or(90)))
                .ok()?;
            (due <= as_of).then(|| Due {
                drill: d.clone(),
                due_since: Some(due.to_string()),
                days_overdue: i64::from((as_of - due).get_days()),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.due_since.is_some(), -a.days_overdue, &a.drill.id).cmp(&(
            b.due_since.is_some(),
            -b.days_overdue,
            &b.drill.id,
        ))
    });
    out
}

/// Replaces the plain scalar that starts at `pos` (1-based line and column,
/// in characters) with `value`, touching nothing else: the rest of the line
/// (a trailing `# comment`), other lines, line endings and the encoding are
/// kept. UTF-8 files are edited as bytes; UTF-16 files are decoded and
/// re-encoded.
///
/// # Errors
/// A message when the position is not on a plain one-line scalar.
pub fn replace_scalar(bytes: &[u8], pos: Pos, value: &str) -> Result<Vec<u8>, String> {
    let decoded = text::decode(bytes).map_err(|e| e.to_string())?;
    if matches!(decoded.encoding, Encoding::Utf16Le | Encoding::Utf16Be) {
        let edited = replace_in_text(&decoded.text, pos, value)?;
        return Ok(text::encode(&edited, decoded.encoding, decoded.line_ending));
    }
    let bom = if decoded.encoding == Encoding::Utf8Bom {
        3
    } else {
        0
    };
    let body = &bytes[bom..];
    // Byte range of line `pos.line` (lines end at `\n`; a `\r` before it stays).
    let mut start = 0usize;
    for _ in 1..pos.line {
        let nl = body[start..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("line beyond the end of the file")?;
        start += nl + 1;
    }
    let end = body[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(body.len(), |i| start + i);
    let line = std::str::from_utf8(&body[start..end]).map_err(|e| e.to_string())?;
    let edited = replace_in_line(line.strip_suffix('\r').unwrap_or(line), pos.col, value)?;
    let cr = if line.ends_with('\r') { "\r" } else { "" };
    let mut out = Vec::with_capacity(bytes.len() + value.len());
    out.extend_from_slice(&bytes[..bom + start]);
    out.extend_from_slice(edited.as_bytes());
    out.extend_from_slice(cr.as_bytes());
    out.extend_from_slice(&body[end..]);
    Ok(out)
}

fn replace_in_text(text: &str, pos: Pos, value: &str) -> Result<String, String> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let line = lines
        .get_mut(pos.line - 1)
        .ok_or("line beyond the end of the file")?;
    *line = replace_in_line(line, pos.col, value)?;
    Ok(lines.join("\n"))
}

fn replace_in_line(line: &str, col: usize, value: &str) -> Result<String, String> {
    let start = line
        .char_indices()
        .nth(col - 1)
        .map(|(i, _)| i)
        .ok_or("column beyond the end of the line")?;
    let rest = &line[start..];
    if rest.starts_with(['"', '\'', '[', '{', '|', '>']) || rest.trim().is_empty() {
        return Err("the value is not a plain scalar on this line".into());
    }
    // A plain scalar ends at ` #` (a comment) or the end of the line.
    let len = rest.find(" #").unwrap_or(rest.len());
    let scalar = rest[..len].trim_end();
    Ok(format!(
        "{}{}{}",
        &line[..start],
        value,
        &rest[scalar.len()..]
    ))
}

/// What [`record`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    /// The ledger event's `seq` in `ledger/drills.jsonl`.
    pub seq: u64,
    /// Files whose date was updated (pass only).
    pub updated: Vec<String>,
}

/// Records a drill result: appends `drill_recorded` to `ledger/drills.jsonl`
/// and, on a pass, sets the runbook's `last_drilled` and the drill's
/// `last_run` to `date`.
///
/// # Errors
/// [`DrillError`] for an unknown drill or runbook, a field that cannot be
/// edited in place (nothing is written then), ledger or I/O errors.
#[allow(clippy::too_many_arguments)]
pub fn record(
    ssot: &Ssot,
    drill_id: &str,
    passed: bool,
    evidence: &str,
    notes: Option<&str>,
    date: jiff::civil::Date,
    clock: &dyn crate::host::clock::Clock,
    actor: &Actor,
    seam: Option<crate::ledger::SharedSeam>,
) -> Result<Recorded, DrillError> {
    let all = drills(ssot);
    let Some(drill) = all.iter().find(|d| d.id == drill_id) else {
        return Err(DrillError::Unknown {
            id: drill_id.to_string(),
            known: all
                .iter()
                .map(|d| d.id.clone())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let mut edits: Vec<(PathBuf, Vec<u8>, String)> = Vec::new();
    if passed {
        let rb = ssot
            .runbooks
            .iter()
            .find(|r| r.meta.id.as_deref() == Some(drill.runbook.as_str()))
            .ok_or_else(|| DrillError::NoRunbook {
                drill: drill.id.clone(),
                runbook: drill.runbook.clone(),
            })?;
        let f = ssot.runbook_file(rb);
        let doc = f
            .doc()
            .filter(|d| d.doc.value.get("last_drilled").is_some())
            .ok_or_else(|| DrillError::Edit {
                file: f.rel.clone(),
                field: "last_drilled".into(),
                why: "the front matter has no `last_drilled:` line (add `last_drilled: null`)"
                    .into(),
            })?;
        edits.push(edit(
            &ssot.root,
            &f.rel,
            doc.pos("/last_drilled"),
            &date.to_string(),
            "last_drilled",
        )?);
        let reg = ssot
            .file_of(&FileKind::Drills)
            .ok_or_else(|| DrillError::Edit {
                file: "runbooks/drills.yaml".into(),
                field: "last_run".into(),
                why: "missing".into(),
            })?;
        if let Some(d) = reg.doc() {
            let idx = d
                .doc
                .value
                .get("drills")
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .position(|x| x.get("id").and_then(Value::as_str) == Some(drill_id))
                });
            if let Some(i) = idx.filter(|i| d.doc.value["drills"][*i].get("last_run").is_some()) {
                edits.push(edit(
                    &ssot.root,
                    &reg.rel,
                    d.pos(&format!("/drills/{i}/last_run")),
                    &date.to_string(),
                    "last_run",
                )?);
            }
        }
    }
    // Record first: the ledger is the truth; then the dates it implies.
    let ev = crate::event::append_with(
        &crate::ssot::layout::Layout::new(&ssot.root)
            .ledger(crate::ssot::layout::LedgerFile::Drills),
        seam,
        clock,
        actor,
        &crate::event::DrillEvent::DrillRecorded(crate::event::drill::DrillRecorded {
            drill: drill.id.clone(),
            runbook: drill.runbook.clone(),
            result: if passed { "pass" } else { "fail" }.into(),
            evidence: evidence.to_string(),
            date: date.to_string(),
            notes: notes.map(str::to_string),
        }),
    )?;
    let mut updated = Vec::new();
    for (path, bytes, rel) in edits {
        crate::host::fsutil::write_atomic(&path, &bytes).map_err(|source| DrillError::Io {
            path: path.clone(),
            source,
        })?;
        updated.push(rel);
    }
    Ok(Recorded {
        seq: ev.seq,
        updated,
    })
}

fn edit(
    root: &Path,
    rel: &str,
    pos: Pos,
    value: &str,
    field: &str,
) -> Result<(PathBuf, Vec<u8>, String), DrillError> {
    let path = root.join(rel);
    let bytes = std::fs::read(&path).map_err(|source| DrillError::Io {
        path: path.clone(),
        source,
    })?;
    let new = replace_scalar(&bytes, pos, value).map_err(|why| DrillError::Edit {
        file: rel.to_string(),
        field: field.to_string(),
        why,
    })?;
    Ok((path, new, rel.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_value_changes() {
        let src = b"---\r\nrunbook_id: RB-A-B\r\nlast_drilled: null   # set by opsbook drill record\r\nx: 1\r\n---\r\n";
        let out = replace_scalar(src, Pos { line: 3, col: 15 }, "2026-11-29").unwrap();
        assert_eq!(
            out,
            b"---\r\nrunbook_id: RB-A-B\r\nlast_drilled: 2026-11-29   # set by opsbook drill record\r\nx: 1\r\n---\r\n".to_vec()
        );
        let bom = [&[0xEF, 0xBB, 0xBF][..], b"a: 1\nlast_run: 2026-01-01\n"].concat();
        let out = replace_scalar(&bom, Pos { line: 2, col: 11 }, "2026-11-29").unwrap();
        assert_eq!(
            out,
            [&[0xEF, 0xBB, 0xBF][..], b"a: 1\nlast_run: 2026-11-29\n"].concat()
        );
        assert!(replace_scalar(b"a: \"quoted\"\n", Pos { line: 1, col: 4 }, "x").is_err());
    }

    #[test]
    fn utf16_files_are_edited_in_their_encoding() {
        let src = text::encode(
            "a: 1\nlast_drilled: null\n",
            Encoding::Utf16Le,
            text::LineEnding::CrLf,
        );
        let out = replace_scalar(&src, Pos { line: 2, col: 15 }, "2026-11-29").unwrap();
        assert_eq!(
            out,
            text::encode(
                "a: 1\nlast_drilled: 2026-11-29\n",
                Encoding::Utf16Le,
                text::LineEnding::CrLf
            )
        );
    }

    #[test]
    fn due_lists_never_run_then_most_overdue() {
        let d = |id: &str, last: Option<&str>| Drill {
            id: id.into(),
            runbook: "RB-A-B".into(),
            interval_days: Some(90),
            last_run: last.map(str::to_string),
        };
        let list = [
            d("DR-OK", Some("2026-11-01")),
            d("DR-LATE", Some("2026-01-01")),
            d("DR-NEVER", None),
            d("DR-EDGE", Some("2026-08-31")),
        ];
        let due = due(&list, jiff::civil::date(2026, 11, 29));
        let ids: Vec<&str> = due.iter().map(|x| x.drill.id.as_str()).collect();
        assert_eq!(ids, ["DR-NEVER", "DR-LATE", "DR-EDGE"]);
        assert_eq!(due[1].due_since.as_deref(), Some("2026-04-01"));
        assert_eq!(due[1].days_overdue, 242);
        assert_eq!(due[2].days_overdue, 0, "due exactly today");
    }
}
