//! A profile resolved against a file: which cell feeds which field, and the
//! typed readers (decimal, time, side, status, text) every record builder uses.
//!
//! [`Plan::for_header`] resolves column names against a CSV header (and says
//! which required column is missing); [`Plan::for_json`] keeps names and
//! pointers for JSON rows. A row is then any [`Cells`]: slot `i` is the
//! `i`-th distinct column the profile reads.

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::decimal;
use crate::profile::{Col, Field, FieldSpec, Profile, TsFormat};

/// The cells of one row, by slot.
pub(crate) trait Cells {
    /// The cell of a slot (`None`: column absent or JSON null).
    fn cell(&self, slot: usize) -> Option<&[u8]>;
}

/// How one field is read from slots.
#[derive(Debug, Clone)]
pub(crate) struct FieldPlan {
    slots: Vec<usize>,
    constant: Option<Vec<u8>>,
    spec: FieldSpec,
    /// Column names (for messages).
    label: String,
}

/// A resolved profile.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub profile: std::sync::Arc<Profile>,
    /// Distinct columns read, by slot.
    pub columns: Vec<Col>,
    /// For a CSV: the header index of each slot (`None`: optional and absent).
    pub csv_index: Vec<Option<usize>>,
    fields: Vec<Option<FieldPlan>>,
    filters: Vec<(usize, Vec<Vec<u8>>)>,
    exchange: Option<Vec<u8>>,
    /// Direct slots for the common fills shape (see [`FastFill`]).
    pub fast: Option<FastFill>,
}

/// A fills profile whose fields are plain columns (no map, constant, sum,
/// shift or negation; time in epoch ms): read without the general machinery.
#[derive(Debug, Clone)]
pub(crate) struct FastFill {
    pub exchange: Result<usize, Vec<u8>>,
    pub symbol: usize,
    pub trade: usize,
    pub order: Option<usize>,
    pub side: usize,
    pub qty: usize,
    pub price: usize,
    pub fee: Option<usize>,
    pub fee_asset: Option<usize>,
    pub ts: usize,
}

fn idx(f: Field) -> usize {
    Field::ALL.iter().position(|x| *x == f).unwrap_or(0)
}

impl Plan {
    fn build(profile: &Profile) -> Plan {
        let mut columns: Vec<Col> = Vec::new();
        let slot_of = |c: &Col, columns: &mut Vec<Col>| -> usize {
            if let Some(i) = columns.iter().position(|x| x == c) {
                i
            } else {
                columns.push(c.clone());
                columns.len() - 1
            }
        };
        let mut fields: Vec<Option<FieldPlan>> = vec![None; Field::ALL.len()];
        for (f, spec) in &profile.fields {
            let slots = spec
                .columns
                .iter()
                .map(|c| slot_of(c, &mut columns))
                .collect();
            fields[idx(*f)] = Some(FieldPlan {
                slots,
                constant: spec.constant.as_ref().map(|c| c.as_bytes().to_vec()),
                spec: spec.clone(),
                label: spec
                    .columns
                    .iter()
                    .map(Col::as_str)
                    .collect::<Vec<_>>()
                    .join("+"),
            });
        }
        let filters = profile
            .filters
            .iter()
            .map(|f| {
                (
                    slot_of(&f.column, &mut columns),
                    f.equals.iter().map(|e| e.as_bytes().to_vec()).collect(),
                )
            })
            .collect();
        Plan {
            profile: std::sync::Arc::new(profile.clone()),
            csv_index: vec![None; columns.len()],
            columns,
            fields,
            filters,
            exchange: profile.exchange.as_ref().map(|e| e.as_bytes().to_vec()),
            fast: None,
        }
    }

