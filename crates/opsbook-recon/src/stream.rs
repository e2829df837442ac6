//! Streaming an input into records: CSV and JSON lines in parallel blocks,
//! JSON arrays element by element, in file order, in bounded memory.
//!
//! A reader thread cuts the decoded bytes into blocks at record boundaries
//! (the last `\n` of a block without quotes; for a block with quotes, the
//! last record end as `csv_core` sees it, so a quoted field may hold line
//! breaks), hashes nothing itself (the [`crate::input`] reader does) and
//! counts lines; workers parse blocks with the `csv` crate and build records
//! through a [`crate::mapping::Plan`]; the caller consumes the batches in
//! file order. At most `IN_FLIGHT` blocks exist at once, whatever the file size.
//!
//! The CSV header is found before the blocks start: a profile's
//! `header_line`, or the first line (of the first 200) that holds every
//! required column — preamble lines before it are skipped and reported.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::value::RawValue;

use crate::batch::{Batch, Build, StreamError, serr};
use crate::ids::{LocalNames, Names};
use crate::input::{self, DigestHandle, InputDigest, Stored};
use crate::mapping::Plan;
use crate::profile::{Layout, Profile};
use crate::rows::{Lines, Sink, count_newlines, csv_block, json_array, jsonl_block, split_block};

/// Tuning of the reader (tests use tiny blocks to exercise the cuts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoOptions {
    /// Parser threads (0 = one per available core).
    pub workers: usize,
    /// Target block size in bytes.
    pub block_bytes: usize,
}

impl Default for IoOptions {
    fn default() -> Self {
        IoOptions {
            workers: 0,
            block_bytes: 4 << 20,
        }
    }
}

const IN_FLIGHT: usize = 8;
const HEADER_SEARCH_LINES: usize = 200;

/// What streaming one input found out about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamInfo {
    pub digest: InputDigest,
    pub layout: Layout,
    pub stored: &'static str,
    /// Lines skipped before the header.
    pub preamble: usize,
    /// 1-based header line (0: none).
    pub header_line: usize,
}

/// Streams `path` through `builder`, then `par` (in the worker, per batch),
/// then `seq` (in order, on the calling thread).
#[allow(clippy::too_many_arguments)]
pub(crate) fn stream<B, P, S>(
    path: &std::path::Path,
    profile: &Profile,
    file: u8,
    names: &Names,
    io: IoOptions,
    builder: &B,
    par: &P,
    seq: &mut S,
) -> Result<StreamInfo, StreamError>
where
    B: Build,
    P: Fn(&mut Batch<B::Out>) + Sync,
    S: FnMut(Batch<B::Out>) -> Result<(), StreamError>,
{
    let opened = input::open(path).map_err(|m| serr(None, m))?;
    let digest = opened.handle();
    let stored = match opened.stored {
        Stored::Utf8 => "utf-8",
        Stored::Utf8Bom => "utf-8-bom",
        Stored::Utf16 => "utf-16",
        Stored::Gzip => "gzip",
    };
    let mut reader = opened.reader;
    // Peek the first bytes to choose the layout.
    let mut head = Vec::with_capacity(64 << 10);
    fill_to(&mut reader, &mut head, 64 << 10)
        .map_err(|e| serr(None, format!("cannot read: {e}")))?;
    let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
    let layout = match profile.layout {
        Layout::Auto => match first {
            Some(b'[') => Layout::Json,
            Some(b'{') => {
                let line_end = memchr::memchr(b'\n', &head).unwrap_or(head.len());
                if serde_json::from_slice::<&RawValue>(&head[..line_end]).is_ok() {
                    Layout::Jsonl
                } else {
                    Layout::Json
                }
            }
            _ => Layout::Csv,
        },
        l => l,
    };
    let workers = if io.workers == 0 {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    } else {
        io.workers
    };
    let (preamble, header_line) = match layout {
        Layout::Csv | Layout::Auto => {
            let h = find_header(&mut reader, head, profile)?;
            let plan = Plan::for_header(profile, h.header.as_deref()).map_err(|missing| {
                serr(
                    Some(h.header_line as u64),
                    format!(
                        "the header has no column `{missing}` (profile `{}`; header: {})",
                        profile.name,
                        h.header
                            .as_ref()
                            .map_or("none".to_string(), |c| c.join(","))
                    ),
                )
            })?;
            let sink = Sink {
                plan: &plan,
                names,
                builder,
                file,
                header_len: h.header.as_ref().map_or(0, Vec::len),
            };
            let delim = profile.delimiter;
            let work = |block: &[u8], first_line: u64, quote_free: bool, local: &mut LocalNames| {
                let mut b = split_block(block, first_line, quote_free, delim, &sink, local)
                    .unwrap_or_else(|| csv_block(block, first_line, delim, &sink, local));
                par(&mut b);
                b
            };
            run_blocks(
                reader,
                h.rest,
                h.first_data_line,
                workers,
                io.block_bytes,
                delim,
                &work,
                seq,
            )?;
            (h.header_line.saturating_sub(1), h.header_line)
        }
        Layout::Jsonl => {
            let plan = Plan::for_json(profile);
            let sink = json_sink(&plan, names, builder, file);
            let work = |block: &[u8], first_line: u64, _: bool, local: &mut LocalNames| {
                let mut b = jsonl_block(block, first_line, &sink, local);
                par(&mut b);
                b
            };
            run_blocks(reader, head, 1, workers, io.block_bytes, b'\n', &work, seq)?;
            (0, 0)
        }
        Layout::Json => {
            let plan = Plan::for_json(profile);
            json_array(
                reader,
                head,
                &json_sink(&plan, names, builder, file),
                par,
                seq,
            )?;
            (0, 0)
        }
    };
    let digest = digest_of(&digest)?;
    Ok(StreamInfo {
        digest,
        layout,
        stored,
        preamble,
        header_line,
    })
}

