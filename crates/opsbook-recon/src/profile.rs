//! Column-mapping profiles: how an export's columns become fills, orders,
//! positions, balances or ledger movements (D-DATA-RECON).
//!
//! A profile is a YAML file (in an SSOT: `recon/profiles/<name>.yaml`) whose
//! shape is the JSON Schema contract `contracts/recon-profile.schema.json`
//! of this crate ([`SCHEMA`]). The built-in formats (`opsbook`,
//! `binance-mytrades`, `binance-statement`, `coinbase-ledger`, …) are
//! profiles too, embedded from `profiles/`, so every format goes through one
//! mapping engine.
//!
//! ```yaml
//! profile: bitmex-executions
//! kind: fills
//! exchange: bitmex            # a constant when the file has no column
//! fields:
//!   symbol: symbol
//!   trade_id: execID
//!   side: {column: side}
//!   qty: lastQty
//!   ts: {column: transactTime, format: rfc3339}
//! filter:
//!   - {column: execType, equals: [Trade]}
//! ```
//! A field is a column name (a CSV header cell or a JSON key), a JSON pointer
//! (`/info/p`, `/0` — in a headerless CSV `/N` is the N-th column, from 0),
//! or an object: `column` (or `columns`, summed), `const`, `format` (time:
//! `epoch_ms`, `epoch_s`, `epoch_us`, `epoch_ns`, `rfc3339`, `auto`, or a
//! `strftime` pattern read as UTC), `map` (cell text → value), `default`,
//! `shift` (multiply by 10^shift, exactly), `negate`, `optional`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The JSON Schema (draft 2020-12) a profile must satisfy.
pub const SCHEMA: &str = include_str!("../contracts/recon-profile.schema.json");

/// What one row of an input is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// One execution: `exchange, symbol, trade_id, order_id, side, qty, price, fee, fee_asset, ts`.
    Fills,
    /// One order's state: quantities, executed quantity, average price, status.
    Orders,
    /// One position snapshot per instrument.
    Positions,
    /// One balance snapshot per asset (and account).
    Balances,
    /// One balance movement (statement or ledger line).
    Ledger,
}

impl RecordKind {
    /// The kind's name as written in profiles.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Fills => "fills",
            RecordKind::Orders => "orders",
            RecordKind::Positions => "positions",
            RecordKind::Balances => "balances",
            RecordKind::Ledger => "ledger",
        }
    }

    /// Fields a profile of this kind may map.
    #[must_use]
    pub fn fields(self) -> &'static [Field] {
        use Field as F;
        match self {
            RecordKind::Fills => &[
                F::Exchange,
                F::Symbol,
                F::TradeId,
                F::OrderId,
                F::Side,
                F::IsBuyer,
                F::Qty,
                F::Price,
                F::Fee,
                F::FeeAsset,
                F::Ts,
            ],
            RecordKind::Orders => &[
                F::Exchange,
                F::Symbol,
                F::OrderId,
                F::Side,
                F::Qty,
                F::Price,
                F::ExecutedQty,
                F::AvgPrice,
                F::CumQuote,
                F::Status,
                F::Ts,
                F::UpdateTs,
            ],
            RecordKind::Positions => &[
                F::Exchange,
                F::Symbol,
                F::Qty,
                F::Side,
                F::OpeningQty,
                F::OpeningTs,
                F::Ts,
            ],
            RecordKind::Balances => &[
                F::Exchange,
                F::Account,
                F::Asset,
                F::Amount,
                F::Opening,
                F::OpeningTs,
                F::Ts,
            ],
            RecordKind::Ledger => &[
                F::Exchange,
                F::Account,
                F::Asset,
                F::Amount,
                F::Category,
                F::Operation,
                F::Balance,
                F::TransferId,
                F::TradeId,
                F::OrderId,
                F::Status,
                F::Ts,
                F::Remark,
            ],
        }
    }

    /// Fields a profile of this kind must map (`side` or `is_buyer` for fills).
    #[must_use]
    pub fn required(self) -> &'static [Field] {
        use Field as F;
        match self {
            RecordKind::Fills => &[F::Symbol, F::TradeId, F::Qty, F::Price, F::Ts],
            RecordKind::Orders => &[F::Symbol, F::OrderId],
            RecordKind::Positions => &[F::Symbol, F::Qty],
            RecordKind::Balances => &[F::Asset, F::Amount],
            RecordKind::Ledger => &[F::Asset, F::Amount],
        }
    }
}

