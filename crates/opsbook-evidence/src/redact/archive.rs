//! Archives inside evidence (gzip, ZIP): opened within depth, size,
//! ratio and member limits.

use std::io::Read;

use serde::Serialize;

/// Limits for archives inside evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArchiveLimits {
    /// Nesting depth (an archive inside an archive is depth 2).
    pub max_depth: u8,
    /// Total decompressed bytes per archive.
    pub max_unpacked_bytes: u64,
    /// Decompressed / compressed ratio (a bomb exceeds it).
    pub max_ratio: u64,
    /// Members per archive.
    pub max_members: usize,
}

impl Default for ArchiveLimits {
    fn default() -> ArchiveLimits {
        ArchiveLimits {
            max_depth: 2,
            max_unpacked_bytes: 256 << 20,
            max_ratio: 200,
            max_members: 2000,
        }
    }
}

pub(super) fn gunzip(
    bytes: &[u8],
    limits: &ArchiveLimits,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let cap = limits.max_unpacked_bytes.min(
        (bytes.len() as u64)
            .saturating_mul(limits.max_ratio)
            .max(1 << 20),
    );
    let mut out = Vec::new();
    let mut d = flate2::read::MultiGzDecoder::new(bytes).take(cap + 1);
    d.read_to_end(&mut out)
        .map_err(|e| format!("gzip stream cannot be read ({e}): not scanned"))?;
    if out.len() as u64 > cap {
        return Err(format!(
            "gzip expands beyond {} bytes (limit {} bytes or {}x its size): a decompression bomb or too large to scan",
            cap, limits.max_unpacked_bytes, limits.max_ratio
        ));
    }
    Ok(vec![("(gzip content)".into(), out)])
}

pub(super) fn unzip(
    bytes: &[u8],
    limits: &ArchiveLimits,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("ZIP cannot be read ({e}): not scanned"))?;
    if z.len() > limits.max_members {
        return Err(format!(
            "ZIP has {} members (limit {}): not scanned",
            z.len(),
            limits.max_members
        ));
    }
    let cap = limits.max_unpacked_bytes.min(
        (bytes.len() as u64)
            .saturating_mul(limits.max_ratio)
            .max(1 << 20),
    );
    let mut total = 0u64;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z
            .by_index(i)
            .map_err(|e| format!("ZIP member {i} cannot be read ({e}): not scanned"))?;
        if f.is_dir() {
            continue;
        }
        let name = f
            .name()
            .map_or_else(|_| format!("member {i}"), |n| n.to_string());
        if f.encrypted() {
            return Err(format!(
                "ZIP member `{name}` is encrypted: cannot be scanned"
            ));
        }
        let mut buf = Vec::new();
        let room = cap.saturating_sub(total);
        Read::by_ref(&mut f)
            .take(room + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("ZIP member `{name}` cannot be read ({e}): not scanned"))?;
        total += buf.len() as u64;
        if total > cap {
            return Err(format!(
                "ZIP expands beyond {cap} bytes (limit {} bytes or {}x its size): a decompression bomb or too large to scan",
                limits.max_unpacked_bytes, limits.max_ratio
            ));
        }
        out.push((name, buf));
    }
    Ok(out)
}
