//! Where a sealed bundle goes (D-EVD-SPOOL): a directory or UNC share, or
//! an S3-compatible bucket — parsed and displayed without a credential —
//! and the drill switch `OPSBOOK_FAULT`. Below both the spool
//! ([`crate::deliver`]) and the S3 client ([`crate::s3`]), which use it.

use std::path::PathBuf;

/// A destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A directory or UNC share.
    Dir(PathBuf),
    /// S3-compatible object storage (see [`crate::s3`]).
    S3(S3Target),
}

/// An S3-compatible bucket and key prefix. Never holds a secret: credentials
/// come from the environment (see [`crate::s3`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix (`bundles/`); may be empty.
    pub prefix: String,
    /// Endpoint URL (`https://s3.ap-northeast-1.amazonaws.com`, a MinIO
    /// URL); `None`: `AWS_ENDPOINT_URL` or AWS itself.
    pub endpoint: Option<String>,
    /// Region; `None`: `AWS_REGION` or `us-east-1`.
    pub region: Option<String>,
    /// `env:NAME` (reads `NAME_ACCESS_KEY_ID`, `NAME_SECRET_ACCESS_KEY`);
    /// `None`: the standard `AWS_*` variables.
    pub credentials_ref: Option<String>,
}

impl S3Target {
    /// `s3://bucket/prefix`, with the endpoint when one is set (credentials
    /// and query strings stripped).
    #[must_use]
    pub fn display(&self) -> String {
        let base = format!(
            "s3://{}/{}",
            self.bucket,
            self.prefix.trim_start_matches('/')
        );
        match self.effective_endpoint() {
            Some(e) => format!("{base} at {}", strip_credentials(&e)),
            None => base,
        }
    }

    /// The endpoint used: the configured one, else `AWS_ENDPOINT_URL_S3`,
    /// `AWS_ENDPOINT_URL` or `AWS_ENDPOINT`; `None`: AWS itself.
    #[must_use]
    pub fn effective_endpoint(&self) -> Option<String> {
        opsbook_core::s3env::endpoint(self.endpoint.as_deref())
    }
}

impl Destination {
    /// Parses `DIR`, `\\server\share\dir` or `s3://bucket/prefix` (any
    /// `user:secret@` in an S3 URL is ignored: credentials come from the
    /// environment).
    #[must_use]
    pub fn parse(s: &str) -> Destination {
        if s.to_ascii_lowercase().starts_with("s3://") {
            let rest = &strip_credentials(s)[5..];
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            Destination::S3(S3Target {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
                endpoint: None,
                region: None,
                credentials_ref: None,
            })
        } else {
            Destination::Dir(PathBuf::from(s))
        }
    }

    /// For logs and custody: never a credential (`user:secret@` is dropped,
    /// query strings are cut).
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Destination::Dir(p) => p.display().to_string(),
            Destination::S3(t) => t.display(),
        }
    }
}

/// Drops `user:password@` and any query string from a URL-like string.
#[must_use]
pub fn strip_credentials(s: &str) -> String {
    let no_query = s.split(['?', '#']).next().unwrap_or(s);
    if let Some(i) = no_query.find("://") {
        let rest = &no_query[i + 3..];
        let host_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..host_end].rfind('@') {
            return format!("{}://{}", &no_query[..i], &rest[at + 1..]);
        }
    }
    no_query.to_string()
}

/// Whether `OPSBOOK_FAULT` injects a failure at `step` (tests and drills).
pub(crate) fn fault(step: &str) -> bool {
    std::env::var("OPSBOOK_FAULT").is_ok_and(|f| f == step)
}
