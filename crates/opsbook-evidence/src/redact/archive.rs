//! Archives inside evidence (D-EVD-LIMITS): gzip, ZIP and tar, recognised by
//! their content (magic bytes, the ustar header or a valid tar header
//! checksum), never their name, nested in any order (a `.tgz`, a tar inside
//! a ZIP), opened within depth, size, ratio and member limits.
//!
//! Every member is scanned like a file of its own. When something is
//! redacted inside, the archive is rebuilt around the redacted members:
//! the other members are copied as they were (a ZIP member's compressed
//! bytes, a tar member's header and extension records), a redacted member
//! keeps its name, time and mode. A member that cannot be scanned, or a
//! member name that holds a secret, excludes the whole archive with the
//! reason; nothing inside is shipped unscanned.

use std::cell::Cell;
use std::io::{Read, Write};
use std::time::Instant;

use serde::Serialize;

use super::SecretValues;
use super::outcome::{Encoding, FileOutcome};
use super::rules::RuleSet;

/// Limits for archives inside evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArchiveLimits {
    /// Nesting depth: a `.tgz` is 2 (gzip, then tar), a `.tgz` inside a ZIP 3.
    pub max_depth: u8,
    /// Decompressed bytes per collected file, all levels together.
    pub max_unpacked_bytes: u64,
    /// Decompressed / compressed ratio of one stream (a bomb exceeds it).
    pub max_ratio: u64,
    /// Members per archive.
    pub max_members: usize,
}

impl Default for ArchiveLimits {
    fn default() -> ArchiveLimits {
        ArchiveLimits {
            max_depth: 4,
            max_unpacked_bytes: 256 << 20,
            max_ratio: 200,
            max_members: 2000,
        }
    }
}

/// An archive format opsbook opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Gzip,
    Zip,
    Tar,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Gzip => "gzip",
            Kind::Zip => "ZIP",
            Kind::Tar => "tar",
        }
    }
}

/// The archive format of `b`, by content.
pub(super) fn kind(b: &[u8]) -> Option<Kind> {
    if b.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::Gzip)
    } else if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if is_tar(b) {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// A tar archive: the first 512-byte header says `ustar` at byte 257 (POSIX
/// and GNU), or (an old v7 tar) its checksum field holds the sum of its
/// bytes, counted with the checksum field as spaces.
fn is_tar(b: &[u8]) -> bool {
    if b.len() < 512 {
        return false;
    }
    if &b[257..262] == b"ustar" {
        return true;
    }
    let h = &b[..512];
    if h[0] == 0 {
        return false;
    }
    let sum: u32 = h
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(c)
            }
        })
        .sum();
    let field = std::str::from_utf8(&h[148..156])
        .ok()
        .map(|f| f.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|f| u32::from_str_radix(f, 8).ok());
    field == Some(sum)
}

/// Compressed or archive formats opsbook does not open, by magic bytes: a
/// clearer reason than "binary" for what an operator can unpack first.
pub(super) fn unsupported(b: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (&[0xFD, b'7', b'z', b'X', b'Z', 0x00], "xz"),
        (&[0x28, 0xB5, 0x2F, 0xFD], "zstd"),
        (b"BZh", "bzip2"),
        (&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C], "7-Zip"),
        (b"Rar!\x1a\x07", "RAR"),
        (&[0x04, 0x22, 0x4D, 0x18], "LZ4"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| b.starts_with(m))
        .map(|(_, n)| *n)
}

/// What one file's scan shares across nesting levels.
pub(super) struct Ctx<'a> {
    pub(super) limits: &'a ArchiveLimits,
    pub(super) deadline: Option<Instant>,
    /// Build the redacted output (else only the hits).
    pub(super) build: bool,
    /// Decompressed bytes still allowed.
    pub(super) room: Cell<u64>,
}