macro_rules! fields {
    ($($v:ident = $s:literal),* $(,)?) => {
        /// A logical field of a record (the names profiles use).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Field { $($v),* }
        impl Field {
            /// All fields.
            pub const ALL: &'static [Field] = &[$(Field::$v),*];
            /// The field's name in profiles and reports.
            #[must_use]
            pub fn as_str(self) -> &'static str { match self { $(Field::$v => $s),* } }
            /// The field of that name.
            #[must_use]
            pub fn parse(s: &str) -> Option<Field> { match s { $($s => Some(Field::$v),)* _ => None } }
        }
    };
}

fields! {
    Exchange = "exchange", Symbol = "symbol", TradeId = "trade_id", OrderId = "order_id",
    Side = "side", IsBuyer = "is_buyer", Qty = "qty", Price = "price", Fee = "fee",
    FeeAsset = "fee_asset", Ts = "ts", ExecutedQty = "executed_qty", AvgPrice = "avg_price",
    CumQuote = "cum_quote", Status = "status", UpdateTs = "update_ts", OpeningQty = "opening_qty",
    OpeningTs = "opening_ts", Account = "account", Asset = "asset", Amount = "amount",
    Opening = "opening", Category = "category", Operation = "operation", Balance = "balance",
    TransferId = "transfer_id", Remark = "remark",
}

/// How a time cell is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TsFormat {
    /// Integer epoch by magnitude (s, ms, µs or ns), RFC 3339, or
    /// `YYYY-MM-DD HH:MM:SS[.fff]` read as UTC.
    Auto,
    /// Milliseconds since the Unix epoch.
    EpochMs,
    /// Seconds since the Unix epoch (a fraction allowed).
    EpochS,
    /// Microseconds since the Unix epoch.
    EpochUs,
    /// Nanoseconds since the Unix epoch.
    EpochNs,
    /// RFC 3339 (`2024-11-25T10:35:00.789Z`).
    Rfc3339,
    /// A `strftime` pattern, read as UTC unless it carries an offset.
    Strftime(String),
}

impl TsFormat {
    fn parse(s: &str) -> Option<TsFormat> {
        Some(match s {
            "auto" => TsFormat::Auto,
            "epoch_ms" => TsFormat::EpochMs,
            "epoch_s" => TsFormat::EpochS,
            "epoch_us" => TsFormat::EpochUs,
            "epoch_ns" => TsFormat::EpochNs,
            "rfc3339" => TsFormat::Rfc3339,
            p if p.contains('%') => TsFormat::Strftime(p.to_string()),
            _ => return None,
        })
    }
}

/// Where a column is found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Col {
    /// A header cell or a JSON object key.
    Name(String),
    /// A JSON pointer (`/info/p`); in a headerless CSV `/N` is column N.
    Pointer(String),
}

impl Col {
    fn parse(s: &str) -> Col {
        if s.starts_with('/') {
            Col::Pointer(s.to_string())
        } else {
            Col::Name(s.to_string())
        }
    }

    /// The column as written in the profile.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Col::Name(s) | Col::Pointer(s) => s,
        }
    }
}

/// How one field is read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSpec {
    /// Columns read (several are summed, for decimals).
    pub columns: Vec<Col>,
    /// A constant value instead of a column.
    pub constant: Option<String>,
    /// Time format (time fields).
    pub format: Option<TsFormat>,
    /// Cell text → value (sides, statuses, categories).
    pub map: BTreeMap<String, String>,
    /// Value for a cell text the map does not know (else the text itself).
    pub default: Option<String>,
    /// Multiply decimals by 10^shift (e.g. `-8` for satoshis to BTC).
    pub shift: i32,
    /// Negate decimals.
    pub negate: bool,
    /// A missing column (in the header) is not an error.
    pub optional: bool,
}

/// A row filter: keep rows whose column is one of the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The column tested.
    pub column: Col,
    /// Values that keep the row.
    pub equals: Vec<String>,
}

