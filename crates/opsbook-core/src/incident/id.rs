//! Incident IDs: the convention of `[ids] incident` in `opsbook.toml`
//! ([`IdFormat`], default [`DEFAULT_ID_FORMAT`]) and the next ID of a day.

/// Default incident ID convention.
pub const DEFAULT_ID_FORMAT: &str = "INC-{yyyymmdd}-{seq:3}";

/// An incident ID convention such as `INC-{yyyymmdd}-{seq:3}`.
///
/// Tokens: `{yyyymmdd}`, `{yyyy}`, `{mm}`, `{dd}` (UTC opening date) and
/// `{seq}` / `{seq:N}` (per-day sequence from 1, zero-padded to N digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdFormat {
    template: String,
    width: usize,
}

impl IdFormat {
    /// Parses a convention.
    ///
    /// # Errors
    /// A message when there is no `{seq}` token, or an unknown token.
    pub fn parse(template: &str) -> Result<IdFormat, String> {
        let mut width = 0;
        let mut has_seq = false;
        let mut rest = template;
        while let Some(i) = rest.find('{') {
            let Some(j) = rest[i..].find('}') else {
                return Err(format!("`{template}`: `{{` without `}}`"));
            };
            let tok = &rest[i + 1..i + j];
            match tok {
                "yyyymmdd" | "yyyy" | "mm" | "dd" => {}
                "seq" => has_seq = true,
                t if t.starts_with("seq:") => {
                    width = t[4..].parse().map_err(|_| {
                        format!("`{template}`: `{{{t}}}` needs a width 1-9, e.g. {{seq:3}}")
                    })?;
                    has_seq = true;
                }
                t => {
                    return Err(format!(
                        "`{template}`: unknown token `{{{t}}}`; use {{yyyymmdd}}, {{yyyy}}, {{mm}}, {{dd}}, {{seq}} or {{seq:N}}"
                    ));
                }
            }
            rest = &rest[i + j + 1..];
        }
        if !has_seq {
            return Err(format!(
                "`{template}`: an incident ID convention needs a {{seq}} token so that IDs are unique"
            ));
        }
        Ok(IdFormat {
            template: template.to_string(),
            width,
        })
    }

    fn fill(&self, date: jiff::civil::Date, seq: Option<u32>) -> String {
        let seq = seq.map_or_else(
            || "\u{0}".to_string(),
            |n| format!("{n:0width$}", width = self.width),
        );
        let mut out = self
            .template
            .replace("{yyyymmdd}", &date.strftime("%Y%m%d").to_string())
            .replace("{yyyy}", &date.strftime("%Y").to_string())
            .replace("{mm}", &date.strftime("%m").to_string())
            .replace("{dd}", &date.strftime("%d").to_string());
        if let Some(i) = out.find("{seq")
            && let Some(j) = out[i..].find('}')
        {
            out.replace_range(i..i + j + 1, &seq);
        }
        out
    }

    /// The ID for `date` and `seq`.
    #[must_use]
    pub fn format(&self, date: jiff::civil::Date, seq: u32) -> String {
        self.fill(date, Some(seq))
    }

    /// The sequence number of `id` if it is an ID of `date`.
    #[must_use]
    pub fn seq_of(&self, date: jiff::civil::Date, id: &str) -> Option<u32> {
        let shape = self.fill(date, None);
        let (pre, post) = shape.split_once('\u{0}')?;
        let mid = id.strip_prefix(pre)?.strip_suffix(post)?;
        if mid.is_empty() || !mid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        mid.parse().ok()
    }
}
