//! Reading inputs as streams: gzip and ZIP (one member, as data.binance.vision
//! ships its archives) by magic number, UTF-8 BOM skipped,
//! UTF-16LE/BE (with BOM) transcoded to UTF-8 on the fly, lines split in a
//! fixed buffer (CRLF accepted), and the format of a file recognised from its
//! first bytes and its name. Nothing here holds a whole file in memory.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use crate::error::Error;

/// Read buffer size (bytes).
const BUF: usize = 1 << 20;
/// Longest line accepted (bytes).
pub const MAX_LINE: usize = 64 << 20;

/// Opens a file as a stream of UTF-8 bytes (gzip, a one-member ZIP, BOM and
/// UTF-16 handled).
///
/// # Errors
/// [`Error::Io`] when the file cannot be read.
pub fn open(path: &Path) -> Result<Box<dyn Read + Send>, Error> {
    let io = |e| Error::io(path, e);
    // No BufReader over a plain file: `Lines` reads in 1 MiB blocks itself.
    let mut f = File::open(path).map_err(io)?;
    let head = peek(&mut f, 4).map_err(io)?;
    let inner: Box<dyn Read + Send> = if head.starts_with(b"PK\x03\x04") {
        Box::new(BufReader::with_capacity(BUF, zip_member(path, f)?))
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            BUF,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                BUF,
                Prefixed::new(head, f),
            )),
        ))
    } else {
        Box::new(Prefixed::new(head, f))
    };
    text(inner).map_err(io)
}

/// The name of the one file in the ZIP archive at `path` (`None`: not a
/// `.zip`, or not a one-member archive — reading it says why).
#[must_use]
pub fn zip_member_name(path: &Path) -> Option<String> {
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        return None;
    }
    let mut ar = zip::ZipArchive::new(File::open(path).ok()?).ok()?;
    let mut names = Vec::new();
    for i in 0..ar.len() {
        let z = ar.by_index_raw(i).ok()?;
        if !z.is_dir() {
            names.push(z.name().map(|n| n.into_owned()).unwrap_or_default());
        }
    }
    match names.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The one file of a ZIP archive (data.binance.vision ships each day or
/// month as `<name>.zip` holding `<name>.csv`), streamed: the archive's
/// directory is read with the `zip` crate, the member's bytes are inflated
/// as they are read (stored and deflated members) and its CRC-32 is checked
/// at the end, so a damaged archive is an I/O error, never silent data.
///
/// # Errors
/// Not a readable archive; none or several files in it; an encrypted
/// member or another compression method.
fn zip_member(path: &Path, f: File) -> Result<Box<dyn Read + Send>, Error> {
    use std::io::{Seek, SeekFrom};
    let bad = |reason: String| Error::Unsupported {
        path: path.to_path_buf(),
        reason,
    };
    let mut ar =
        zip::ZipArchive::new(f).map_err(|e| bad(format!("not a readable ZIP archive: {e}")))?;
    let mut members = Vec::new();
    for i in 0..ar.len() {
        let z = ar
            .by_index_raw(i)
            .map_err(|e| bad(format!("ZIP entry {i} cannot be read: {e}")))?;
        if !z.is_dir() {
            members.push((i, z.name().map(|n| n.into_owned()).unwrap_or_default()));
        }
    }
    let [(index, name)] = members.as_slice() else {
        return Err(bad(format!(
            "a ZIP archive with {} files ({}): scan needs exactly one; extract them and scan the files",
            members.len(),
            members
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let z = ar
        .by_index_raw(*index)
        .map_err(|e| bad(format!("{name} in the archive: {e}")))?;
    if z.encrypted() {
        return Err(bad(format!("{name} in the archive is encrypted")));
    }
    let (method, size, crc) = (z.compression(), z.compressed_size(), z.crc32());
    let start = z
        .data_start()
        .ok_or_else(|| bad(format!("{name}: where its data starts is unknown")))?;
    drop(z);
    let mut f = ar.into_inner();
    f.seek(SeekFrom::Start(start))
        .map_err(|e| Error::io(path, e))?;
    let raw = f.take(size);
    let body: Box<dyn Read + Send> = match method {
        zip::CompressionMethod::Stored => Box::new(raw),
        zip::CompressionMethod::Deflated => Box::new(flate2::read::DeflateDecoder::new(
            BufReader::with_capacity(BUF, raw),
        )),
        other => {
            return Err(bad(format!(
                "{name} in the archive is compressed with {other}; opsbook reads stored and deflated members"
            )));
        }
    };
    Ok(Box::new(CrcChecked {
        inner: body,
        crc: flate2::Crc::new(),
        expected: crc,
        member: name.clone(),
    }))
}

/// A ZIP member's bytes, its CRC-32 checked when they end.
struct CrcChecked {
    inner: Box<dyn Read + Send>,
    crc: flate2::Crc,
    expected: u32,
    member: String,
}

impl Read for CrcChecked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.crc.sum() != self.expected {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "ZIP member {}: CRC-32 {:08x} where the archive says {:08x}: the archive is damaged",
                    self.member,
                    self.crc.sum(),
                    self.expected
                ),
            ));
        }
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

/// Strips a UTF-8 BOM or transcodes UTF-16 (BOM required) to UTF-8.
fn text(mut r: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let head = peek(&mut r, 3)?;
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(Box::new(Prefixed::new(head[3..].to_vec(), r)));
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        let le = head[0] == 0xFF;
        return Ok(Box::new(Utf16Reader {
            inner: Prefixed::new(head[2..].to_vec(), r),
            le,
            out: Vec::new(),
            pos: 0,
            pending: None,
        }));
    }
    Ok(Box::new(Prefixed::new(head, r)))
}

/// Reads up to `n` bytes (fewer only at end of input).
fn peek<R: Read + ?Sized>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut v = vec![0; n];
    let mut got = 0;
    while got < n {
        let k = r.read(&mut v[got..])?;
        if k == 0 {
            break;
        }
        got += k;
    }
    v.truncate(got);
    Ok(v)
}