impl Ctx<'_> {
    /// Takes `n` decompressed bytes from the budget.
    fn take(&self, n: u64, what: &str) -> Result<(), String> {
        let room = self.room.get();
        if n > room {
            return Err(format!(
                "{what} expands beyond the {} bytes a collected file may unpack to (a decompression bomb or too large to scan): not scanned",
                self.limits.max_unpacked_bytes
            ));
        }
        self.room.set(room - n);
        Ok(())
    }
}

/// One member's outcome inside an archive.
struct Member {
    /// Redacted bytes (when something was redacted and `build`).
    new: Option<Vec<u8>>,
}

impl RuleSet {
    /// Scans (and with `ctx.build` redacts) an archive of `kind`.
    pub(super) fn archive(
        &self,
        kind: Kind,
        bytes: &[u8],
        ctx: &Ctx<'_>,
        depth: u8,
    ) -> FileOutcome {
        let excluded = |reason: String| FileOutcome::Excluded { reason };
        if depth > ctx.limits.max_depth {
            return excluded(format!(
                "{} archive nested deeper than {} levels (limits: archives inside archives): not scanned",
                kind.name(),
                ctx.limits.max_depth
            ));
        }
        let mut hits = Vec::new();
        let mut values = SecretValues::default();
        // Scans one member; `Err` excludes the archive.
        let mut member = |name: &str, inner: &[u8]| -> Result<Member, String> {
            if let Ok(h) = self.scan(name, ctx.deadline)
                && let Some(h) = h.first()
            {
                return Err(format!(
                    "{} member name `{}` holds a secret ({}): extract the archive and collect its files",
                    kind.name(),
                    self.scrub(name),
                    h.rule
                ));
            }
            match self.file_at(inner, ctx, depth + 1) {
                FileOutcome::Excluded { reason } => Err(format!(
                    "{} member `{}`: {reason}",
                    kind.name(),
                    self.scrub(name)
                )),
                FileOutcome::Kept {
                    bytes,
                    hits: h,
                    values: v,
                    ..
                } => {
                    let changed = !h.is_empty();
                    hits.extend(h.into_iter().map(|mut x| {
                        x.member = Some(match x.member {
                            Some(m) => format!("{name} > {m}"),
                            None => name.to_string(),
                        });
                        x
                    }));
                    values.extend(&v);
                    Ok(Member {
                        new: (changed && ctx.build).then_some(bytes),
                    })
                }
            }
        };
        let rebuilt = match kind {
            Kind::Gzip => gzip(bytes, ctx, &mut member),
            Kind::Zip => zip(bytes, ctx, &mut member),
            Kind::Tar => tar(bytes, ctx, &mut member),
        };
        match rebuilt {
            Err(reason) => excluded(reason),
            Ok(new) => FileOutcome::Kept {
                bytes: match new {
                    Some(b) => b,
                    None if ctx.build => bytes.to_vec(),
                    None => Vec::new(),
                },
                encoding: match kind {
                    Kind::Gzip => Encoding::Gzip,
                    Kind::Zip => Encoding::Zip,
                    Kind::Tar => Encoding::Tar,
                },
                hits,
                values,
            },
        }
    }
}

type Scan<'f> = dyn FnMut(&str, &[u8]) -> Result<Member, String> + 'f;

/// The most a stream of `len` compressed bytes may expand to.
fn ratio_cap(len: usize, limits: &ArchiveLimits) -> u64 {
    (len as u64).saturating_mul(limits.max_ratio).max(1 << 20)
}