/// How the bytes of the file are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Decided from the first non-blank byte: `[` JSON, `{` JSON lines, else CSV.
    Auto,
    /// Delimited text with a header line.
    Csv,
    /// A JSON array of objects (or of arrays).
    Json,
    /// One JSON object per line.
    Jsonl,
}

/// A loaded, checked profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name.
    pub name: String,
    /// Where it came from (`builtin:<name>` or a path).
    pub origin: String,
    /// SHA-256 of the profile file (`None` for a built-in one).
    pub sha256: Option<String>,
    /// What a row is.
    pub kind: RecordKind,
    /// File layout.
    pub layout: Layout,
    /// Constant exchange name when the file has no exchange column.
    pub exchange: Option<String>,
    /// 1-based header line; `None` = find it (preamble lines are skipped);
    /// `Some(0)` = no header.
    pub header_line: Option<usize>,
    /// CSV delimiter byte.
    pub delimiter: u8,
    /// Fields.
    pub fields: BTreeMap<Field, FieldSpec>,
    /// Row filters (all must pass).
    pub filters: Vec<Filter>,
}

/// Why a profile cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct ProfileError {
    /// The profile file (or `builtin:<name>`).
    pub origin: String,
    /// What is wrong, with the line when known.
    pub message: String,
}

fn perr(origin: &str, message: impl Into<String>) -> ProfileError {
    ProfileError {
        origin: origin.to_string(),
        message: message.into(),
    }
}

fn validator() -> Result<jsonschema::Validator, String> {
    let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
    jsonschema::draft202012::options()
        .build(&schema)
        .map_err(|e| e.to_string())
}

