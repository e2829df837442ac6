//! Settings of S3-compatible storage that come from the environment, never
//! from the SSOT — shared by evidence delivery (`policy/evidence.yaml`
//! destinations) and the shared lease store (`[lease.s3]` in
//! `opsbook.toml`), so both resolve them the same way:
//!
//! - credentials: a `credentials_ref: env:NAME` reads `NAME_ACCESS_KEY_ID`,
//!   `NAME_SECRET_ACCESS_KEY` and optionally `NAME_SESSION_TOKEN`; no
//!   reference means the standard `AWS_*` variables (the S3 client reads
//!   them itself);
//! - the endpoint: the configured one, else `AWS_ENDPOINT_URL_S3`,
//!   `AWS_ENDPOINT_URL` or `AWS_ENDPOINT`; none means AWS itself.

/// Keys read through a `credentials_ref`. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key ID.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token, when set.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Resolves a `credentials_ref`: `None` → `Ok(None)` (the standard `AWS_*`
/// environment applies); `env:NAME` → the keys from `NAME_ACCESS_KEY_ID`,
/// `NAME_SECRET_ACCESS_KEY`, `NAME_SESSION_TOKEN`.
///
/// # Errors
/// A reference that is not `env:NAME`, or names variables that are unset,
/// with the variables to set.
pub fn credentials(reference: Option<&str>) -> Result<Option<Credentials>, String> {
    let Some(r) = reference.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let Some(name) = r.strip_prefix("env:").filter(|n| !n.is_empty()) else {
        return Err(format!(
            "credentials_ref `{r}`: only env:NAME is supported (NAME_ACCESS_KEY_ID, NAME_SECRET_ACCESS_KEY)"
        ));
    };
    let get = |suffix: &str| {
        std::env::var(format!("{name}_{suffix}"))
            .ok()
            .filter(|v| !v.is_empty())
    };
    match (get("ACCESS_KEY_ID"), get("SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Credentials {
            access_key_id,
            secret_access_key,
            session_token: get("SESSION_TOKEN"),
        })),
        _ => Err(format!(
            "credentials_ref `{r}`: set {name}_ACCESS_KEY_ID and {name}_SECRET_ACCESS_KEY"
        )),
    }
}

/// The endpoint to use: `configured`, else `AWS_ENDPOINT_URL_S3`,
/// `AWS_ENDPOINT_URL` or `AWS_ENDPOINT` (the first set and not empty);
/// `None`: AWS itself.
#[must_use]
pub fn endpoint(configured: Option<&str>) -> Option<String> {
    configured
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .or_else(|| {
            ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_ref_is_env_and_set() {
        assert_eq!(credentials(None), Ok(None));
        assert_eq!(credentials(Some("  ")), Ok(None));
        let e = credentials(Some("vault:secret/s3")).unwrap_err();
        assert!(e.contains("only env:NAME"), "{e}");
        let e = credentials(Some("env:OPSBOOK_TEST_S3ENV_UNSET")).unwrap_err();
        assert!(
            e.contains("OPSBOOK_TEST_S3ENV_UNSET_ACCESS_KEY_ID"),
            "names the variables: {e}"
        );
        // PATH is set everywhere: PATH_ACCESS_KEY_ID is not.
        assert!(credentials(Some("env:PATH")).is_err());
    }

    #[test]
    fn configured_endpoint_wins_and_debug_hides_the_secret() {
        assert_eq!(
            endpoint(Some(" http://127.0.0.1:9000 ")).as_deref(),
            Some("http://127.0.0.1:9000")
        );
        let c = Credentials {
            access_key_id: "AKIAX".into(),
            secret_access_key: "very-secret".into(),
            session_token: None,
        };
        let d = format!("{c:?}");
        assert!(d.contains("AKIAX") && !d.contains("very-secret"), "{d}");
    }
}