    /// The single plain column of a field, if that is all it is.
    fn plain(&self, f: Field) -> Option<Option<usize>> {
        let Some(p) = self.fields[idx(f)].as_ref() else {
            return Some(None);
        };
        let s = &p.spec;
        if p.constant.is_some()
            || p.slots.len() != 1
            || !s.map.is_empty()
            || s.default.is_some()
            || s.shift != 0
            || s.negate
        {
            return None;
        }
        let slot = p.slots[0];
        match self.csv_index.get(slot) {
            Some(Some(_)) => Some(Some(slot)),
            _ if s.optional => Some(None),
            _ => None,
        }
    }

    fn fast_fill(&self) -> Option<FastFill> {
        if self.profile.kind != crate::profile::RecordKind::Fills || !self.filters.is_empty() {
            return None;
        }
        let ts_ok = self.fields[idx(Field::Ts)]
            .as_ref()
            .is_some_and(|p| p.spec.format == Some(TsFormat::EpochMs));
        if !ts_ok || self.plain(Field::IsBuyer)?.is_some() {
            return None;
        }
        let exchange = match self.plain(Field::Exchange)? {
            Some(s) => Ok(s),
            None => Err(self.exchange.clone().unwrap_or_default()),
        };
        Some(FastFill {
            exchange,
            symbol: self.plain(Field::Symbol)??,
            trade: self.plain(Field::TradeId)??,
            order: self.plain(Field::OrderId)?,
            side: self.plain(Field::Side)??,
            qty: self.plain(Field::Qty)??,
            price: self.plain(Field::Price)??,
            fee: self.plain(Field::Fee)?,
            fee_asset: self.plain(Field::FeeAsset)?,
            ts: self.plain(Field::Ts)??,
        })
    }

    /// A plan for JSON rows (columns looked up by key or pointer per row).
    pub fn for_json(profile: &Profile) -> Plan {
        Plan::build(profile)
    }

    /// A plan for a CSV with this header; `Err` names the missing columns.
    pub fn for_header(profile: &Profile, header: Option<&[String]>) -> Result<Plan, String> {
        let mut plan = Plan::build(profile);
        let mut missing = Vec::new();
        for (slot, col) in plan.columns.iter().enumerate() {
            let found = match (col, header) {
                (Col::Name(n), Some(h)) => h.iter().position(|x| x.trim() == n),
                (Col::Pointer(p), _) => p[1..].parse::<usize>().ok(),
                (Col::Name(_), None) => None,
            };
            plan.csv_index[slot] = found;
            if found.is_none() && plan.required_slot(slot) {
                missing.push(col.as_str().to_string());
            }
        }
        if plan.profile.kind == crate::profile::RecordKind::Fills
            && plan.field_absent(Field::Side)
            && plan.field_absent(Field::IsBuyer)
        {
            missing.push(plan.either_label(Field::Side, Field::IsBuyer));
        }
        if missing.is_empty() {
            plan.fast = plan.fast_fill();
            Ok(plan)
        } else {
            Err(missing.join("`, `"))
        }
    }

    fn required_slot(&self, slot: usize) -> bool {
        self.fields
            .iter()
            .flatten()
            .any(|f| !f.spec.optional && f.slots.contains(&slot))
            || self.filters.iter().any(|(s, _)| *s == slot)
    }

    /// Whether a field has no source in this file.
    pub fn field_absent(&self, f: Field) -> bool {
        match &self.fields[idx(f)] {
            None => true,
            Some(p) => {
                p.constant.is_none()
                    && !p.slots.is_empty()
                    && p.slots.iter().all(|s| {
                        self.csv_index.get(*s).is_some_and(Option::is_none)
                            && matches!(self.columns[*s], Col::Name(_))
                    })
            }
        }
    }

    fn either_label(&self, a: Field, b: Field) -> String {
        let l = |f: Field| {
            self.fields[idx(f)]
                .as_ref()
                .map_or(f.as_str().to_string(), |p| p.label.clone())
        };
        format!("{}` or `{}", l(a), l(b))
    }

    /// Whether the row passes the profile's filters.
    pub fn keep(&self, row: &impl Cells) -> bool {
        self.filters.iter().all(|(slot, values)| {
            let c = row.cell(*slot).map(trim).unwrap_or(b"");
            values.iter().any(|v| v.as_slice() == c)
        })
    }