/// A gzip stream (all members): its content scanned; recompressed around the
/// redacted content, keeping the stored file name and time.
fn gzip(bytes: &[u8], ctx: &Ctx<'_>, scan: &mut Scan<'_>) -> Result<Option<Vec<u8>>, String> {
    let cap = ratio_cap(bytes.len(), ctx.limits).min(ctx.room.get());
    let mut d = flate2::read::MultiGzDecoder::new(bytes);
    let mut out = Vec::new();
    Read::by_ref(&mut d)
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip stream cannot be read ({e}): not scanned"))?;
    if out.len() as u64 > cap {
        return Err(format!(
            "gzip expands beyond {cap} bytes (limit {} bytes or {}x its size): a decompression bomb or too large to scan",
            ctx.limits.max_unpacked_bytes, ctx.limits.max_ratio
        ));
    }
    ctx.take(out.len() as u64, "gzip")?;
    let header = d.header().cloned();
    let name = header.as_ref().and_then(|h| h.filename()).map_or_else(
        || "(gzip content)".to_string(),
        |n| String::from_utf8_lossy(n).into_owned(),
    );
    let m = scan(&name, &out)?;
    let Some(new) = m.new else { return Ok(None) };
    let mut b = flate2::GzBuilder::new().mtime(header.as_ref().map_or(0, flate2::GzHeader::mtime));
    if let Some(n) = header.as_ref().and_then(|h| h.filename()) {
        b = b.filename(n);
    }
    let mut e = b.write(Vec::new(), flate2::Compression::default());
    e.write_all(&new)
        .and_then(|()| e.finish())
        .map(Some)
        .map_err(|e| format!("gzip cannot be rebuilt ({e}): not shipped"))
}

/// A ZIP archive: every member scanned; rebuilt with the redacted members
/// written anew (same name, time, mode and method) and the others copied
/// compressed as they were.
fn zip(bytes: &[u8], ctx: &Ctx<'_>, scan: &mut Scan<'_>) -> Result<Option<Vec<u8>>, String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("ZIP cannot be read ({e}): not scanned"))?;
    if z.len() > ctx.limits.max_members {
        return Err(format!(
            "ZIP has {} members (limit {}): not scanned",
            z.len(),
            ctx.limits.max_members
        ));
    }
    let cap = ratio_cap(bytes.len(), ctx.limits);
    let mut total = 0u64;
    let mut new: Vec<Option<Vec<u8>>> = vec![None; z.len()];
    for (i, slot) in new.iter_mut().enumerate() {
        let mut f = z
            .by_index(i)
            .map_err(|e| format!("ZIP member {i} cannot be read ({e}): not scanned"))?;
        let name = f
            .name()
            .map_or_else(|_| format!("member {i}"), |n| n.to_string());
        if f.is_dir() {
            continue;
        }
        if f.encrypted() {
            return Err(format!(
                "ZIP member `{name}` is encrypted: cannot be scanned"
            ));
        }
        let mut buf = Vec::new();
        let room = cap.saturating_sub(total).min(ctx.room.get());
        Read::by_ref(&mut f)
            .take(room + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("ZIP member `{name}` cannot be read ({e}): not scanned"))?;
        total += buf.len() as u64;
        if total > cap {
            return Err(format!(
                "ZIP expands beyond {cap} bytes (limit {} bytes or {}x its size): a decompression bomb or too large to scan",
                ctx.limits.max_unpacked_bytes, ctx.limits.max_ratio
            ));
        }
        ctx.take(buf.len() as u64, "ZIP")?;
        drop(f);
        *slot = scan(&name, &buf)?.new;
    }
    if new.iter().all(Option::is_none) {
        return Ok(None);
    }
    let fail = |e: &dyn std::fmt::Display| format!("ZIP cannot be rebuilt ({e}): not shipped");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, content) in new.into_iter().enumerate() {
        match content {
            None => {
                let f = z.by_index_raw(i).map_err(|e| fail(&e))?;
                w.raw_copy_file(f).map_err(|e| fail(&e))?;
            }
            Some(content) => {
                let f = z.by_index(i).map_err(|e| fail(&e))?;
                let name = f.name().map_err(|e| fail(&e))?.to_string();
                let mut o = zip::write::SimpleFileOptions::default()
                    .compression_method(match f.compression() {
                        zip::CompressionMethod::Stored => zip::CompressionMethod::Stored,
                        _ => zip::CompressionMethod::Deflated,
                    })
                    .large_file(content.len() as u64 >= u64::from(u32::MAX));
                if let Some(t) = f.last_modified() {
                    o = o.last_modified_time(t);
                }
                if let Some(m) = f.unix_mode() {
                    o = o.unix_permissions(m & 0o7777);
                }
                drop(f);
                w.start_file(name, o).map_err(|e| fail(&e))?;
                w.write_all(&content).map_err(|e| fail(&e))?;
            }
        }
    }
    if !z.comment().is_empty() {
        w.set_raw_comment(z.comment().into())
            .map_err(|e| fail(&e))?;
    }
    w.finish()
        .map(|c| Some(c.into_inner()))
        .map_err(|e| fail(&e))
}

