//! The libyaml-rules event source of [`super::parse_stream_compat`]: YAML as
//! Go's yaml.v2/v3 and PyYAML read it, through `libyaml-safer` (a line-by-line
//! safe Rust port of libyaml), turned into the same events as saphyr's.

use super::{Ev, Pos, Source, YamlError, resolve_scalar};

/// libyaml's rules (`libyaml-safer`), for [`parse_stream_compat`]. Keys and
/// scalars are reported where saphyr reports them, so that a finding's line
/// does not depend on which parser read the file: a block scalar at its
/// first content line (not its `|`/`>`). (Sequence starts may differ by the
/// width of `- `.)
pub(super) struct Libyaml<'a> {
    parser: libyaml_safer::Parser<&'a [u8]>,
    /// The source, by line, for block scalar positions.
    lines: Vec<&'a str>,
}

impl<'a> Libyaml<'a> {
    pub(super) fn new(src: &'a str) -> Libyaml<'a> {
        let mut parser = libyaml_safer::Parser::new();
        parser.set_input(src.as_bytes());
        Libyaml {
            parser,
            lines: src.split('\n').collect(),
        }
    }

    fn raw(&mut self) -> Result<(Ev, Pos), YamlError> {
        use libyaml_safer::EventData as D;
        let ev = self.parser.parse().map_err(|e| {
            let m = e.problem_mark().unwrap_or_default();
            YamlError {
                first: None,
                pos: Pos {
                    line: usize::try_from(m.line).unwrap_or(0) + 1,
                    col: usize::try_from(m.column).unwrap_or(0) + 1,
                },
                message: match e.context() {
                    Some(c) => format!("{c}: {}", e.problem()),
                    None => e.problem().to_string(),
                },
            }
        })?;
        let mut at = Pos {
            line: usize::try_from(ev.start_mark.line).unwrap_or(0) + 1,
            col: usize::try_from(ev.start_mark.column).unwrap_or(0) + 1,
        };
        let ev = match ev.data {
            D::StreamStart { .. } => Ev::StreamStart,
            D::StreamEnd => Ev::StreamEnd,
            D::DocumentStart { .. } => Ev::DocStart,
            D::DocumentEnd { .. } => Ev::DocEnd,
            D::Alias { anchor } => Ev::Alias(anchor),
            D::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => {
                if matches!(
                    style,
                    libyaml_safer::ScalarStyle::Literal | libyaml_safer::ScalarStyle::Folded
                ) && let Some(first) = self.first_content_line(at.line)
                {
                    at = first;
                }
                // A bare `!` forces a string, as in YAML 1.2.
                let tag = tag.map(|t| {
                    if t == "!" {
                        "tag:yaml.org,2002:str".to_string()
                    } else {
                        t
                    }
                });
                Ev::Scalar(
                    resolve_scalar(
                        &value,
                        style == libyaml_safer::ScalarStyle::Plain,
                        tag.as_deref(),
                    ),
                    anchor,
                )
            }
            D::SequenceStart { anchor, .. } => Ev::SeqStart(anchor),
            D::SequenceEnd => Ev::SeqEnd,
            D::MappingStart { anchor, .. } => Ev::MapStart(anchor),
            D::MappingEnd => Ev::MapEnd,
        };
        Ok((ev, at))
    }

    /// The first non-blank line after `line` (1-based), at its indentation.
    fn first_content_line(&self, line: usize) -> Option<Pos> {
        self.lines
            .iter()
            .enumerate()
            .skip(line)
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| Pos {
                line: i + 1,
                col: l.chars().take_while(|c| *c == ' ').count() + 1,
            })
    }
}

impl Source for Libyaml<'_> {
    fn next(&mut self) -> Result<(Ev, Pos), YamlError> {
        self.raw()
    }
}