/// A reader that first yields some bytes already read.
pub struct Prefixed<R> {
    head: Vec<u8>,
    pos: usize,
    inner: R,
}

impl<R> Prefixed<R> {
    /// `head` then `inner`.
    pub fn new(head: Vec<u8>, inner: R) -> Prefixed<R> {
        Prefixed {
            head,
            pos: 0,
            inner,
        }
    }
}

impl<R: Read> Read for Prefixed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = buf.len().min(self.head.len() - self.pos);
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// UTF-16 to UTF-8, streaming (what Windows PowerShell 5.1 writes).
struct Utf16Reader<R> {
    inner: R,
    le: bool,
    out: Vec<u8>,
    pos: usize,
    pending: Option<u8>,
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            let mut raw = vec![0u8; 64 * 1024];
            let mut start = 0;
            if let Some(b) = self.pending.take() {
                raw[0] = b;
                start = 1;
            }
            let n = self.inner.read(&mut raw[start..])? + start;
            if n == start {
                if start == 1 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "UTF-16 input has an odd number of bytes",
                    ));
                }
                return Ok(0);
            }
            let even = n & !1;
            if even < n {
                self.pending = Some(raw[n - 1]);
            }
            let units = raw[..even].chunks_exact(2).map(|c| {
                if self.le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            });
            self.out.clear();
            self.pos = 0;
            let mut s = String::new();
            for ch in char::decode_utf16(units) {
                s.push(ch.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            self.out.extend_from_slice(s.as_bytes());
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Splits a stream into lines without the line break (`\n` or `\r\n`),
/// counting them from 1, in a fixed buffer.
pub struct Lines<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// 1-based number of the line last returned.
    pub line: u64,
}

impl<R: Read> Lines<R> {
    /// Lines of `r`.
    pub fn new(r: R) -> Lines<R> {
        Lines {
            r,
            buf: vec![0; BUF],
            pos: 0,
            len: 0,
            eof: false,
            line: 0,
        }
    }

    /// The next line, or `None` at the end.
    ///
    /// # Errors
    /// I/O errors, and a line longer than [`MAX_LINE`].
    pub fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        Ok(self
            .next_span(false)?
            .map(|(a, b)| (self.line, &self.buf[a..b])))
    }

    /// The next line holding more than whitespace.
    ///
    /// # Errors
    /// As [`Lines::next_line`].
    pub fn next_nonblank(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        Ok(self
            .next_span(true)?
            .map(|(a, b)| (self.line, &self.buf[a..b])))
    }

    /// Byte range of the next line in `buf`, without its line break.
    fn next_span(&mut self, skip_blank: bool) -> io::Result<Option<(usize, usize)>> {
        loop {
            let (start, mut end) = loop {
                if let Some(i) = memchr::memchr(b'\n', &self.buf[self.pos..self.len]) {
                    let s = self.pos;
                    self.pos += i + 1;
                    break (s, s + i);
                }
                if self.eof {
                    if self.pos < self.len {
                        let s = self.pos;
                        self.pos = self.len;
                        break (s, self.len);
                    }
                    return Ok(None);
                }
                if self.pos > 0 {
                    self.buf.copy_within(self.pos..self.len, 0);
                    self.len -= self.pos;
                    self.pos = 0;
                }
                if self.len == self.buf.len() {
                    if self.buf.len() >= MAX_LINE {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "line {} is longer than {} MiB",
                                self.line + 1,
                                MAX_LINE >> 20
                            ),
                        ));
                    }
                    self.buf.resize(self.buf.len() * 2, 0);
                }
                let n = self.r.read(&mut self.buf[self.len..])?;
                if n == 0 {
                    self.eof = true;
                }
                self.len += n;
            };
            self.line += 1;
            if end > start && self.buf[end - 1] == b'\r' {
                end -= 1;
            }
            if skip_blank && self.buf[start..end].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some((start, end)));
        }
    }
}

