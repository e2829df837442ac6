//! The shared backend: one object per lease on S3-compatible storage
//! (`<prefix>/<name>.lease.json`), replaced only by conditional writes —
//! `If-None-Match: *` to create it, `If-Match: <ETag>` to update it —
//! through `object_store`'s `PutMode::Create` / `PutMode::Update`. Two
//! hosts that read the same version can never both replace it: the store
//! accepts one and answers `412 Precondition Failed` to the other.
//!
//! An ambiguous answer (a timeout, a `412` to a request the client retried
//! after the first attempt had in fact succeeded) is resolved by reading the
//! object back: every record carries a unique `write_id`, so our own write
//! is recognised and never mistaken for a lost race (or the reverse).
//!
//! Operations are blocking (a private single-thread runtime) and bounded:
//! a 5 s connect and request timeout and at most 2 retries within 10 s, so a
//! renewal every 10 s cannot pile up. Do not call from inside a tokio
//! runtime. [`S3Store::self_test`] proves the store honours both
//! conditions before it is trusted with a lease (some S3-compatible servers
//! silently ignore them).

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{
    ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
    UpdateVersion,
};

use crate::model::Record;
use crate::store::{Store, StoreError, Stored, Version, encode_record, parse_record};

/// Where the leases are and how to reach them. Secrets are never read from
/// the SSOT: pass them resolved (the ops layer reads `credentials_ref:
/// env:NAME` as for evidence destinations), or leave them `None` for the
/// standard `AWS_*` environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Config {
    /// Bucket.
    pub bucket: String,
    /// Key prefix (`leases/`); may be empty.
    pub prefix: String,
    /// Endpoint URL (MinIO, a test server); `None`: `AWS_ENDPOINT_URL` or AWS.
    pub endpoint: Option<String>,
    /// Region; `None`: `AWS_REGION` or `us-east-1`.
    pub region: Option<String>,
    /// Access key ID.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Session token.
    pub session_token: Option<String>,
}

/// Leases on S3-compatible storage (or any `object_store` with conditional
/// puts, such as its in-memory store in tests).
pub struct S3Store {
    rt: tokio::runtime::Runtime,
    store: Arc<dyn ObjectStore>,
    prefix: String,
    describe: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("at", &self.describe)
            .finish_non_exhaustive()
    }
}

/// An error with its causes in one line ("error sending request: connection
/// refused"), each cause once. (The same helper exists in opsbook-time and
/// opsbook-evidence; it belongs in opsbook-core.)
fn chain(e: &dyn std::error::Error) -> String {
    std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .fold(String::new(), |acc, m| match acc.is_empty() {
            true => m,
            false if acc.contains(&m) => acc,
            false => format!("{acc}: {m}"),
        })
}

fn runtime() -> Result<tokio::runtime::Runtime, StoreError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Backend(format!("cannot start the I/O runtime: {e}")))
}

