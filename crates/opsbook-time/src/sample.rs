//! Samples of one time source and how they combine: the RTT filter and the
//! median (`measurement.max_rtt_ms`, `measurement.aggregate: median`).

use serde::{Deserialize, Serialize};

use crate::judge::median;

/// One query to a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Reference minus local clock, ms (positive: local clock behind);
    /// `None` when the query failed.
    pub offset_ms: Option<f64>,
    /// Round-trip time, ms; `None` when the query failed.
    pub rtt_ms: Option<f64>,
    /// Whether it counts: answered, and RTT at most `max_rtt_ms`.
    pub kept: bool,
    /// Why the query failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Sample {
    /// An answered query (not yet filtered).
    #[must_use]
    pub fn answered(offset_ms: f64, rtt_ms: f64) -> Sample {
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        Sample {
            offset_ms: Some(r(offset_ms)),
            rtt_ms: Some(r(rtt_ms)),
            kept: false,
            error: None,
        }
    }

    /// A failed query.
    #[must_use]
    pub fn failed(error: String) -> Sample {
        Sample {
            offset_ms: None,
            rtt_ms: None,
            kept: false,
            error: Some(error),
        }
    }
}

/// Why a source has no measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No answer: name resolution, connection refused, timeout.
    Unreachable,
    /// The NTP server sent a kiss-o'-death (RFC 4330 §8: stratum 0 with a
    /// kiss code such as `RATE` or `DENY`); it must not be asked again now.
    KissOfDeath,
    /// The NTP server says its own clock is not synchronised (leap
    /// indicator 3 or stratum 16).
    Unsynchronized,
    /// The answer broke the protocol (bad NTP packet, originate mismatch).
    Protocol,
    /// The HTTP endpoint answered with a non-success status (429 rate
    /// limit, 418 IP ban, 5xx).
    HttpStatus,
    /// The HTTP body is not JSON or lacks the configured field.
    BadResponse,
    /// Every answered sample had an RTT above `max_rtt_ms`.
    AllSamplesSlow,
    /// The source definition itself is unusable (bad URL or host).
    InvalidSource,
}

/// A source that could not be measured, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceError {
    /// The kind of failure.
    pub kind: ErrorKind,
    /// What happened, for people.
    pub message: String,
}

impl SourceError {
    /// A new error.
    #[must_use]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> SourceError {
        SourceError {
            kind,
            message: message.into(),
        }
    }
}

/// The combined measurement of one source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Median offset of the kept samples, ms.
    pub offset_ms: f64,
    /// Median RTT of the kept samples, ms.
    pub rtt_ms: f64,
}

/// Marks which samples count (answered and `rtt ≤ max_rtt_ms`) and takes
/// the medians of those.
///
/// # Errors
/// [`ErrorKind::AllSamplesSlow`] when samples answered but none within
/// `max_rtt_ms`; [`ErrorKind::Unreachable`] (or the first failure's
/// wording) when none answered.
pub fn aggregate(samples: &mut [Sample], max_rtt_ms: u64) -> Result<Measured, SourceError> {
    #[allow(clippy::cast_precision_loss)]
    let max = max_rtt_ms as f64;
    let mut offsets = Vec::new();
    let mut rtts = Vec::new();
    for s in samples.iter_mut() {
        if let (Some(o), Some(r)) = (s.offset_ms, s.rtt_ms) {
            s.kept = r <= max;
            if s.kept {
                offsets.push(o);
                rtts.push(r);
            }
        }
    }
    if let (Some(offset_ms), Some(rtt_ms)) = (median(&offsets), median(&rtts)) {
        return Ok(Measured { offset_ms, rtt_ms });
    }
    let answered: Vec<f64> = samples.iter().filter_map(|s| s.rtt_ms).collect();
    if let Some(fastest) = answered.iter().copied().reduce(f64::min) {
        return Err(SourceError::new(
            ErrorKind::AllSamplesSlow,
            format!(
                "all {} answered samples took longer than max_rtt_ms {max_rtt_ms} (fastest {fastest:.0} ms): the offset's error would exceed half of that",
                answered.len()
            ),
        ));
    }
    let first = samples
        .iter()
        .find_map(|s| s.error.clone())
        .unwrap_or_else(|| "no sample was taken".to_string());
    Err(SourceError::new(
        ErrorKind::Unreachable,
        format!("no answer to {} queries: {first}", samples.len()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_samples_are_discarded_and_the_median_is_of_the_rest() {
        let mut s = vec![
            Sample::answered(100.0, 20.0),
            Sample::answered(900.0, 600.0),
            Sample::answered(110.0, 500.0),
            Sample::failed("timed out".into()),
            Sample::answered(104.0, 30.0),
        ];
        let m = aggregate(&mut s, 500).unwrap();
        assert_eq!(m.offset_ms, 104.0);
        assert_eq!(m.rtt_ms, 30.0);
        let kept: Vec<bool> = s.iter().map(|x| x.kept).collect();
        assert_eq!(kept, [true, false, true, false, true]);
    }

    #[test]
    fn all_slow_or_all_failed_is_an_error_never_a_measurement() {
        let mut s = vec![Sample::answered(1.0, 700.0), Sample::answered(2.0, 800.0)];
        let e = aggregate(&mut s, 500).unwrap_err();
        assert_eq!(e.kind, ErrorKind::AllSamplesSlow);
        assert!(e.message.contains("fastest 700 ms"), "{}", e.message);
        let mut s = vec![Sample::failed("connection refused".into())];
        let e = aggregate(&mut s, 500).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unreachable);
        assert!(e.message.contains("connection refused"), "{}", e.message);
        assert!(aggregate(&mut [], 500).is_err());
    }
}