    /// Whether the field is mapped to a column the profile does not mark
    /// optional (its cells must then not be empty, for times).
    pub fn mandatory(&self, f: Field) -> bool {
        self.fields[idx(f)]
            .as_ref()
            .is_some_and(|p| !p.spec.optional && p.constant.is_none())
    }

    /// Whether the profile maps the field at all.
    pub fn has(&self, f: Field) -> bool {
        self.fields[idx(f)].is_some()
    }

    /// The column label of a field (for messages).
    pub fn label(&self, f: Field) -> String {
        self.fields[idx(f)]
            .as_ref()
            .map_or_else(|| f.as_str().to_string(), |p| p.label.clone())
    }

    /// The raw text of a field (trimmed), after the map; `None` when empty.
    pub fn raw<'a>(&'a self, f: Field, row: &'a impl Cells) -> Option<Cow<'a, [u8]>> {
        if f == Field::Exchange && !self.has(Field::Exchange) {
            return self.exchange.as_deref().map(Cow::Borrowed);
        }
        let p = self.fields[idx(f)].as_ref()?;
        let cell: &[u8] = match &p.constant {
            Some(c) => c,
            None => trim(row.cell(*p.slots.first()?)?),
        };
        if cell.is_empty() {
            return None;
        }
        if p.spec.map.is_empty() {
            return Some(Cow::Borrowed(cell));
        }
        let text = String::from_utf8_lossy(cell);
        match p.spec.map.get(text.as_ref()) {
            Some(v) => Some(Cow::Owned(v.as_bytes().to_vec())),
            None => Some(match &p.spec.default {
                Some(d) => Cow::Owned(d.as_bytes().to_vec()),
                None => Cow::Borrowed(cell),
            }),
        }
    }

    /// Whether the field's cell text is outside its map (and a default applied).
    pub fn unmapped(&self, f: Field, row: &impl Cells) -> Option<String> {
        let p = self.fields[idx(f)].as_ref()?;
        if p.spec.map.is_empty() || p.spec.default.is_none() {
            return None;
        }
        let cell = trim(row.cell(*p.slots.first()?)?);
        let text = String::from_utf8_lossy(cell);
        (!cell.is_empty() && !p.spec.map.contains_key(text.as_ref())).then(|| text.into_owned())
    }

    /// The text of a field as UTF-8 (lossy), `None` when empty.
    pub fn text(&self, f: Field, row: &impl Cells) -> Option<String> {
        self.raw(f, row)
            .map(|c| String::from_utf8_lossy(&c).into_owned())
    }

    /// A decimal field: the sum of its columns, shifted and negated as the
    /// profile says; `Ok(None)` when every cell is empty.
    pub fn dec(&self, f: Field, row: &impl Cells) -> Result<Option<Decimal>, String> {
        let Some(p) = self.fields[idx(f)].as_ref() else {
            return Ok(None);
        };
        let mut sum: Option<Decimal> = None;
        if let Some(c) = &p.constant {
            sum = Some(decimal::parse(c).map_err(|e| format!("`{}`: {e}", f.as_str()))?);
        } else {
            for s in &p.slots {
                let Some(cell) = row.cell(*s).map(trim).filter(|c| !c.is_empty()) else {
                    continue;
                };
                let d = decimal::parse(cell)
                    .map_err(|e| format!("`{}` (column `{}`): {e}", f.as_str(), p.label))?;
                sum = Some(match sum {
                    None => d,
                    Some(a) => a
                        .checked_add(d)
                        .ok_or_else(|| format!("`{}`: the sum overflows", f.as_str()))?,
                });
            }
        }
        let Some(mut d) = sum else { return Ok(None) };
        if p.spec.shift != 0 {
            d = shift(d, p.spec.shift).ok_or_else(|| {
                format!(
                    "`{}`: shifting by 10^{} is not exact",
                    f.as_str(),
                    p.spec.shift
                )
            })?;
        }
        if p.spec.negate {
            d = -d;
        }
        Ok(Some(d))
    }

