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

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::value::RawValue;

use crate::ids::{Arena, LocalNames, Names};
use crate::input::{self, DigestHandle, InputDigest, Stored};
use crate::mapping::{Cells, Plan};
use crate::profile::{Col, Layout, Profile};

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

/// A row that could not be read, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reject {
    pub line: u64,
    pub message: String,
}

/// Records of one block, in file order.
#[derive(Debug)]
pub(crate) struct Batch<T> {
    pub items: Vec<T>,
    pub rejects: Vec<Reject>,
    /// (line, note) for rows read with a remark (unknown operation, …).
    pub notes: Vec<(u64, String)>,
    /// Data rows seen (kept, filtered out and rejected).
    pub rows: u64,
    /// Rows the profile's filter left out.
    pub filtered: u64,
    /// String IDs of the items.
    pub arena: Arena,
    /// Per-item annotations a parallel stage computes for the sequential one.
    pub aux: Vec<u64>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            items: Vec::new(),
            rejects: Vec::new(),
            notes: Vec::new(),
            rows: 0,
            filtered: 0,
            arena: Arena::default(),
            aux: Vec::new(),
        }
    }
}

/// Per-row context handed to a record builder.
pub(crate) struct Ctx<'a> {
    pub line: u64,
    pub names: &'a Names,
    pub local: &'a mut LocalNames,
    pub arena: &'a mut Arena,
    pub notes: &'a mut Vec<(u64, String)>,
    pub file: u8,
}

/// Turns one row into a record.
pub(crate) trait Build: Sync {
    type Out: Send;
    fn build<C: Cells>(&self, plan: &Plan, row: &C, ctx: &mut Ctx<'_>)
    -> Result<Self::Out, String>;
}

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

/// Why an input could not be streamed (the caller adds the path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamError {
    pub line: Option<u64>,
    pub message: String,
}

fn serr(line: Option<u64>, message: impl Into<String>) -> StreamError {
    StreamError {
        line,
        message: message.into(),
    }
}

struct CsvCells<'a> {
    rec: &'a csv::ByteRecord,
    index: &'a [Option<usize>],
}

impl Cells for CsvCells<'_> {
    fn cell(&self, slot: usize) -> Option<&[u8]> {
        self.rec.get((*self.index.get(slot)?)?)
    }
}

struct JsonCells<'a> {
    vals: Vec<Option<Cow<'a, [u8]>>>,
}

impl Cells for JsonCells<'_> {
    fn cell(&self, slot: usize) -> Option<&[u8]> {
        self.vals.get(slot)?.as_deref()
    }
}

