//! Block and row parsers behind [`crate::stream`]: a quote-free CSV block
//! split in one SIMD pass, any CSV block through the `csv` crate, JSON lines
//! and JSON arrays (values read from their raw text, so numbers stay exact).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;

use serde_json::value::RawValue;

use crate::batch::{Batch, Build, Ctx, Reject, StreamError, serr};
use crate::ids::{LocalNames, Names};
use crate::mapping::{Cells, Plan};
use crate::profile::Col;

pub(crate) struct CsvCells<'a> {
    rec: &'a csv::ByteRecord,
    index: &'a [Option<usize>],
}

impl Cells for CsvCells<'_> {
    fn cell(&self, slot: usize) -> Option<&[u8]> {
        self.rec.get((*self.index.get(slot)?)?)
    }
}

pub(crate) struct JsonCells<'a> {
    vals: Vec<Option<Cow<'a, [u8]>>>,
}

impl Cells for JsonCells<'_> {
    fn cell(&self, slot: usize) -> Option<&[u8]> {
        self.vals.get(slot)?.as_deref()
    }
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

/// Where every block parser hands its rows: filter, build, file the record
/// or the reason it could not be read.
pub(crate) struct Sink<'a, B: Build> {
    pub plan: &'a Plan,
    pub names: &'a Names,
    pub builder: &'a B,
    pub file: u8,
    /// Cells in the CSV header (0: no header, or JSON).
    pub header_len: usize,
}

impl<B: Build> Sink<'_, B> {
    /// Takes one row of `fields` cells (CSV; `None` for JSON) at `line`.
    fn take<C: Cells>(
        &self,
        batch: &mut Batch<B::Out>,
        local: &mut LocalNames,
        line: u64,
        cells: &C,
        fields: Option<usize>,
    ) {
        batch.rows += 1;
        if !self.plan.keep(cells) {
            batch.filtered += 1;
            return;
        }
        let mut ctx = Ctx {
            line,
            names: self.names,
            local,
            arena: &mut batch.arena,
            notes: &mut batch.notes,
            file: self.file,
        };
        match self.builder.build(self.plan, cells, &mut ctx) {
            Ok(r) => batch.items.push(r),
            Err(mut message) => {
                if let Some(n) = fields
                    && self.header_len > 0
                    && n != self.header_len
                {
                    message.push_str(&format!(
                        " (the row has {n} fields, the header {})",
                        self.header_len
                    ));
                }
                batch.rejects.push(Reject { line, message });
            }
        }
    }
}

/// Parses a block without quotes by splitting lines at `\n` and fields at
/// the delimiter — exactly what RFC 4180 reading gives when no field is
/// quoted. `None` (use [`csv_block`]) for a block with a quote or a `\r`
/// that does not end a line.
pub(crate) fn split_block<B: Build>(
    block: &[u8],
    first_line: u64,
    quote_free: bool,
    delim: u8,
    sink: &Sink<'_, B>,
    local: &mut LocalNames,
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
        let cells = SplitCells {
            line,
            bounds,
            index: &sink.plan.csv_index,
        };
        sink.take(&mut batch, local, line_no, &cells, Some(bounds.len()));
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

pub(crate) fn csv_block<B: Build>(
    block: &[u8],
    first_line: u64,
    delim: u8,
    sink: &Sink<'_, B>,
    local: &mut LocalNames,
) -> Batch<B::Out> {
    let mut batch = Batch::default();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(block);
    let mut rec = csv::ByteRecord::new();
    let mut lines = Lines::new(block, first_line);
    loop {
        let before = rdr.position().byte();
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = lines.at(before);
                batch.rows += 1;
                batch.rejects.push(Reject {
                    line,
                    message: format!("not CSV: {e}"),
                });
                break;
            }
        }
        let line = lines.at(rec.position().map_or(before, csv::Position::byte));
        let cells = CsvCells {
            rec: &rec,
            index: &sink.plan.csv_index,
        };
        sink.take(&mut batch, local, line, &cells, Some(rec.len()));
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
    sink: &Sink<'_, B>,
    row: &RawValue,
    line: u64,
    batch: &mut Batch<B::Out>,
    local: &mut LocalNames,
) {
    match json_cells(sink.plan, row) {
        Ok(cells) => sink.take(batch, local, line, &cells, None),
        Err(message) => {
            batch.rows += 1;
            batch.rejects.push(Reject { line, message });
        }
    }
}

pub(crate) fn jsonl_block<B: Build>(
    block: &[u8],
    first_line: u64,
    sink: &Sink<'_, B>,
    local: &mut LocalNames,
) -> Batch<B::Out> {
    let mut batch = Batch::default();
    for (i, line) in block.split(|b| *b == b'\n').enumerate() {
        let line_no = first_line + i as u64;
        let t = crate::mapping::trim(line);
        if t.is_empty() {
            continue;
        }
        match serde_json::from_slice::<&RawValue>(t) {
            Ok(r) => build_json(sink, r, line_no, &mut batch, local),
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

pub(crate) fn json_array<B, P, S>(
    reader: Box<dyn Read + Send>,
    head: Vec<u8>,
    sink: &Sink<'_, B>,
    par: &P,
    seq: &mut S,
) -> Result<(), StreamError>
where
    B: Build,
    P: Fn(&mut Batch<B::Out>) + Sync,
    S: FnMut(Batch<B::Out>) -> Result<(), StreamError>,
{
    use serde::de::{Deserializer as _, SeqAccess, Visitor};
    struct V<'p, 's, B: Build, P, S> {
        sink: &'p Sink<'s, B>,
        par: &'p P,
        seq: &'p mut S,
        local: LocalNames,
        failed: Option<StreamError>,
        counter: std::rc::Rc<LineCounter>,
    }
    impl<'de, B, P, S> Visitor<'de> for V<'_, '_, B, P, S>
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
                build_json(self.sink, &row, line, &mut batch, &mut self.local);
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
            build_json(self.sink, &row, 1, &mut batch, &mut self.local);
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
        sink,
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

/// Lines of records found by byte offset: a record's line is the line of
/// its first byte, after the blank lines the CSV reader skips before it.
pub(crate) struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    /// Lines of `data`, whose first byte is on line `first`.
    pub fn new(data: &'a [u8], first: u64) -> Lines<'a> {
        Lines {
            data,
            pos: 0,
            line: first,
        }
    }

    /// The line of the record that starts at (or after blank lines from) `byte`.
    pub fn at(&mut self, byte: u64) -> u64 {
        let mut b = usize::try_from(byte)
            .unwrap_or(self.data.len())
            .min(self.data.len());
        while b < self.data.len() && matches!(self.data[b], b'\n' | b'\r') {
            b += 1;
        }
        if b >= self.pos {
            self.line += count_newlines(&self.data[self.pos..b]);
            self.pos = b;
        }
        self.line
    }
}
