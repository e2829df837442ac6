//! cryptofeed raw recordings: one message a line, `<recv_epoch_s>: <json>`;
//! `<url> <-> <ts>` connect lines, `<url> <- <ts>: <json>` sent lines and
//! `<url> -> <ts>: <json>` HTTP responses (Binance depth snapshots with
//! `lastUpdateId`). Binance combined streams (depthUpdate, aggTrade, trade,
//! bookTicker, kline), Coinbase (match/last_match with `trade_id` and
//! `sequence`, ticker, level2) and OKX (books with checksum and
//! `seqId`/`prevSeqId`, trades, tickers) are checked, each message's
//! exchange time against its receive time.

use serde_json::Value;

use crate::depth::OkxMessage;
use crate::engine::{Engine, Planned, Scheme};
use crate::error::Error;
use crate::input::{Lines, open};
use crate::report::Unit;
use crate::sink::{Loc, Meta, parse_time_us};

/// What the scheme lets through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Trades,
    Agg,
    Depth,
    Okx,
    Other,
}

fn allowed(s: Scheme, c: Class) -> bool {
    match s {
        Scheme::Auto => true,
        Scheme::TradeId => c == Class::Trades,
        Scheme::AggTrade => c == Class::Agg,
        Scheme::BinanceDepth => c == Class::Depth,
        Scheme::OkxBook => c == Class::Okx,
        Scheme::Candles | Scheme::TimeGrid => false,
    }
}

/// Reads a recording; returns the lines read.
pub(crate) fn read(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    let name = item
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let venue = name.split('.').next().unwrap_or_default().to_string();
    let mut lines = Lines::new(open(&item.path)?);
    let mut at = Loc {
        file: item.shown.clone(),
        line: 0,
    };
    let mut n = 0;
    while let Some((no, line)) = lines.next_line().map_err(|e| Error::io(&item.path, e))? {
        at.line = no;
        let text = String::from_utf8_lossy(line);
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        n += 1;
        if t.starts_with("wss://")
            || t.starts_with("ws://")
            || t.starts_with("https://")
            || t.starts_with("http://")
        {
            if let Some((url, rest)) = t.split_once(" -> ")
                && let Some((_, json)) = rest.split_once(": ")
            {
                http_response(e, &venue, url, json);
            }
            continue;
        }
        let Some((recv, json)) = t.split_once(": ") else {
            return Err(Error::record(
                &item.path,
                at.line,
                "expected `<receive time>: <json>`",
            ));
        };
        let recv_us = parse_time_us(recv.as_bytes()).ok_or_else(|| {
            Error::record(
                &item.path,
                at.line,
                format!("expected a receive time in epoch seconds, found `{recv}`"),
            )
        })?;
        let v: Value = serde_json::from_str(json).map_err(|err| {
            Error::record(
                &item.path,
                at.line,
                format!("expected a JSON message after the receive time: {err}"),
            )
        })?;
        message(e, &venue, &at, recv_us, &v, json.as_bytes());
    }
    Ok(n)
}

fn http_response(e: &mut Engine, venue: &str, url: &str, json: &str) {
    if !url.contains("depth") {
        return;
    }
    let Some(sym) = url
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("symbol="))
    else {
        return;
    };
    let Ok(v) = serde_json::from_str::<Value>(json) else {
        return;
    };
    if let Some(l) = v.get("lastUpdateId").and_then(Value::as_u64) {
        e.snapshot(venue, sym, l);
    }
}