/// Streams `path` through `builder`, then `par` (in the worker, per batch),
/// then `seq` (in order, on the calling thread).
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
            let header_len = h.header.as_ref().map_or(0, Vec::len);
            let delim = profile.delimiter;
            let work = |block: &[u8], first_line: u64, quote_free: bool, local: &mut LocalNames| {
                let mut b = split_block(
                    block, first_line, quote_free, delim, header_len, &plan, file, names, local,
                    builder,
                )
                .unwrap_or_else(|| {
                    csv_block(
                        block, first_line, delim, header_len, &plan, file, names, local, builder,
                    )
                });
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
            let work = |block: &[u8], first_line: u64, _: bool, local: &mut LocalNames| {
                let mut b = jsonl_block(block, first_line, &plan, file, names, local, builder);
                par(&mut b);
                b
            };
            run_blocks(reader, head, 1, workers, io.block_bytes, b'\n', &work, seq)?;
            (0, 0)
        }
        Layout::Json => {
            let plan = Plan::for_json(profile);
            json_array(reader, head, &plan, file, names, builder, par, seq)?;
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
    loop {
        let pos_before = rdr.position().clone();
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(serr(Some(pos_before.line()), format!("not CSV: {e}"))),
        }
        idx += 1;
        let line = rec
            .position()
            .map_or(pos_before.line(), csv::Position::line) as usize;
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

/// Counts `\n` bytes (byte counters that the compiler turns into SIMD
/// compares; a plain `filter().count()` widens every byte to 64 bits).
pub(crate) fn count_newlines(b: &[u8]) -> u64 {
    let mut total = 0u64;
    for outer in b.chunks(255 * 32) {
        let mut acc = [0u8; 32];
        let mut it = outer.chunks_exact(32);
        for c in &mut it {
            for (a, x) in acc.iter_mut().zip(c) {
                *a += u8::from(*x == b'\n');
            }
        }
        total += acc.iter().map(|&x| u64::from(x)).sum::<u64>();
        total += it.remainder().iter().filter(|x| **x == b'\n').count() as u64;
    }
    total
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
                let block = loop {
                    if !eof && buf.len() < want {
                        let need = want - buf.len();
                        eof = fill_to(&mut reader, &mut buf, need)
                            .map_err(|e| serr(Some(line), format!("cannot read: {e}")))?;
                    }
                    let quoted = delim != b'\n' && memchr::memchr(b'"', &buf).is_some();
                    if eof {
                        break (buf, quoted);
                    }
                    match cut_point(&buf, delim, quoted) {
                        Some(c) if c < buf.len() => {
                            carry.extend_from_slice(&buf[c..]);
                            buf.truncate(c);
                            break (buf, quoted);
                        }
                        Some(_) => break (buf, quoted),
                        None => want = buf.len() * 2,
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

/// One row of a quote-free block: the line and its field bounds.
struct SplitCells<'a> {
    line: &'a [u8],
    bounds: &'a [(u32, u32)],
    index: &'a [Option<usize>],
}

impl Cells for SplitCells<'_> {
    #[inline]
    fn cell(&self, slot: usize) -> Option<&[u8]> {
        let (a, b) = *self.bounds.get((*self.index.get(slot)?)?)?;
        self.line.get(a as usize..b as usize)
    }
}

/// Parses a block without quotes by splitting lines at `\n` and fields at
/// the delimiter — exactly what RFC 4180 reading gives when no field is
/// quoted. `None` (use [`csv_block`]) for a block with a quote or a `\r`
/// that does not end a line.
#[allow(clippy::too_many_arguments)]
fn split_block<B: Build>(
    block: &[u8],
    first_line: u64,
    quote_free: bool,
    delim: u8,
    header_len: usize,
    plan: &Plan,
    file: u8,
    names: &Names,
    local: &mut LocalNames,
    builder: &B,
) -> Option<Batch<B::Out>> {
    if delim == b'\n'
        || delim == b'\r'
        || delim == b'"'
        || block.len() > u32::MAX as usize
        || (!quote_free && memchr::memchr(b'"', block).is_some())
    {
        return None;
    }
    let mut batch = Batch::default();
    let mut emit = |line_no: u64, line: &[u8], bounds: &[(u32, u32)]| {
        batch.rows += 1;
        let cells = SplitCells {
            line,
            bounds,
            index: &plan.csv_index,
        };
        if !plan.keep(&cells) {
            batch.filtered += 1;
            return;
        }
        let mut ctx = Ctx {
            line: line_no,
            names,
            local: &mut *local,
            arena: &mut batch.arena,
            notes: &mut batch.notes,
            file,
        };
        match builder.build(plan, &cells, &mut ctx) {
            Ok(r) => batch.items.push(r),
            Err(mut m) => {
                if header_len > 0 && bounds.len() != header_len {
                    m.push_str(&format!(
                        " (the row has {} fields, the header {})",
                        bounds.len(),
                        header_len
                    ));
                }
                batch.rejects.push(Reject {
                    line: line_no,
                    message: m,
                });
            }
        }
    };
    // One SIMD pass over the block for delimiters and line ends.
    let mut bounds: Vec<(u32, u32)> = Vec::with_capacity(32);
    let mut line_no = first_line;
    let mut line_start = 0usize;
    let mut field_start = 0usize;
    for pos in memchr::memchr3_iter(delim, b'\n', b'\r', block) {
        let b = block[pos];
        if b == delim {
            bounds.push(((field_start - line_start) as u32, (pos - line_start) as u32));
            field_start = pos + 1;
        } else if b == b'\r' {
            if block.get(pos + 1) != Some(&b'\n') {
                return None;
            }
        } else {
            let end = if pos > line_start && block[pos - 1] == b'\r' {
                pos - 1
            } else {
                pos
            };
            if end > line_start || !bounds.is_empty() {
                bounds.push(((field_start - line_start) as u32, (end - line_start) as u32));
                emit(line_no, &block[line_start..end], &bounds);
            }
            bounds.clear();
            line_no += 1;
            line_start = pos + 1;
            field_start = pos + 1;
        }
    }
    if line_start < block.len() {
        let end = block.len();
        bounds.push(((field_start - line_start) as u32, (end - line_start) as u32));
        emit(line_no, &block[line_start..end], &bounds);
    }
    Some(batch)
}

#[allow(clippy::too_many_arguments)]
fn csv_block<B: Build>(
    block: &[u8],
    first_line: u64,
    delim: u8,
    header_len: usize,
    plan: &Plan,
    file: u8,
    names: &Names,
    local: &mut LocalNames,
    builder: &B,
) -> Batch<B::Out> {
    let mut batch = Batch::default();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(block);
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = first_line + rdr.position().line().saturating_sub(1);
                batch.rows += 1;
                batch.rejects.push(Reject {
                    line,
                    message: format!("not CSV: {e}"),
                });
                break;
            }
        }
        let line = first_line + rec.position().map_or(1, csv::Position::line) - 1;
        batch.rows += 1;
        let cells = CsvCells {
            rec: &rec,
            index: &plan.csv_index,
        };
        if !plan.keep(&cells) {
            batch.filtered += 1;
            continue;
        }
        let mut ctx = Ctx {
            line,
            names,
            local,
            arena: &mut batch.arena,
            notes: &mut batch.notes,
            file,
        };
        match builder.build(plan, &cells, &mut ctx) {
            Ok(r) => batch.items.push(r),
            Err(mut m) => {
                if header_len > 0 && rec.len() != header_len {
                    m.push_str(&format!(
                        " (the row has {} fields, the header {})",
                        rec.len(),
                        header_len
                    ));
                }
                batch.rejects.push(Reject { line, message: m });
            }
        }
    }
    batch
}