/// A tar archive: every member with content scanned; rebuilt by copying
/// the original bytes and replacing, for each redacted member, only its
/// header's size and checksum and its content (names, extension records,
/// links and the end-of-archive blocks stay byte for byte).
fn tar(bytes: &[u8], ctx: &Ctx<'_>, scan: &mut Scan<'_>) -> Result<Option<Vec<u8>>, String> {
    let bad = |e: &dyn std::fmt::Display| format!("tar cannot be read ({e}): not scanned");
    let mut a = tar::Archive::new(bytes);
    // (header position, content position, content size, new content)
    let mut changed: Vec<(u64, u64, u64, Vec<u8>)> = Vec::new();
    let mut n = 0usize;
    for e in a.entries().map_err(|e| bad(&e))? {
        let mut e = e.map_err(|e| bad(&e))?;
        n += 1;
        if n > ctx.limits.max_members {
            return Err(format!(
                "tar has more than {} members (limit): not scanned",
                ctx.limits.max_members
            ));
        }
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let size = e.size();
        if size == 0 {
            continue;
        }
        let kind = e.header().entry_type();
        let pax_size = e
            .pax_extensions()
            .ok()
            .flatten()
            .is_some_and(|mut x| x.any(|r| r.is_ok_and(|r| r.key_bytes() == b"size")));
        ctx.take(size, "tar")?;
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        e.read_to_end(&mut buf)
            .map_err(|err| format!("tar member `{name}` cannot be read ({err}): not scanned"))?;
        let (hp, fp) = (e.raw_header_position(), e.raw_file_position());
        if let Some(new) = scan(&name, &buf)?.new {
            if !(kind.is_file() || kind.is_contiguous()) || pax_size {
                return Err(format!(
                    "tar member `{name}` holds secrets but is stored as {} (its content cannot be rewritten in place): extract it and collect the file itself",
                    if pax_size {
                        "a PAX-sized entry"
                    } else {
                        "a sparse or special entry"
                    }
                ));
            }
            changed.push((hp, fp, size, new));
        }
    }
    if changed.is_empty() {
        return Ok(None);
    }
    let pad = |n: u64| n.div_ceil(512) * 512;
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0usize;
    for (hp, fp, size, new) in changed {
        let (hp, fp) = (
            usize::try_from(hp).unwrap_or(usize::MAX),
            usize::try_from(fp).unwrap_or(usize::MAX),
        );
        let end = fp.saturating_add(usize::try_from(pad(size)).unwrap_or(usize::MAX));
        if hp < at || hp + 512 > bytes.len() || end > bytes.len() {
            return Err(
                "tar cannot be rebuilt (member positions out of order): not shipped".into(),
            );
        }
        out.extend_from_slice(&bytes[at..hp]);
        let mut h = tar::Header::from_byte_slice(&bytes[hp..hp + 512]).clone();
        h.set_size(new.len() as u64);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&new);
        out.resize(out.len() + (pad(new.len() as u64) as usize - new.len()), 0);
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
    Ok(Some(out))
}