fn json_sink<'a, B: Build>(
    plan: &'a Plan,
    names: &'a Names,
    builder: &'a B,
    file: u8,
) -> Sink<'a, B> {
    Sink {
        plan,
        names,
        builder,
        file,
        header_len: 0,
    }
}

fn digest_of(h: &DigestHandle) -> Result<InputDigest, StreamError> {
    h.get()
        .ok_or_else(|| serr(None, "the input was not read to its end"))
}

fn fill_to(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    let start = buf.len();
    buf.resize(start + want, 0);
    let mut got = start;
    let mut eof = false;
    while got < buf.len() {
        let n = r.read(&mut buf[got..])?;
        if n == 0 {
            eof = true;
            break;
        }
        got += n;
    }
    buf.truncate(got);
    Ok(eof)
}

struct Header {
    header: Option<Vec<String>>,
    header_line: usize,
    first_data_line: u64,
    rest: Vec<u8>,
}

fn find_header(
    reader: &mut dyn Read,
    mut head: Vec<u8>,
    profile: &Profile,
) -> Result<Header, StreamError> {
    // Enough lines to search.
    loop {
        let lines = head.iter().filter(|b| **b == b'\n').count();
        if lines > HEADER_SEARCH_LINES || head.len() > (16 << 20) {
            break;
        }
        if fill_to(reader, &mut head, 256 << 10)
            .map_err(|e| serr(None, format!("cannot read: {e}")))?
        {
            break;
        }
    }
    if profile.header_line == Some(0) {
        return Ok(Header {
            header: None,
            header_line: 0,
            first_data_line: 1,
            rest: head,
        });
    }
    let required = profile.required_columns();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(profile.delimiter)
        .from_reader(&head[..]);
    let mut rec = csv::ByteRecord::new();
    let mut first_line_text = None;
    let mut idx = 0usize;
    let mut lines = Lines::new(&head, 1);
    loop {
        let pos_before = rdr.position().clone();
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(serr(Some(pos_before.line()), format!("not CSV: {e}"))),
        }
        idx += 1;
        let start = rec
            .position()
            .map_or(pos_before.byte(), csv::Position::byte);
        let line = lines.at(start) as usize;
        let cells: Vec<String> = rec
            .iter()
            .map(|c| String::from_utf8_lossy(crate::mapping::trim(c)).into_owned())
            .collect();
        if first_line_text.is_none() {
            first_line_text = Some(cells.join(","));
        }
        let is_header = match profile.header_line {
            Some(n) => line == n,
            None => required.iter().all(|r| cells.iter().any(|c| c == r)),
        };
        if is_header {
            let data_start = usize::try_from(rdr.position().byte()).unwrap_or(head.len());
            let first_data_line =
                1 + head[..data_start].iter().filter(|b| **b == b'\n').count() as u64;
            let rest = head.split_off(data_start.min(head.len()));
            return Ok(Header {
                header: Some(cells),
                header_line: line,
                first_data_line,
                rest,
            });
        }
        if idx >= HEADER_SEARCH_LINES {
            break;
        }
    }
    let want = match profile.header_line {
        Some(n) => format!("line {n}"),
        None => format!("a line with the columns `{}`", required.join("`, `")),
    };
    Err(serr(
        Some(1),
        format!(
            "no header found: expected {want} (profile `{}`) in the first {HEADER_SEARCH_LINES} lines; line 1 is `{}`",
            profile.name,
            first_line_text
                .unwrap_or_default()
                .chars()
                .take(120)
                .collect::<String>()
        ),
    ))
}