/// The cells of a JSON row for a plan's columns.
fn json_cells<'a>(plan: &Plan, row: &'a RawValue) -> Result<JsonCells<'a>, String> {
    let top = Node::of(row)?;
    let mut vals = Vec::with_capacity(plan.columns.len());
    for col in &plan.columns {
        let v = match col {
            Col::Name(n) => top.get(n)?,
            Col::Pointer(p) => {
                let mut cur: Option<&'a RawValue> = Some(row);
                for seg in p.split('/').skip(1) {
                    let seg = seg.replace("~1", "/").replace("~0", "~");
                    cur = match cur {
                        Some(r) => Node::of(r)?.get(&seg)?,
                        None => None,
                    };
                }
                cur
            }
        };
        vals.push(match v {
            None => None,
            Some(r) => scalar(r)?,
        });
    }
    Ok(JsonCells { vals })
}

enum Node<'a> {
    Obj(Vec<(Cow<'a, str>, &'a RawValue)>),
    Arr(Vec<&'a RawValue>),
    Other,
}

impl<'a> Node<'a> {
    fn of(r: &'a RawValue) -> Result<Node<'a>, String> {
        let t = r.get().trim_start();
        if t.starts_with('{') {
            let m: Vec<(Cow<'a, str>, &'a RawValue)> =
                serde_json::from_str::<BTreeMap<Cow<'a, str>, &'a RawValue>>(r.get())
                    .map_err(|e| format!("not a JSON object: {e}"))?
                    .into_iter()
                    .collect();
            Ok(Node::Obj(m))
        } else if t.starts_with('[') {
            Ok(Node::Arr(
                serde_json::from_str(r.get()).map_err(|e| format!("not a JSON array: {e}"))?,
            ))
        } else {
            Ok(Node::Other)
        }
    }

    fn get(&self, key: &str) -> Result<Option<&'a RawValue>, String> {
        Ok(match self {
            Node::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| *v),
            Node::Arr(a) => key.parse::<usize>().ok().and_then(|i| a.get(i).copied()),
            Node::Other => None,
        })
    }
}

fn scalar(r: &RawValue) -> Result<Option<Cow<'_, [u8]>>, String> {
    let t = r.get().trim();
    if t == "null" {
        return Ok(None);
    }
    if t.starts_with('"') {
        let s: Cow<'_, str> =
            serde_json::from_str(t).map_err(|e| format!("bad JSON string: {e}"))?;
        return Ok(Some(match s {
            Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
            Cow::Owned(o) => Cow::Owned(o.into_bytes()),
        }));
    }
    if t.starts_with('{') || t.starts_with('[') {
        return Ok(Some(Cow::Borrowed(t.as_bytes())));
    }
    Ok(Some(Cow::Borrowed(t.as_bytes())))
}

fn build_json<B: Build>(
    plan: &Plan,
    row: &RawValue,
    line: u64,
    batch: &mut Batch<B::Out>,
    file: u8,
    names: &Names,
    local: &mut LocalNames,
    builder: &B,
) {
    batch.rows += 1;
    let cells = match json_cells(plan, row) {
        Ok(c) => c,
        Err(message) => {
            batch.rejects.push(Reject { line, message });
            return;
        }
    };
    if !plan.keep(&cells) {
        batch.filtered += 1;
        return;
    }
    let mut ctx = Ctx {
        line,
        names,
        local,
        arena: &mut batch.arena,
        notes: &mut batch.notes,
        file,
    };
    match builder.build(plan, &cells, &mut ctx) {
        Ok(r) => batch.items.push(r),
        Err(message) => batch.rejects.push(Reject { line, message }),
    }
}