impl Profile {
    /// Loads a profile file (UTF-8/UTF-16, BOM, CRLF accepted).
    ///
    /// # Errors
    /// [`ProfileError`] naming the file, and the line of a YAML error or of
    /// the node that breaks the contract.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| perr(&origin, format!("cannot read: {e}")))?;
        let sha = crate::input::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        let text = opsbook_core::text::decode(&bytes).map_err(|e| perr(&origin, e.to_string()))?;
        let mut p = Profile::parse(&text.text, &origin)?;
        p.sha256 = Some(sha);
        Ok(p)
    }

    /// Parses profile YAML; `origin` names it in errors.
    ///
    /// # Errors
    /// As [`Profile::load`].
    pub fn parse(yaml: &str, origin: &str) -> Result<Profile, ProfileError> {
        let doc = opsbook_core::yaml::parse(yaml).map_err(|e| perr(origin, e.to_string()))?;
        let v = validator().map_err(|e| perr(origin, format!("profile contract: {e}")))?;
        if let Some(e) = v.iter_errors(&doc.value).next() {
            let ptr = e.instance_path().to_string();
            let pos = doc.pos_of(&ptr);
            return Err(perr(
                origin,
                format!(
                    "line {}: {} (at `{}`; contract recon-profile)",
                    pos.line,
                    e,
                    if ptr.is_empty() { "/" } else { &ptr }
                ),
            ));
        }
        let line_of = |ptr: &str| doc.pos_of(ptr).line;
        let obj = doc.value.as_object().cloned().unwrap_or_default();
        let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        let name = s("profile").unwrap_or_default();
        let kind = match s("kind").as_deref() {
            Some("fills") => RecordKind::Fills,
            Some("orders") => RecordKind::Orders,
            Some("positions") => RecordKind::Positions,
            Some("balances") => RecordKind::Balances,
            _ => RecordKind::Ledger,
        };
        let layout = match s("layout").as_deref() {
            Some("csv") => Layout::Csv,
            Some("json") => Layout::Json,
            Some("jsonl") => Layout::Jsonl,
            _ => Layout::Auto,
        };
        let header_line = match obj.get("header_line") {
            Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
            _ => None,
        };
        let delimiter = s("delimiter")
            .and_then(|d| d.bytes().next())
            .unwrap_or(b',');
        let mut fields = BTreeMap::new();
        if let Some(Value::Object(fs)) = obj.get("fields") {
            for (k, spec) in fs {
                let ptr = format!("/fields/{k}");
                let field = Field::parse(k)
                    .filter(|f| kind.fields().contains(f))
                    .ok_or_else(|| {
                        let known: Vec<_> = kind.fields().iter().map(|f| f.as_str()).collect();
                        perr(
                            origin,
                            format!(
                                "line {}: `{k}` is not a field of {} records (known: {})",
                                line_of(&ptr),
                                kind.as_str(),
                                known.join(", ")
                            ),
                        )
                    })?;
                let fs = field_spec(spec).map_err(|m| {
                    perr(origin, format!("line {}: field `{k}`: {m}", line_of(&ptr)))
                })?;
                fields.insert(field, fs);
            }
        }
        for f in kind.required() {
            if !fields.contains_key(f) {
                return Err(perr(
                    origin,
                    format!(
                        "line {}: {} profiles must map `{}`",
                        line_of("/fields"),
                        kind.as_str(),
                        f.as_str()
                    ),
                ));
            }
        }
        if kind == RecordKind::Fills
            && !fields.contains_key(&Field::Side)
            && !fields.contains_key(&Field::IsBuyer)
        {
            return Err(perr(
                origin,
                format!(
                    "line {}: fills profiles must map `side` or `is_buyer`",
                    line_of("/fields")
                ),
            ));
        }
        let mut filters = Vec::new();
        if let Some(Value::Array(fl)) = obj.get("filter") {
            for f in fl {
                let column = Col::parse(f.get("column").and_then(Value::as_str).unwrap_or(""));
                let equals = match f.get("equals") {
                    Some(Value::Array(a)) => a.iter().map(scalar_text).collect(),
                    Some(v) => vec![scalar_text(v)],
                    None => Vec::new(),
                };
                filters.push(Filter { column, equals });
            }
        }
        Ok(Profile {
            name,
            origin: origin.to_string(),
            sha256: None,
            kind,
            layout,
            exchange: s("exchange"),
            header_line,
            delimiter,
            fields,
            filters,
        })
    }

    /// Columns (names) that must be present in a CSV header.
    #[must_use]
    pub fn required_columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .fields
            .values()
            .filter(|s| !s.optional)
            .flat_map(|s| s.columns.iter())
            .filter_map(|c| match c {
                Col::Name(n) => Some(n.as_str()),
                Col::Pointer(_) => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn field_spec(v: &Value) -> Result<FieldSpec, String> {
    let mut fs = FieldSpec::default();
    match v {
        Value::String(s) => fs.columns.push(Col::parse(s)),
        Value::Object(o) => {
            if let Some(c) = o.get("column").and_then(Value::as_str) {
                fs.columns.push(Col::parse(c));
            }
            if let Some(Value::Array(cs)) = o.get("columns") {
                fs.columns
                    .extend(cs.iter().filter_map(Value::as_str).map(Col::parse));
            }
            fs.constant = o.get("const").map(scalar_text);
            if let Some(f) = o.get("format").and_then(Value::as_str) {
                fs.format = Some(TsFormat::parse(f).ok_or_else(|| {
                    format!("unknown time format `{f}` (epoch_ms, epoch_s, epoch_us, epoch_ns, rfc3339, auto, or a strftime pattern with %)")
                })?);
            }
            if let Some(Value::Object(m)) = o.get("map") {
                fs.map = m.iter().map(|(k, v)| (k.clone(), scalar_text(v))).collect();
            }
            fs.default = o.get("default").map(scalar_text);
            fs.shift = o
                .get("shift")
                .and_then(Value::as_i64)
                .map_or(0, |x| x.clamp(-28, 28) as i32);
            fs.negate = o.get("negate").and_then(Value::as_bool).unwrap_or(false);
            fs.optional = o.get("optional").and_then(Value::as_bool).unwrap_or(false);
            if fs.columns.is_empty() && fs.constant.is_none() {
                return Err("needs `column`, `columns` or `const`".into());
            }
        }
        _ => return Err("expected a column name or an object".into()),
    }
    Ok(fs)
}

/// Built-in profiles, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("opsbook", include_str!("../profiles/opsbook.yaml")),
    (
        "opsbook-orders",
        include_str!("../profiles/opsbook-orders.yaml"),
    ),
    (
        "opsbook-positions",
        include_str!("../profiles/opsbook-positions.yaml"),
    ),
    (
        "opsbook-balances",
        include_str!("../profiles/opsbook-balances.yaml"),
    ),
    (
        "opsbook-ledger",
        include_str!("../profiles/opsbook-ledger.yaml"),
    ),
    (
        "binance-mytrades",
        include_str!("../profiles/binance-mytrades.yaml"),
    ),
    (
        "binance-orders",
        include_str!("../profiles/binance-orders.yaml"),
    ),
    (
        "binance-statement",
        include_str!("../profiles/binance-statement.yaml"),
    ),
    (
        "coinbase-ledger",
        include_str!("../profiles/coinbase-ledger.yaml"),
    ),
    (
        "bitmex-executions",
        include_str!("../profiles/bitmex-executions.yaml"),
    ),
    (
        "bitmex-orders",
        include_str!("../profiles/bitmex-orders.yaml"),
    ),
    (
        "bitmex-positions",
        include_str!("../profiles/bitmex-positions.yaml"),
    ),
    (
        "bitmex-wallet",
        include_str!("../profiles/bitmex-wallet.yaml"),
    ),
];

/// A built-in profile by name.
///
/// # Errors
/// An unknown name (the error lists the known ones).
pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
    let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let known: Vec<_> = BUILTIN.iter().map(|(n, _)| *n).collect();
        perr(
            name,
            format!(
                "unknown format (built-in: {}; or a profile file .yaml)",
                known.join(", ")
            ),
        )
    })?;
    Profile::parse(text, &format!("builtin:{name}"))
}

