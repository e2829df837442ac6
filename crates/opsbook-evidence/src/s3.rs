//! S3-compatible object storage as a delivery destination (D-EVD-SPOOL),
//! through the Apache Arrow project's `object_store` crate.
//!
//! A bundle goes to `s3://BUCKET/PREFIX/EVB-….zip` (plus `.zip.sha256` and
//! `.zip.minisig`). The ZIP is uploaded streamed (multipart in 8 MiB parts
//! above 8 MiB, so memory stays bounded), then read back streamed and its
//! SHA-256 compared: only a verified object counts as delivered. An upload
//! cut short leaves no object at the key (an incomplete multipart upload is
//! invisible until completed; a bucket lifecycle rule should expire them),
//! and an object already there with the right hash is not uploaded twice.
//!
//! Credentials never come from the SSOT: either the standard `AWS_*`
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`), or a policy's
//! `credentials_ref: env:NAME`, which reads `NAME_ACCESS_KEY_ID`,
//! `NAME_SECRET_ACCESS_KEY` and optionally `NAME_SESSION_TOKEN`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::destination::{S3Target, fault};
use opsbook_core::causes::one_line as chain;

/// Part size for multipart uploads and the single-request limit (bytes).
const PART: usize = 8 * 1024 * 1024;

/// The object key of `file_name` under the target's prefix.
#[must_use]
pub fn key(t: &S3Target, file_name: &str) -> String {
    let p = t.prefix.trim_matches('/');
    if p.is_empty() {
        file_name.to_string()
    } else {
        format!("{p}/{file_name}")
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))
}

/// Builds the store for a target.
///
/// # Errors
/// A credentials reference that is not `env:NAME` or names unset
/// variables, or a configuration `object_store` rejects.
pub fn store(t: &S3Target) -> Result<Arc<dyn ObjectStore>, String> {
    let retry = RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(60),
        ..RetryConfig::default()
    };
    // Client options first: setting them later would reset `allow_http`.
    let opts = ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(10))
        .with_timeout(Duration::from_secs(300));
    let mut b = AmazonS3Builder::from_env()
        .with_client_options(opts)
        .with_retry(retry)
        .with_bucket_name(&t.bucket);
    if let Some(r) = &t.region {
        b = b.with_region(r);
    } else if std::env::var_os("AWS_REGION").is_none()
        && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        b = b.with_region("us-east-1");
    }
    let endpoint = t.effective_endpoint();
    if let Some(e) = &endpoint {
        b = b
            .with_endpoint(e)
            // An explicitly configured plain-HTTP endpoint (MinIO on a
            // private network, a test server) is what the operator asked for.
            .with_allow_http(e.to_ascii_lowercase().starts_with("http://"));
    }
    if let Some(c) = opsbook_core::s3env::credentials(t.credentials_ref.as_deref())? {
        b = b
            .with_access_key_id(c.access_key_id)
            .with_secret_access_key(c.secret_access_key);
        if let Some(tok) = c.session_token {
            b = b.with_token(tok);
        }
    }
    let s = b.build().map_err(|e| format!("S3 configuration: {e}"))?;
    Ok(Arc::new(s))
}

/// Adds what to do to the S3 errors an operator meets first.
fn explain(e: &str, t: &S3Target) -> String {
    if e.contains("169.254.169.254") {
        format!(
            "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or credentials_ref: env:NAME in the policy destination); no instance metadata service answered either ({e})"
        )
    } else if e.contains("NoSuchBucket") || e.contains("404 Not Found") {
        format!(
            "bucket `{}` not found at {} (or the key cannot be written): {e}",
            t.bucket,
            t.effective_endpoint().map_or_else(
                || "AWS".to_string(),
                |x| crate::destination::strip_credentials(&x)
            )
        )
    } else {
        e.to_string()
    }
}

async fn remote_sha256(store: &dyn ObjectStore, key: &Key) -> Result<(String, u64), String> {
    let r = store
        .get(key)
        .await
        .map_err(|e| format!("{key}: cannot read back for verification: {}", chain(&e)))?;
    let mut stream = r.into_stream();
    let mut h = Sha256::new();
    let mut n = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("{key}: read back: {}", chain(&e)))?;
        n += chunk.len() as u64;
        h.update(&chunk);
    }
    Ok((hex(&h.finalize()), n))
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter().fold(String::with_capacity(64), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// Uploads `src` to `key` streamed; with `half_then_fail` (fault
/// injection) stops after half the bytes without completing the upload.
async fn upload(
    store: &dyn ObjectStore,
    src: &Path,
    key: &Key,
    half_then_fail: bool,
) -> Result<(), String> {
    let err = |e: &object_store::Error| format!("{key}: upload: {}", chain(e));
    let mut f = std::fs::File::open(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let len = f
        .metadata()
        .map_err(|e| format!("{}: {e}", src.display()))?
        .len();
    if !half_then_fail && len <= PART as u64 {
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        f.read_to_end(&mut buf)
            .map_err(|e| format!("{}: {e}", src.display()))?;
        store.put(key, buf.into()).await.map_err(|e| err(&e))?;
        return Ok(());
    }
    let up = store.put_multipart(key).await.map_err(|e| err(&e))?;
    let mut w = WriteMultipart::new_with_chunk_size(up, PART);
    let limit = if half_then_fail { len / 2 } else { len };
    let mut buf = vec![0u8; 1024 * 1024];
    let mut sent = 0u64;
    while sent < limit {
        let want = usize::try_from((limit - sent).min(buf.len() as u64)).unwrap_or(buf.len());
        let step = match f.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => w
                .wait_for_capacity(2)
                .await
                .map(|()| n)
                .map_err(|e| err(&e)),
            Err(e) => Err(format!("{}: {e}", src.display())),
        };
        match step {
            Ok(n) => {
                w.write(&buf[..n]);
                sent += n as u64;
            }
            Err(e) => {
                // Best effort: do not leave the parts stored and billed.
                let _ = w.abort().await;
                return Err(e);
            }
        }
    }
    if half_then_fail {
        // A connection lost mid-upload: the upload is never completed, so
        // no object appears at the key.
        drop(w);
        return Err(format!(
            "{key}: injected failure mid-upload after {sent} of {len} bytes"
        ));
    }
    w.finish().await.map_err(|e| err(&e))?;
    Ok(())
}

/// Delivers `files` (the ZIP first, then its side files) under `prefix` and
/// verifies the ZIP's SHA-256 by reading it back. Returns the ZIP's key.
///
/// # Errors
/// A message naming the step that failed (upload, read back, mismatch).
pub async fn deliver_to(
    store: &dyn ObjectStore,
    prefix_key: impl Fn(&str) -> String,
    files: &[PathBuf],
    sha256: &str,
) -> Result<String, String> {
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| format!("{}: no file name", p.display()))
    };
    let zip = files.first().ok_or("no bundle file")?;
    let zip_key = Key::from(prefix_key(&name(zip)?));
    let local_len = std::fs::metadata(zip)
        .map_err(|e| format!("{}: {e}", zip.display()))?
        .len();
    // Already there and verified: idempotent. A different object under the
    // same key is never overwritten.
    let already = match store.head(&zip_key).await {
        Ok(_) => {
            let (h, _) = remote_sha256(store, &zip_key).await?;
            if h != sha256 {
                return Err(format!(
                    "{zip_key}: a different object (SHA-256 {h}) already has this key: not overwritten"
                ));
            }
            true
        }
        Err(_) => false,
    };
    if !already {
        upload(store, zip, &zip_key, fault("mid-upload")).await?;
    }
    // Side files are small and may be missing after an interrupted attempt.
    for f in files.iter().skip(1) {
        upload(store, f, &Key::from(prefix_key(&name(f)?)), false).await?;
    }
    if !already {
        if fault("abort-after-copy") {
            std::process::abort();
        }
        if fault("before-verify") {
            return Err(format!(
                "{zip_key}: injected failure after upload, before verification"
            ));
        }
    }
    let (h, n) = remote_sha256(store, &zip_key).await?;
    if h != sha256 || n != local_len {
        return Err(format!(
            "{zip_key}: the destination copy's SHA-256 is {h} ({n} bytes), expected {sha256} ({local_len} bytes)"
        ));
    }
    Ok(zip_key.to_string())
}

/// Delivers a bundle to an S3 target; returns `s3://bucket/key`.
///
/// # Errors
/// As [`deliver_to`], plus configuration and connection errors.
pub fn deliver(files: &[PathBuf], sha256: &str, t: &S3Target) -> Result<String, String> {
    if fault("unreachable") {
        return Err(format!(
            "{}: injected failure: destination unreachable",
            t.display()
        ));
    }
    let store = store(t)?;
    let k = runtime()?
        .block_on(deliver_to(store.as_ref(), |n| key(t, n), files, sha256))
        .map_err(|e| explain(&e, t))?;
    Ok(format!("s3://{}/{k}", t.bucket))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn bundle(dir: &Path, bytes: usize) -> (Vec<PathBuf>, String) {
        let zip = dir.join("EVB-T.zip");
        let data: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
        std::fs::write(&zip, &data).expect("write");
        let sha = hex(&Sha256::digest(&data));
        let side = dir.join("EVB-T.zip.sha256");
        std::fs::write(&side, format!("{sha}  EVB-T.zip\n")).expect("write");
        (vec![zip, side], sha)
    }

    #[test]
    fn multipart_upload_verifies_and_is_idempotent() {
        let d = tempfile::tempdir().expect("tempdir");
        // Three parts: streamed, never whole in memory.
        let (files, sha) = bundle(d.path(), 2 * PART + 12345);
        let store = InMemory::new();
        let rt = runtime().expect("rt");
        let k = rt
            .block_on(deliver_to(&store, |n| format!("b/{n}"), &files, &sha))
            .expect("deliver");
        assert_eq!(k, "b/EVB-T.zip");
        let (h, n) = rt
            .block_on(remote_sha256(&store, &Key::from("b/EVB-T.zip")))
            .expect("read back");
        assert_eq!((h.as_str(), n), (sha.as_str(), 2 * PART as u64 + 12345));
        // A second delivery finds it verified and changes nothing.
        let k2 = rt
            .block_on(deliver_to(&store, |n| format!("b/{n}"), &files, &sha))
            .expect("again");
        assert_eq!(k2, k);
        // A wrong expected hash is named, never accepted.
        let e = rt
            .block_on(deliver_to(
                &store,
                |n| format!("c/{n}"),
                &files,
                &"0".repeat(64),
            ))
            .expect_err("mismatch");
        assert!(e.contains("expected 0000"), "{e}");
    }

    #[test]
    fn keys_join_the_prefix_once() {
        let t = S3Target {
            bucket: "b".into(),
            prefix: "/bundles/".into(),
            endpoint: None,
            region: None,
            credentials_ref: None,
        };
        assert_eq!(key(&t, "EVB-1.zip"), "bundles/EVB-1.zip");
        let t = S3Target {
            prefix: String::new(),
            ..t
        };
        assert_eq!(key(&t, "EVB-1.zip"), "EVB-1.zip");
    }

    #[test]
    fn credentials_ref_must_be_env_and_set() {
        let t = S3Target {
            bucket: "b".into(),
            prefix: String::new(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: None,
            credentials_ref: Some("vault:secret/s3".into()),
        };
        let e = store(&t).expect_err("vault");
        assert!(e.contains("only env:NAME"), "{e}");
        let t = S3Target {
            credentials_ref: Some("env:OPSBOOK_TEST_UNSET_CRED".into()),
            ..t
        };
        let e = store(&t).expect_err("unset");
        assert!(e.contains("OPSBOOK_TEST_UNSET_CRED_ACCESS_KEY_ID"), "{e}");
    }
}