fn jsonl_block<B: Build>(
    block: &[u8],
    first_line: u64,
    plan: &Plan,
    file: u8,
    names: &Names,
    local: &mut LocalNames,
    builder: &B,
) -> Batch<B::Out> {
    let mut batch = Batch::default();
    for (i, line) in block.split(|b| *b == b'\n').enumerate() {
        let line_no = first_line + i as u64;
        let t = crate::mapping::trim(line);
        if t.is_empty() {
            continue;
        }
        match serde_json::from_slice::<&RawValue>(t) {
            Ok(r) => build_json(plan, r, line_no, &mut batch, file, names, local, builder),
            Err(e) => {
                batch.rows += 1;
                batch.rejects.push(Reject {
                    line: line_no,
                    message: format!("not a JSON value: {e}"),
                });
            }
        }
    }
    batch
}

const JSON_BATCH: usize = 1 << 14;

#[allow(clippy::too_many_arguments)]
fn json_array<B, P, S>(
    reader: Box<dyn Read + Send>,
    head: Vec<u8>,
    plan: &Plan,
    file: u8,
    names: &Names,
    builder: &B,
    par: &P,
    seq: &mut S,
) -> Result<(), StreamError>
where
    B: Build,
    P: Fn(&mut Batch<B::Out>) + Sync,
    S: FnMut(Batch<B::Out>) -> Result<(), StreamError>,
{
    use serde::de::{Deserializer as _, SeqAccess, Visitor};
    struct V<'p, B: Build, P, S> {
        plan: &'p Plan,
        file: u8,
        names: &'p Names,
        builder: &'p B,
        par: &'p P,
        seq: &'p mut S,
        local: LocalNames,
        failed: Option<StreamError>,
        counter: std::rc::Rc<LineCounter>,
    }
    impl<'de, B, P, S> Visitor<'de> for V<'_, B, P, S>
    where
        B: Build,
        P: Fn(&mut Batch<B::Out>) + Sync,
        S: FnMut(Batch<B::Out>) -> Result<(), StreamError>,
    {
        type Value = Option<StreamError>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of rows, or one JSON object")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut a: A) -> Result<Self::Value, A::Error> {
            let mut batch = Batch::default();
            loop {
                let Some(row) = a.next_element::<Box<RawValue>>()? else {
                    break;
                };
                // The reader is read byte by byte (through a buffer below the
                // counter): the count is exact at the element's last byte.
                let inside = row.get().bytes().filter(|b| *b == b'\n').count() as u64;
                let line = self.counter.line().saturating_sub(inside);
                build_json(
                    self.plan,
                    &row,
                    line,
                    &mut batch,
                    self.file,
                    self.names,
                    &mut self.local,
                    self.builder,
                );
                if batch.rows as usize >= JSON_BATCH {
                    let mut b = std::mem::take(&mut batch);
                    (self.par)(&mut b);
                    if let Err(e) = (self.seq)(b) {
                        self.failed = Some(e);
                        return Ok(self.failed);
                    }
                }
            }
            (self.par)(&mut batch);
            if let Err(e) = (self.seq)(batch) {
                self.failed = Some(e);
            }
            Ok(self.failed)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            mut self,
            a: A,
        ) -> Result<Self::Value, A::Error> {
            let v: serde_json::Value =
                serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(a))?;
            let text = v.to_string();
            let row: Box<RawValue> =
                RawValue::from_string(text).map_err(serde::de::Error::custom)?;
            let mut batch = Batch::default();
            build_json(
                self.plan,
                &row,
                1,
                &mut batch,
                self.file,
                self.names,
                &mut self.local,
                self.builder,
            );
            (self.par)(&mut batch);
            if let Err(e) = (self.seq)(batch) {
                self.failed = Some(e);
            }
            Ok(self.failed)
        }
    }
    let counter = std::rc::Rc::new(LineCounter::default());
    let counting = CountingReader {
        inner: std::io::BufReader::with_capacity(1 << 16, std::io::Cursor::new(head).chain(reader)),
        counter: std::rc::Rc::clone(&counter),
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let v = V {
        plan,
        file,
        names,
        builder,
        par,
        seq,
        local: LocalNames::default(),
        failed: None,
        counter: std::rc::Rc::clone(&counter),
    };
    let failed = (&mut de)
        .deserialize_any(v)
        .map_err(|e| serr(Some(e.line() as u64), format!("not JSON: {e}")))?;
    if let Some(e) = failed {
        return Err(e);
    }
    de.end().map_err(|e| {
        serr(
            Some(e.line() as u64),
            format!("trailing data after the JSON value: {e}"),
        )
    })?;
    Ok(())
}

/// Lines passed through a reader so far.
#[derive(Default)]
struct LineCounter {
    lines: std::cell::Cell<u64>,
}

impl LineCounter {
    fn line(&self) -> u64 {
        self.lines.get() + 1
    }
}

struct CountingReader<R> {
    inner: R,
    counter: std::rc::Rc<LineCounter>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let nl = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        self.counter.lines.set(self.counter.lines.get() + nl);
        Ok(n)
    }
}