impl S3Store {
    /// Connects to the bucket of `cfg` (nothing is sent yet).
    ///
    /// # Errors
    /// A configuration `object_store` rejects.
    pub fn new(cfg: &S3Config) -> Result<S3Store, StoreError> {
        let opts = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(5));
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(10),
            ..RetryConfig::default()
        };
        let mut b = AmazonS3Builder::from_env()
            .with_client_options(opts)
            .with_retry(retry)
            .with_bucket_name(&cfg.bucket);
        b = match &cfg.region {
            Some(r) => b.with_region(r),
            None if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none() =>
            {
                b.with_region("us-east-1")
            }
            None => b,
        };
        if let Some(e) = &cfg.endpoint {
            b = b
                .with_endpoint(e)
                .with_allow_http(e.to_ascii_lowercase().starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&cfg.access_key_id, &cfg.secret_access_key) {
            b = b.with_access_key_id(id).with_secret_access_key(secret);
            if let Some(t) = &cfg.session_token {
                b = b.with_token(t);
            }
        }
        let store = b
            .build()
            .map_err(|e| StoreError::Backend(format!("S3 configuration: {}", chain(&e))))?;
        let prefix = cfg.prefix.trim_matches('/').to_string();
        let describe = if prefix.is_empty() {
            format!("s3://{}", cfg.bucket)
        } else {
            format!("s3://{}/{prefix}", cfg.bucket)
        };
        Ok(S3Store {
            rt: runtime()?,
            store: Arc::new(store),
            prefix,
            describe,
        })
    }

    /// Leases in any `object_store` (tests: `object_store::memory::InMemory`).
    ///
    /// # Errors
    /// The runtime cannot start.
    pub fn with_store(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        describe: &str,
    ) -> Result<S3Store, StoreError> {
        Ok(S3Store {
            rt: runtime()?,
            store,
            prefix: prefix.trim_matches('/').to_string(),
            describe: describe.to_string(),
        })
    }

    fn key(&self, file: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(file)
        } else {
            Key::from(format!("{}/{file}", self.prefix))
        }
    }

    fn record_key(&self, name: &str) -> Key {
        self.key(&format!("{name}.lease.json"))
    }

    fn fail(&self, what: &Key, e: &object_store::Error) -> StoreError {
        let m = chain(e);
        if m.contains("169.254.169.254") {
            StoreError::Backend(format!(
                "{}: no S3 credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the destination's credentials_ref): {m}",
                self.describe
            ))
        } else {
            StoreError::Backend(format!("{}/{what}: {m}", self.describe))
        }
    }

    /// Proves the store enforces conditional writes, on a probe object
    /// `<prefix>/.opsbook-lease-probe`: a create over an existing object and
    /// an update with a wrong ETag must both be refused.
    ///
    /// # Errors
    /// [`StoreError::Unsupported`] naming the condition the store ignored;
    /// backend errors.
    pub fn self_test(&self) -> Result<(), StoreError> {
        let key = self.key(".opsbook-lease-probe");
        self.rt.block_on(async {
            let put = |mode: PutMode| {
                let opts = PutOptions {
                    mode,
                    ..PutOptions::default()
                };
                self.store
                    .put_opts(&key, PutPayload::from_static(b"probe"), opts)
            };
            put(PutMode::Overwrite).await.map_err(|e| self.fail(&key, &e))?;
            match put(PutMode::Create).await {
                Err(object_store::Error::AlreadyExists { .. }) => {}
                Ok(_) => {
                    return Err(StoreError::Unsupported(format!(
                        "{}: the store accepted a create (If-None-Match: *) over an existing object: it cannot prevent split-brain; use a store with conditional writes (AWS S3, MinIO, R2)",
                        self.describe
                    )));
                }
                Err(e) => return Err(self.fail(&key, &e)),
            }
            let wrong = UpdateVersion {
                e_tag: Some("\"00000000000000000000000000000000\"".into()),
                version: None,
            };
            match put(PutMode::Update(wrong)).await {
                Err(object_store::Error::Precondition { .. }) => Ok(()),
                Ok(_) => Err(StoreError::Unsupported(format!(
                    "{}: the store accepted an update with a wrong ETag (If-Match): it cannot prevent split-brain",
                    self.describe
                ))),
                Err(e) => Err(self.fail(&key, &e)),
            }
        })
    }

    /// After an ambiguous answer: whether the stored record is ours.
    fn ours(&self, name: &str, record: &Record) -> Result<Option<Version>, StoreError> {
        Ok(self
            .load(name)?
            .filter(|s| s.record.write_id == record.write_id)
            .map(|s| s.version))
    }
}

impl Store for S3Store {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn load(&self, name: &str) -> Result<Option<Stored>, StoreError> {
        let key = self.record_key(name);
        self.rt.block_on(async {
            let r = match self.store.get(&key).await {
                Ok(r) => r,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(self.fail(&key, &e)),
            };
            let etag = r.meta.e_tag.clone().ok_or_else(|| {
                StoreError::Unsupported(format!(
                    "{}/{key}: the store returns no ETag, so it cannot do conditional writes",
                    self.describe
                ))
            })?;
            let bytes = r.bytes().await.map_err(|e| self.fail(&key, &e))?;
            let record = parse_record(&format!("{}/{key}", self.describe), &bytes)?;
            Ok(Some(Stored {
                record,
                version: Version(etag),
            }))
        })
    }

    fn swap(
        &self,
        name: &str,
        expected: Option<&Version>,
        record: &Record,
    ) -> Result<Option<Version>, StoreError> {
        let key = self.record_key(name);
        let bytes = encode_record(record)?;
        let mode = match expected {
            None => PutMode::Create,
            Some(v) => PutMode::Update(UpdateVersion {
                e_tag: Some(v.0.clone()),
                version: None,
            }),
        };
        let opts = PutOptions {
            mode,
            ..PutOptions::default()
        };
        let answer = self
            .rt
            .block_on(self.store.put_opts(&key, PutPayload::from(bytes), opts));
        match answer {
            Ok(r) => match r.e_tag {
                Some(e) => Ok(Some(Version(e))),
                None => self.ours(name, record),
            },
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => self.ours(name, record),
            Err(e @ object_store::Error::NotImplemented { .. }) => {
                Err(StoreError::Unsupported(format!(
                    "{}: conditional writes are off: {}",
                    self.describe,
                    chain(&e)
                )))
            }
            Err(e) => match self.ours(name, record) {
                Ok(Some(v)) => Ok(Some(v)),
                _ => Err(self.fail(&key, &e)),
            },
        }
    }
}
