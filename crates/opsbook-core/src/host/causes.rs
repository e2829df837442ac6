//! An error with its whole chain of causes in one line: the top level of an
//! HTTP or object-store error alone says "error sending request" where the
//! cause says "connection refused".

/// `e` and each of its causes, joined by `: `, a cause left out when its
/// text is already in the line (libraries often repeat their source).
///
/// ```
/// let e = std::io::Error::new(std::io::ErrorKind::Other, "connection refused");
/// assert_eq!(opsbook_core::causes::one_line(&e), "connection refused");
/// ```
#[must_use]
pub fn one_line(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !m.is_empty() && !s.contains(&m) {
            if !s.is_empty() {
                s.push_str(": ");
            }
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn causes_joined_once_each() {
        let e = E(
            "error sending request",
            Some(Box::new(E(
                "client error (Connect)",
                Some(Box::new(E("connection refused", None))),
            ))),
        );
        assert_eq!(
            one_line(&e),
            "error sending request: client error (Connect): connection refused"
        );
        // A cause whose text the line already holds is not repeated.
        let e = E(
            "get failed: connection refused",
            Some(Box::new(E("connection refused", None))),
        );
        assert_eq!(one_line(&e), "get failed: connection refused");
        assert_eq!(one_line(&E("alone", None)), "alone");
    }
}