/// Where to cut `buf` so that it ends at a record boundary.
fn cut_point(buf: &[u8], delim: u8, quoted: bool) -> Option<usize> {
    if !quoted {
        return memchr::memrchr(b'\n', buf).map(|i| i + 1);
    }
    let mut rdr = csv_core::ReaderBuilder::new().delimiter(delim).build();
    let mut out = vec![0u8; 1 << 16];
    let mut ends = vec![0usize; 1 << 10];
    let mut pos = 0;
    let mut last = None;
    loop {
        let (res, nin, _, _) = rdr.read_record(&buf[pos..], &mut out, &mut ends);
        pos += nin;
        match res {
            csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => break,
            csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {
            }
            csv_core::ReadRecordResult::Record => last = Some(pos),
        }
    }
    last.filter(|&p| p > 0 && p < buf.len() + 1)
}

type Work<'a, T> = dyn Fn(&[u8], u64, bool, &mut LocalNames) -> Batch<T> + Sync + 'a;

#[allow(clippy::too_many_arguments)]
fn run_blocks<T: Send, S>(
    reader: Box<dyn Read + Send>,
    carry: Vec<u8>,
    first_line: u64,
    workers: usize,
    block_bytes: usize,
    delim: u8,
    work: &Work<'_, T>,
    seq: &mut S,
) -> Result<(), StreamError>
where
    S: FnMut(Batch<T>) -> Result<(), StreamError>,
{
    let block_bytes = block_bytes.max(16);
    std::thread::scope(|s| {
        let (tok_tx, tok_rx) = sync_channel::<()>(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            let _ = tok_tx.send(());
        }
        let (blk_tx, blk_rx) = sync_channel::<(usize, u64, bool, Vec<u8>)>(workers);
        let (res_tx, res_rx) = channel::<(usize, Batch<T>)>();
        // Block buffers go back to the reader once parsed (no page faults,
        // no allocation per block).
        let (pool_tx, pool_rx) = channel::<Vec<u8>>();
        let reader_thread = s.spawn(move || -> Result<(), StreamError> {
            let mut reader = reader;
            let mut carry = carry;
            let mut line = first_line;
            let mut n = 0usize;
            let mut eof = false;
            loop {
                if tok_rx.recv().is_err() {
                    return Ok(());
                }
                let mut buf = pool_rx.try_recv().unwrap_or_default();
                buf.clear();
                buf.extend_from_slice(&carry);
                carry.clear();
                let mut want = block_bytes;
                // Cut within the first `want` bytes (whatever was read ahead),
                // doubling the window when it holds no record boundary.
                let block = loop {
                    if !eof && buf.len() < want {
                        let need = want - buf.len();
                        eof = fill_to(&mut reader, &mut buf, need)
                            .map_err(|e| serr(Some(line), format!("cannot read: {e}")))?;
                    }
                    let end = want.min(buf.len());
                    let quoted = delim != b'\n' && memchr::memchr(b'"', &buf[..end]).is_some();
                    if eof && buf.len() <= want {
                        break (buf, quoted);
                    }
                    match cut_point(&buf[..end], delim, quoted) {
                        Some(c) if c < buf.len() => {
                            carry.extend_from_slice(&buf[c..]);
                            buf.truncate(c);
                            break (buf, quoted);
                        }
                        Some(_) => break (buf, quoted),
                        None => want = want.saturating_mul(2),
                    }
                };
                let (block, quoted) = block;
                if block.is_empty() {
                    return Ok(());
                }
                let lines = count_newlines(&block);
                if blk_tx.send((n, line, !quoted, block)).is_err() {
                    return Ok(());
                }
                n += 1;
                line += lines;
                if eof && carry.is_empty() {
                    return Ok(());
                }
            }
        });
        let blk_rx = Arc::new(Mutex::new(blk_rx));
        for _ in 0..workers.max(1) {
            let rx = Arc::clone(&blk_rx);
            let tx = res_tx.clone();
            let pool = pool_tx.clone();
            s.spawn(move || {
                let mut local = LocalNames::default();
                loop {
                    let msg = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((n, line, quote_free, block)) = msg else {
                        break;
                    };
                    let batch = work(&block, line, quote_free, &mut local);
                    let _ = pool.send(block);
                    if tx.send((n, batch)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        drop(pool_tx);
        let mut next = 0usize;
        let mut pending: BTreeMap<usize, Batch<T>> = BTreeMap::new();
        let mut result = Ok(());
        'outer: for (n, batch) in res_rx.iter() {
            pending.insert(n, batch);
            while let Some(b) = pending.remove(&next) {
                next += 1;
                if let Err(e) = seq(b) {
                    result = Err(e);
                    break 'outer;
                }
                let _ = tok_tx.send(());
            }
        }
        drop(tok_tx);
        drop(res_rx);
        let read = reader_thread
            .join()
            .unwrap_or_else(|_| Err(serr(None, "the reader thread failed")));
        result.and(read)
    })
}