    /// A time field in ms since the Unix epoch (UTC); `Ok(None)` when empty.
    pub fn ts(&self, f: Field, row: &impl Cells) -> Result<Option<i64>, String> {
        let Some(p) = self.fields[idx(f)].as_ref() else {
            return Ok(None);
        };
        let Some(cell) = self.raw(f, row) else {
            return Ok(None);
        };
        let fmt = p.spec.format.clone().unwrap_or(TsFormat::Auto);
        parse_ts(&cell, &fmt)
            .map(Some)
            .map_err(|e| format!("`{}` (column `{}`): {e}", f.as_str(), p.label))
    }

    /// The side of a fill: `side` (mapped, then buy/sell/b/s in any case) or,
    /// when the file has no side, `is_buyer`. Both present must agree.
    pub fn side(&self, row: &impl Cells) -> Result<Side, String> {
        let side = match self.raw(Field::Side, row) {
            Some(c) => Some(parse_side(&c).ok_or_else(|| {
                format!(
                    "`side` (column `{}`): `{}` is not buy or sell",
                    self.label(Field::Side),
                    String::from_utf8_lossy(&c)
                )
            })?),
            None => None,
        };
        let buyer = match self.raw(Field::IsBuyer, row) {
            Some(c) => Some(match c.to_ascii_lowercase().as_slice() {
                b"true" | b"1" | b"yes" => Side::Buy,
                b"false" | b"0" | b"no" => Side::Sell,
                _ => {
                    return Err(format!(
                        "`is_buyer` (column `{}`): `{}` is not true or false",
                        self.label(Field::IsBuyer),
                        String::from_utf8_lossy(&c)
                    ));
                }
            }),
            None => None,
        };
        match (side, buyer) {
            (Some(s), Some(b)) if s != b => Err(format!(
                "`side` says {} but `{}` says {}",
                s.as_str(),
                self.label(Field::IsBuyer),
                b.as_str()
            )),
            (Some(s), _) | (None, Some(s)) => Ok(s),
            (None, None) => Err("missing `side` (and no `is_buyer`)".to_string()),
        }
    }
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Side {
    /// Bought the base asset.
    Buy = 1,
    /// Sold the base asset.
    Sell = 2,
}

impl Side {
    /// `buy` or `sell`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

pub(crate) fn parse_side(c: &[u8]) -> Option<Side> {
    match c.to_ascii_lowercase().as_slice() {
        b"buy" | b"b" | b"bid" | b"long" => Some(Side::Buy),
        b"sell" | b"s" | b"ask" | b"short" => Some(Side::Sell),
        _ => None,
    }
}

/// Trims ASCII spaces and tabs (and a stray `\r`).
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\r'))
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t' | b'\r'))
        .map_or(s, |i| i + 1);
    &b[s..e.max(s)]
}

fn shift(d: Decimal, by: i32) -> Option<Decimal> {
    let text = format!("{d}E{by}");
    decimal::parse(text.as_bytes()).ok()
}

pub(crate) fn int_of(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: i64 = 0;
    for &c in digits {
        n = n * 10 + i64::from(c - b'0');
    }
    Some(if neg { -n } else { n })
}

/// Parses a time cell into ms since the Unix epoch (UTC).
///
/// # Errors
/// A message saying what was expected.
pub(crate) fn parse_ts(b: &[u8], fmt: &TsFormat) -> Result<i64, String> {
    let text = || String::from_utf8_lossy(b).into_owned();
    let epoch = |div_or_mul: i64, mul: bool| -> Result<i64, String> {
        if let Some(n) = int_of(b) {
            return Ok(if mul {
                n.saturating_mul(div_or_mul)
            } else {
                n.div_euclid(div_or_mul)
            });
        }
        let d = decimal::parse(b).map_err(|e| e.to_string())?;
        let scaled = if mul {
            d.checked_mul(Decimal::from(div_or_mul))
        } else {
            d.checked_div(Decimal::from(div_or_mul))
        }
        .ok_or_else(|| format!("`{}` is out of range", text()))?;
        i64::try_from(scaled.floor().mantissa() / 10i128.pow(scaled.floor().scale()))
            .map_err(|_| format!("`{}` is out of range", text()))
    };
    match fmt {
        TsFormat::EpochMs => epoch(1, true),
        TsFormat::EpochS => epoch(1000, true),
        TsFormat::EpochUs => epoch(1000, false),
        TsFormat::EpochNs => epoch(1_000_000, false),
        TsFormat::Rfc3339 => {
            let s = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
            s.parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .map_err(|e| format!("`{s}` is not an RFC 3339 time: {e}"))
        }
        TsFormat::Strftime(p) => {
            let s = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
            let bdt = jiff::fmt::strtime::parse(p, s)
                .map_err(|e| format!("`{s}` does not match `{p}`: {e}"))?;
            if bdt.offset().is_some() {
                return bdt
                    .to_timestamp()
                    .map(|t| t.as_millisecond())
                    .map_err(|e| format!("`{s}`: {e}"));
            }
            let dt = bdt.to_datetime().map_err(|e| format!("`{s}`: {e}"))?;
            jiff::tz::Offset::UTC
                .to_timestamp(dt)
                .map(|t| t.as_millisecond())
                .map_err(|e| format!("`{s}`: {e}"))
        }
        TsFormat::Auto => {
            if let Some(n) = int_of(b) {
                let a = n.unsigned_abs();
                return Ok(if a < 100_000_000_000 {
                    n.saturating_mul(1000)
                } else if a < 100_000_000_000_000 {
                    n
                } else if a < 100_000_000_000_000_000 {
                    n.div_euclid(1000)
                } else {
                    n.div_euclid(1_000_000)
                });
            }
            let s = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
            if let Ok(t) = s.parse::<jiff::Timestamp>() {
                return Ok(t.as_millisecond());
            }
            if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
                return jiff::tz::Offset::UTC
                    .to_timestamp(dt)
                    .map(|t| t.as_millisecond())
                    .map_err(|e| format!("`{s}`: {e}"));
            }
            Err(format!(
                "`{s}` is not a time (epoch s/ms/µs/ns, RFC 3339, or YYYY-MM-DD HH:MM:SS UTC)"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_export_spelling() {
        let ms = 1_570_752_011_620;
        assert_eq!(parse_ts(b"1570752011620", &TsFormat::EpochMs), Ok(ms));
        assert_eq!(parse_ts(b"1570752011620", &TsFormat::Auto), Ok(ms));
        assert_eq!(parse_ts(b"1570752011.62", &TsFormat::EpochS), Ok(ms));
        assert_eq!(parse_ts(b"1570752011620000", &TsFormat::Auto), Ok(ms));
        assert_eq!(parse_ts(b"1570752011620999", &TsFormat::EpochUs), Ok(ms));
        assert_eq!(
            parse_ts(b"2019-10-11T00:00:11.620Z", &TsFormat::Rfc3339),
            Ok(ms)
        );
        assert_eq!(
            parse_ts(b"2019-10-11 00:00:11.620", &TsFormat::Auto),
            Ok(ms)
        );
        assert_eq!(
            parse_ts(
                b"2019-10-11 00:00:11",
                &TsFormat::Strftime("%Y-%m-%d %H:%M:%S".into())
            ),
            Ok(ms - 620)
        );
        let e = parse_ts(b"yesterday", &TsFormat::Auto).expect_err("bad");
        assert!(e.contains("is not a time"), "{e}");
        let e = parse_ts(b"", &TsFormat::EpochMs).expect_err("empty");
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn trim_and_sides() {
        assert_eq!(trim(b"  a b\r"), b"a b");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(parse_side(b"BUY"), Some(Side::Buy));
        assert_eq!(parse_side(b"Sell"), Some(Side::Sell));
        assert_eq!(parse_side(b"hold"), None);
    }
}