/// A format given on a command line: a built-in name or a profile path.
///
/// `recon/profiles/<name>.yaml` under `ssot_root` is tried for a bare name
/// that is not built in.
///
/// # Errors
/// [`ProfileError`] for an unknown name or an unusable profile file.
pub fn resolve(spec: &str, ssot_root: Option<&Path>) -> Result<Profile, ProfileError> {
    if BUILTIN.iter().any(|(n, _)| *n == spec) {
        return builtin(spec);
    }
    let p = PathBuf::from(spec);
    if spec.ends_with(".yaml") || spec.ends_with(".yml") || p.components().count() > 1 {
        return Profile::load(&p);
    }
    if let Some(root) = ssot_root {
        let candidate = root
            .join("recon")
            .join("profiles")
            .join(format!("{spec}.yaml"));
        if candidate.is_file() {
            return Profile::load(&candidate);
        }
    }
    builtin(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_satisfies_the_contract() {
        for (name, _) in BUILTIN {
            let p = builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&p.name, name);
        }
    }

    #[test]
    fn errors_name_the_line_and_what_is_expected() {
        let e = Profile::parse(
            "profile: x\nkind: fills\nfields:\n  symbol: s\n  bogus: b\n",
            "p.yaml",
        )
        .expect_err("unknown field");
        assert!(
            e.message
                .starts_with("line 5: `bogus` is not a field of fills"),
            "{e}"
        );
        let e =
            Profile::parse("profile: x\nkind: fillz\nfields: {}\n", "p.yaml").expect_err("kind");
        assert!(e.message.starts_with("line 2:"), "{e}");
        assert!(e.message.contains("contract recon-profile"), "{e}");
        let e = Profile::parse(
            "profile: x\nkind: fills\nfields:\n  symbol: s\n  trade_id: t\n  qty: q\n  price: p\n  ts: t\n",
            "p.yaml",
        )
        .expect_err("side");
        assert!(e.message.contains("`side` or `is_buyer`"), "{e}");
        let e = Profile::parse(
            "profile: x\nkind: fills\nfields:\n  symbol: s\n  side: x\n  trade_id: t\n  qty: q\n  price: p\n  ts: {column: t, format: weird}\n",
            "p.yaml",
        )
        .expect_err("format");
        assert!(
            e.message
                .contains("line 9: field `ts`: unknown time format `weird`"),
            "{e}"
        );
        let e = builtin("nope").expect_err("unknown");
        assert!(e.message.contains("binance-mytrades"), "{e}");
    }
}