/// What a file is, judged from its first bytes and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// cryptofeed raw recording (`<recv_epoch_s>: <json>` lines).
    Cryptofeed,
    /// data.binance.vision trades CSV (header optional).
    BinanceTrades { header: bool },
    /// data.binance.vision aggTrades CSV.
    BinanceAggTrades { header: bool },
    /// data.binance.vision klines CSV.
    BinanceKlines { header: bool },
    /// Binance depth rows `symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu`.
    BinanceDepthCsv,
    /// Tardis.dev CSV (`exchange,symbol,timestamp,local_timestamp,…`).
    Tardis,
    /// Headerless `time,price,amount` trades without IDs (Kraken exports).
    TradesNoId,
    /// Any CSV with a header line.
    Csv,
    /// A JSON array (freqtrade trades or candles), possibly gzipped.
    Json,
    /// Arrow IPC file (feather v2).
    ArrowIpc,
    /// Parquet.
    Parquet,
}

impl Format {
    /// Short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Cryptofeed => "cryptofeed",
            Format::BinanceTrades { .. } => "binance-trades-csv",
            Format::BinanceAggTrades { .. } => "binance-aggtrades-csv",
            Format::BinanceKlines { .. } => "binance-klines-csv",
            Format::BinanceDepthCsv => "binance-depth-csv",
            Format::Tardis => "tardis-csv",
            Format::TradesNoId => "trades-csv-without-ids",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::ArrowIpc => "arrow-ipc",
            Format::Parquet => "parquet",
        }
    }
}

