//! JSON arrays as freqtrade stores them (plain or gzipped), read element by
//! element without loading the array: trades `[[ts, id, type, side, price,
//! amount, cost], …]`, ccxt trade dicts (`{"id", "timestamp", "info":
//! {"a","f","l"}}`: aggregate trades) and candles `[[ts, o, h, l, c, v], …]`.
//! Rows are counted from 1 in array order.

use std::fmt;
use std::io::BufReader;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;

use crate::engine::{Engine, Planned, Scheme};
use crate::error::Error;
use crate::input::open;
use crate::rows::{Columns, RowFeeder, RowValues, row_loc};
use crate::sink::{parse_time_us, to_us};

/// Reads a JSON array file; returns the rows read.
pub(crate) fn read(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    let r = BufReader::new(open(&item.path)?);
    let mut de = serde_json::Deserializer::from_reader(r);
    let mut st = State {
        e,
        item,
        feeder: None,
        n: 0,
        err: None,
    };
    let res = serde::Deserializer::deserialize_any(&mut de, ArrayVisitor(&mut st));
    if let Some(err) = st.err.take() {
        return Err(err);
    }
    res.map_err(|err| {
        Error::record(
            &item.path,
            st.n + 1,
            format!("expected a JSON array of trades or candles: {err}"),
        )
    })?;
    let n = st.n;
    if let Some(mut f) = st.feeder.take() {
        f.end(st.e, &row_loc(&item.shown, n));
    }
    Ok(n)
}

struct State<'a> {
    e: &'a mut Engine,
    item: &'a Planned,
    feeder: Option<RowFeeder>,
    n: u64,
    err: Option<Error>,
}

struct ArrayVisitor<'s, 'a>(&'s mut State<'a>);

impl<'de> Visitor<'de> for ArrayVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element_seed(Elem)? {
            self.0.n += 1;
            if let Err(e) = element(self.0, &v) {
                self.0.err = Some(e);
                return Ok(());
            }
        }
        Ok(())
    }
}

struct Elem;
impl<'de> DeserializeSeed<'de> for Elem {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(d)
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn time(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().map(to_us),
        Value::String(s) => parse_time_us(s.as_bytes()),
        _ => None,
    }
}

fn element(st: &mut State<'_>, v: &Value) -> Result<(), Error> {
    let at = row_loc(&st.item.shown, st.n);
    let payload = serde_json::to_vec(v).unwrap_or_default();
    let (vals, cols) = match v {
        // Candles: six numbers.
        Value::Array(a) if a.len() == 6 && a.iter().all(|x| x.is_number()) => (
            RowValues {
                time_us: time(a.first()),
                volume: a.get(5).and_then(num),
                ..RowValues::default()
            },
            Columns {
                time: Some(0),
                volume: Some(5),
                ohlc: true,
                ..Columns::default()
            },
        ),
        // freqtrade trades: [ts, id, type, side, price, amount, cost].
        Value::Array(a) if a.len() >= 6 => {
            let id = int(a.get(1));
            (
                RowValues {
                    id,
                    time_us: time(a.first()),
                    id_not_integer: id.is_none() && a.get(1).is_some_and(|x| !x.is_null()),
                    key: id.is_none().then(|| key_text(a.get(1))).flatten(),
                    ..RowValues::default()
                },
                Columns {
                    id: Some(1),
                    time: Some(0),
                    ..Columns::default()
                },
            )
        }
        Value::Object(o) => {
            let info = o.get("info");
            let a = info.and_then(|i| int(i.get("a")));
            let f = info.and_then(|i| int(i.get("f")));
            let l = info.and_then(|i| int(i.get("l")));
            let id = int(o.get("id")).or(a);
            let agg = match (a, f, l) {
                (Some(a), Some(f), Some(l)) if st.e.opts.scheme != Scheme::TradeId => {
                    Some((a, f, l))
                }
                _ => None,
            };
            (
                RowValues {
                    id,
                    agg,
                    time_us: time(o.get("timestamp")),
                    id_not_integer: id.is_none() && o.get("id").is_some_and(|x| !x.is_null()),
                    key: id.is_none().then(|| key_text(o.get("id"))).flatten(),
                    ..RowValues::default()
                },
                Columns {
                    id: Some(0),
                    first: agg.map(|_| 1),
                    last: agg.map(|_| 2),
                    time: Some(3),
                    ..Columns::default()
                },
            )
        }
        _ => {
            return Err(Error::record(
                &st.item.path,
                st.n,
                "expected a trade ([ts, id, type, side, price, amount, cost] or a ccxt trade object) or a candle ([ts, o, h, l, c, v])",
            ));
        }
    };
    if st.feeder.is_none() {
        st.feeder = Some(RowFeeder::for_columns(st.e, st.item, &cols, "trades")?);
    }
    let f = st.feeder.as_mut().expect("set above");
    f.row(st.e, &at, vals, &payload)
}

/// A non-integer ID as text (a string trimmed; another value as JSON).
fn key_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        other => Some(other.to_string()),
    }
}