fn u(v: &Value, k: &str) -> Option<u64> {
    match v.get(k)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn i(v: &Value, k: &str) -> Option<i64> {
    match v.get(k)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn message(e: &mut Engine, venue: &str, at: &Loc, recv_us: i64, v: &Value, raw: &[u8]) {
    if let Some(data) = v.get("data").filter(|_| v.get("stream").is_some()) {
        let stream = s(v, "stream").unwrap_or_default();
        binance(e, venue, at, recv_us, stream, data);
    } else if v.get("e").is_some() && v.get("s").is_some() {
        binance(e, venue, at, recv_us, "", v);
    } else if let Some(ty) = s(v, "type") {
        coinbase(e, venue, at, recv_us, ty, v, raw);
    } else if let (Some(arg), Some(data)) = (v.get("arg"), v.get("data")) {
        okx(e, venue, at, recv_us, arg, data, s(v, "action"));
    }
}

fn meta(venue: &str, sym: Option<&str>, stream: &str) -> Meta {
    Meta {
        venue: venue.to_string(),
        symbol: sym.map(str::to_string),
        stream: stream.to_string(),
    }
}

fn binance(e: &mut Engine, venue: &str, at: &Loc, recv_us: i64, stream: &str, d: &Value) {
    let sym = s(d, "s");
    let ev = s(d, "e").unwrap_or(if d.get("b").is_some() && d.get("u").is_some() {
        "bookTicker"
    } else {
        ""
    });
    let payload = serde_json::to_vec(d).unwrap_or_default();
    let exch = i(d, "E").map(|t| t * 1000);
    let m = |name: &str| meta(venue, sym, name);
    match ev {
        "depthUpdate" if allowed(e.opts.scheme, Class::Depth) => {
            let mm = m("depth");
            if let (Some(first), Some(last)) = (u(d, "U"), u(d, "u")) {
                let pu = u(d, "pu");
                let (ck, sink) = e.depth(&mm);
                ck.event(sink, at, first, last, pu, &payload);
            }
            clock(e, &mm, at, exch, recv_us);
        }
        "aggTrade" if allowed(e.opts.scheme, Class::Agg) => {
            let mm = m("aggTrades");
            if let (Some(a), Some(f), Some(l)) = (u(d, "a"), u(d, "f"), u(d, "l")) {
                let t = i(d, "T").map(|t| t * 1000);
                let (ck, sink) = e.id(&mm, Unit::AggTradeId);
                ck.record_agg(sink, at, (a, f, l), t, &payload);
            }
            clock(e, &mm, at, exch, recv_us);
        }
        "trade" if allowed(e.opts.scheme, Class::Trades) => {
            let mm = m("trades");
            if let Some(t) = u(d, "t") {
                let tt = i(d, "T").map(|t| t * 1000);
                let (ck, sink) = e.id(&mm, Unit::TradeId);
                ck.record(sink, at, t, tt, &payload);
            }
            clock(e, &mm, at, exch, recv_us);
        }
        "bookTicker" if allowed(e.opts.scheme, Class::Other) => {
            let mm = m("bookTicker");
            if let Some(id) = u(d, "u") {
                let (ck, sink) = e.mono(&mm, Unit::UpdateId);
                ck.record(sink, at, id, &payload);
            }
            clock(e, &mm, at, exch, recv_us);
        }
        "kline" | "continuous_kline" if allowed(e.opts.scheme, Class::Other) => {
            let k = d.get("k").unwrap_or(&Value::Null);
            let iv = s(k, "i").and_then(crate::grid::parse_interval);
            let mm = m(&format!("klines_{}", s(k, "i").unwrap_or("?")));
            if let (Some(iv), Some(t)) = (iv, i(k, "t")) {
                let (g, sink) = e.grid(&mm, iv, true, None);
                g.record(sink, at, t * 1000, None, &payload);
            }
            clock(e, &mm, at, exch, recv_us);
        }
        _ if allowed(e.opts.scheme, Class::Other) && !ev.is_empty() => {
            let mm = m(if stream.is_empty() { ev } else { stream });
            e.no_check(
                &mm,
                at,
                &format!("`{ev}` messages carry no sequence to check; receive time checked"),
            );
            clock(e, &mm, at, exch, recv_us);
        }
        _ => {}
    }
}

fn clock(e: &mut Engine, m: &Meta, at: &Loc, exch_us: Option<i64>, recv_us: i64) {
    if let Some(x) = exch_us {
        e.clock(m, at, x, recv_us);
        e.span(m, x);
    }
}

fn coinbase(e: &mut Engine, venue: &str, at: &Loc, recv_us: i64, ty: &str, v: &Value, raw: &[u8]) {
    let product = s(v, "product_id");
    let exch = s(v, "time").and_then(|t| parse_time_us(t.as_bytes()));
    match ty {
        "match" | "last_match" if allowed(e.opts.scheme, Class::Trades) => {
            let mm = meta(venue, product, "matches");
            if let Some(t) = u(v, "trade_id") {
                let (ck, sink) = e.id(&mm, Unit::TradeId);
                ck.record(sink, at, t, exch, raw);
            }
            if let Some(sq) = u(v, "sequence") {
                let (ck, sink) = e.mono(&meta(venue, product, "matches.sequence"), Unit::Sequence);
                ck.record(sink, at, sq, raw);
            }
            if ty == "match" {
                clock(e, &mm, at, exch, recv_us);
            }
        }
        "ticker" if allowed(e.opts.scheme, Class::Other) => {
            let mm = meta(venue, product, "ticker");
            if let Some(sq) = u(v, "sequence") {
                let (ck, sink) = e.mono(&mm, Unit::Sequence);
                ck.record(sink, at, sq, raw);
            }
            clock(e, &mm, at, exch, recv_us);
        }
        "l2update" | "snapshot" if allowed(e.opts.scheme, Class::Other) => {
            let mm = meta(venue, product, "level2");
            e.no_check(&mm, at, "level2 messages carry no sequence number or checksum: a lost update cannot be detected (the `full` channel's `sequence` or `level2` with a sequence can be); receive time checked");
            if ty == "l2update" {
                clock(e, &mm, at, exch, recv_us);
            }
        }
        _ => {}
    }
}

fn okx(
    e: &mut Engine,
    venue: &str,
    at: &Loc,
    recv_us: i64,
    arg: &Value,
    data: &Value,
    action: Option<&str>,
) {
    let channel = s(arg, "channel").unwrap_or_default();
    let inst = s(arg, "instId");
    let Some(items) = data.as_array() else { return };
    if channel.starts_with("books") && allowed(e.opts.scheme, Class::Okx) {
        let mm = meta(venue, inst, channel);
        for d in items {
            let levels = |k: &str| -> Vec<(&str, &str)> {
                d.get(k)
                    .and_then(Value::as_array)
                    .map(|ls| {
                        ls.iter()
                            .filter_map(|l| Some((l.get(0)?.as_str()?, l.get(1)?.as_str()?)))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let ts = i(d, "ts").map(|t| t * 1000);
            // `books5`/`bbo-tbt` have no action: every message is a whole book.
            let snapshot = action.is_none_or(|a| a == "snapshot");
            let m = OkxMessage {
                snapshot,
                bids: levels("bids"),
                asks: levels("asks"),
                checksum: i(d, "checksum"),
                seq: i(d, "seqId").zip(i(d, "prevSeqId")),
                ts_us: ts,
            };
            let (ck, sink) = e.okx(&mm);
            ck.message(sink, at, &m);
            clock(e, &mm, at, ts, recv_us);
        }
    } else if channel == "trades" && allowed(e.opts.scheme, Class::Trades) {
        for d in items {
            let mm = meta(venue, s(d, "instId").or(inst), "trades");
            if let Some(id) = u(d, "tradeId") {
                let payload = serde_json::to_vec(d).unwrap_or_default();
                let (ck, sink) = e.mono(&mm, Unit::TradeId);
                ck.record(sink, at, id, &payload);
            }
            clock(e, &mm, at, i(d, "ts").map(|t| t * 1000), recv_us);
        }
    } else if allowed(e.opts.scheme, Class::Other) {
        let mm = meta(venue, inst, channel);
        e.no_check(
            &mm,
            at,
            &format!(
                "OKX `{channel}` messages carry no sequence or checksum; receive time checked"
            ),
        );
        for d in items {
            clock(e, &mm, at, i(d, "ts").map(|t| t * 1000), recv_us);
        }
    }
}