/// Recognises a file's format.
///
/// # Errors
/// I/O errors, and [`Error::Unsupported`] for content that is none of the
/// formats above.
pub fn sniff(path: &Path) -> Result<Format, Error> {
    let mut raw = File::open(path).map_err(|e| Error::io(path, e))?;
    let magic = peek(&mut raw, 8).map_err(|e| Error::io(path, e))?;
    if magic.starts_with(b"ARROW1") {
        return Ok(Format::ArrowIpc);
    }
    if magic.starts_with(b"PAR1") {
        return Ok(Format::Parquet);
    }
    let mut lines = Lines::new(open(path)?);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut first = None;
    while let Some((_, l)) = lines.next_line().map_err(|e| Error::io(path, e))? {
        if !crate::sink::trim(l).is_empty() {
            first = Some(l.to_vec());
            break;
        }
    }
    let Some(first) = first else {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: "the file is empty".into(),
        });
    };
    let text = String::from_utf8_lossy(&first);
    let t = text.trim_start();
    if t.starts_with('[') || t.starts_with('{') {
        return Ok(Format::Json);
    }
    if is_cryptofeed_line(t) {
        return Ok(Format::Cryptofeed);
    }
    let fields: Vec<String> = t
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has_letters = fields
        .iter()
        .any(|f| f.bytes().any(|c| c.is_ascii_alphabetic()) && f != "true" && f != "false");
    if has_letters {
        let has = |n: &str| fields.iter().any(|f| f == n);
        if fields.len() >= 4
            && fields[..4] == ["exchange", "symbol", "timestamp", "local_timestamp"]
        {
            return Ok(Format::Tardis);
        }
        if has("first_update_id") && has("last_update_id") {
            return Ok(Format::BinanceDepthCsv);
        }
        if has("agg_trade_id") && has("first_trade_id") {
            return Ok(Format::BinanceAggTrades { header: true });
        }
        if fields.first().is_some_and(|f| f == "open_time") && has("close_time") {
            return Ok(Format::BinanceKlines { header: true });
        }
        if fields.first().is_some_and(|f| f == "id") && has("quote_qty") && has("is_buyer_maker") {
            return Ok(Format::BinanceTrades { header: true });
        }
        return Ok(Format::Csv);
    }
    let is_bool = |f: &str| f == "true" || f == "false";
    let is_int = |f: &str| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit());
    let lname = name.to_ascii_lowercase();
    match fields.len() {
        12 => Ok(Format::BinanceKlines { header: false }),
        7 | 8
            if lname.contains("aggtrades")
                || (is_int(&fields[3]) && is_int(&fields[4]) && is_int(&fields[5])) =>
        {
            Ok(Format::BinanceAggTrades { header: false })
        }
        6 | 7 if is_int(&fields[0]) && is_int(&fields[4]) && is_bool(&fields[5]) => {
            Ok(Format::BinanceTrades { header: false })
        }
        3 if is_int(&fields[0]) => Ok(Format::TradesNoId),
        n => Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "line 1 has {n} columns and no header: not a data.binance.vision trades (6-7), aggTrades (7-8) or klines (12) layout; add a header line naming the columns"
            ),
        }),
    }
}

/// `1633998512.06: {…}` or `wss://… <-> 1633…` / `https://… -> 1633…: {…}`.
pub fn is_cryptofeed_line(t: &str) -> bool {
    if let Some((ts, rest)) = t.split_once(": ")
        && !ts.is_empty()
        && ts.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && (rest.starts_with('{') || rest.starts_with('['))
    {
        return true;
    }
    (t.starts_with("wss://")
        || t.starts_with("ws://")
        || t.starts_with("https://")
        || t.starts_with("http://"))
        && (t.contains(" <-> ") || t.contains(" -> ") || t.contains(" <- "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_crlf_and_last_line_without_break() {
        let mut l = Lines::new(&b"a,b\r\nc\n\nd"[..]);
        let mut got = Vec::new();
        while let Some((n, x)) = l.next_line().unwrap() {
            got.push((n, String::from_utf8(x.to_vec()).unwrap()));
        }
        assert_eq!(
            got,
            vec![
                (1, "a,b".into()),
                (2, "c".into()),
                (3, String::new()),
                (4, "d".into())
            ]
        );
    }

    #[test]
    fn utf16_and_bom_are_decoded() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.csv");
        let mut b = vec![0xFF, 0xFE];
        for u in "1,2\r\n3,4\r\n".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        std::fs::write(&p, &b).unwrap();
        let mut s = String::new();
        open(&p).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "1,2\r\n3,4\r\n");
        std::fs::write(&p, b"\xEF\xBB\xBFid,x\n").unwrap();
        let mut s = String::new();
        open(&p).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "id,x\n");
    }
}
