//! The audit challenge: the exact message every reserve address signs.
//!
//! A challenge file is JSON that names the audit, the period and the auditor, and carries fresh
//! randomness (and optionally a block hash). The message is built from those fields, so a
//! signature made for one audit can never be replayed for another: OKX signs the same fixed
//! string every month, which proves nothing about this month.
//!
//! The message is a single line of printable ASCII so that a Ledger shows it as text (the Bitcoin
//! app falls back to showing a hash for anything else) and the operator can read it on screen.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `format` value of a challenge file.
pub const CHALLENGE_FORMAT: &str = "porsign-challenge";
/// The challenge file format version this build writes and reads.
pub const CHALLENGE_VERSION: u32 = 1;
/// Bytes of fresh randomness in every new challenge (256 bits; the floor is 128).
pub const NONCE_LEN: usize = 32;
/// Longest audit id / auditor name accepted, so the message fits a device screen flow.
pub const MAX_FIELD_LEN: usize = 64;
/// A challenge file is small; anything larger is not one.
pub const MAX_FILE_LEN: u64 = 16 * 1024;

/// Why a challenge could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    #[error("cannot read challenge file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("challenge file {path} is larger than {MAX_FILE_LEN} bytes")]
    TooLarge { path: String },
    #[error("challenge file is not valid JSON")]
    Json(#[source] serde_json::Error),
    #[error("not a porsign challenge file (format is {found:?}, expected {CHALLENGE_FORMAT:?})")]
    Format { found: String },
    #[error(
        "unsupported challenge version {found} (this porsign reads version {CHALLENGE_VERSION})"
    )]
    Version { found: u32 },
    #[error("field `{field}`: {reason}")]
    Field { field: &'static str, reason: String },
    #[error("field `message` does not match the fields it is built from (the file was edited)")]
    MessageMismatch,
}

/// A field that is present must hold a value: `null` is refused rather than read as absent.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// The inputs of a new challenge, as given on the command line.
#[derive(Clone, Debug)]
pub struct ChallengeParams {
    pub audit: String,
    pub period: String,
    pub auditor: Option<String>,
    pub anchor: Option<String>,
}

/// A challenge file, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub format: String,
    pub version: u32,
    pub audit: String,
    pub period: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub auditor: Option<String>,
    /// A block hash (64 hex digits) that the challenge cannot predate.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub anchor: Option<String>,
    /// Fresh randomness, lowercase hex.
    pub nonce: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The exact message to sign: always equal to [`Challenge::build_message`] of the fields.
    pub message: String,
}

impl Challenge {
    /// Makes a new challenge with fresh randomness from the OS.
    pub fn new(params: ChallengeParams) -> Result<Self, ChallengeError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
        let created_at = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| ChallengeError::Field {
                field: "created_at",
                reason: e.to_string(),
            })?;
        Self::from_parts(params, &nonce, created_at)
    }

    /// Builds a challenge from given randomness (tests and reproducible examples).
    pub fn from_parts(
        params: ChallengeParams,
        nonce: &[u8],
        created_at: String,
    ) -> Result<Self, ChallengeError> {
        let mut challenge = Challenge {
            format: CHALLENGE_FORMAT.to_owned(),
            version: CHALLENGE_VERSION,
            audit: params.audit,
            period: params.period,
            auditor: params.auditor,
            anchor: params.anchor.map(|a| a.to_ascii_lowercase()),
            nonce: hex::encode(nonce),
            created_at,
            message: String::new(),
        };
        challenge.validate_fields()?;
        challenge.message = challenge.build_message();
        Ok(challenge)
    }

    /// The message built from the fields. Single line, printable ASCII, domain-separated.
    pub fn build_message(&self) -> String {
        let mut m = format!(
            "porsign proof-of-reserves challenge v{} audit={} period={}",
            self.version, self.audit, self.period
        );
        if let Some(auditor) = &self.auditor {
            let _ = write!(m, " auditor={auditor}");
        }
        if let Some(anchor) = &self.anchor {
            let _ = write!(m, " anchor={anchor}");
        }
        let _ = write!(m, " nonce={}", self.nonce);
        m
    }

    /// SHA-256 of the message, lowercase hex: the challenge's identity, shown to the operator
    /// before signing so it can be compared with what the device displays.
    pub fn message_sha256(&self) -> String {
        hex::encode(Sha256::digest(self.message.as_bytes()))
    }

    /// Parses and fully checks a challenge file's text.
    ///
    /// The fields are parsed straight into the typed struct, never through an untyped map, so
    /// that a repeated key (which a map would silently resolve to one of its values) and `null`
    /// for an optional field are refused.
    pub fn from_json(text: &str) -> Result<Self, ChallengeError> {
        let challenge: Challenge = match serde_json::from_str(text) {
            Ok(c) => c,
            // Name a file of another kind or version as such, not by some field it lacks.
            Err(e) => return Err(Self::kind_error(text).unwrap_or(ChallengeError::Json(e))),
        };
        if let Some(e) = Self::kind_error(text) {
            return Err(e);
        }
        challenge.validate_fields()?;
        if challenge.message != challenge.build_message() {
            return Err(ChallengeError::MessageMismatch);
        }
        Ok(challenge)
    }

    /// The format or version error of a JSON text that is not a challenge of this version.
    fn kind_error(text: &str) -> Option<ChallengeError> {
        #[derive(Deserialize)]
        struct Kind {
            format: Option<serde_json::Value>,
            version: Option<serde_json::Value>,
        }
        let kind: Kind = serde_json::from_str(text).ok()?;
        let format = kind.format.as_ref().and_then(|v| v.as_str()).unwrap_or("");
        if format != CHALLENGE_FORMAT {
            return Some(ChallengeError::Format {
                found: format.to_owned(),
            });
        }
        match kind.version.as_ref().map(|v| v.as_u64()) {
            Some(Some(v)) if v == u64::from(CHALLENGE_VERSION) => None,
            Some(Some(v)) => Some(ChallengeError::Version {
                found: u32::try_from(v).unwrap_or(u32::MAX),
            }),
            _ => Some(ChallengeError::Field {
                field: "version",
                reason: "missing or not a number".into(),
            }),
        }
    }

    /// Reads a challenge file.
    pub fn load(path: &Path) -> Result<Self, ChallengeError> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| ChallengeError::Read {
            path: shown.clone(),
            source,
        })?;
        if meta.len() > MAX_FILE_LEN {
            return Err(ChallengeError::TooLarge { path: shown });
        }
        let text = std::fs::read_to_string(path).map_err(|source| ChallengeError::Read {
            path: shown,
            source,
        })?;
        Self::from_json(&text)
    }

    /// Pretty JSON with a trailing newline, as written to disk.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a Challenge always serializes");
        s.push('\n');
        s
    }

    fn validate_fields(&self) -> Result<(), ChallengeError> {
        check_token("audit", &self.audit)?;
        check_period(&self.period)?;
        if let Some(auditor) = &self.auditor {
            check_token("auditor", auditor)?;
        }
        if let Some(anchor) = &self.anchor {
            check_hex("anchor", anchor, 32, 32)?;
        }
        // At least 128 bits of randomness, whether or not a block hash anchors the challenge.
        check_hex("nonce", &self.nonce, 16, 64)?;
        time::OffsetDateTime::parse(
            &self.created_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|e| field_err("created_at", &format!("not an RFC 3339 time: {e}")))?;
        Ok(())
    }
}

fn field_err(field: &'static str, reason: &str) -> ChallengeError {
    ChallengeError::Field {
        field,
        reason: reason.to_owned(),
    }
}

/// Audit ids and auditor names go into the one-line message: printable ASCII, no '=' (it
/// separates keys from values), spaces allowed inside but not at the ends.
fn check_token(field: &'static str, value: &str) -> Result<(), ChallengeError> {
    if value.is_empty() {
        return Err(field_err(field, "must not be empty"));
    }
    if value.len() > MAX_FIELD_LEN {
        return Err(field_err(
            field,
            &format!("longer than {MAX_FIELD_LEN} characters"),
        ));
    }
    if value.trim() != value {
        return Err(field_err(field, "must not start or end with a space"));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_graphic() || *c == ' ') || *c == '=')
    {
        return Err(field_err(
            field,
            &format!("character {bad:?} is not allowed (printable ASCII without '=')"),
        ));
    }
    Ok(())
}

/// The audit period is a month, `YYYY-MM`.
fn check_period(value: &str) -> Result<(), ChallengeError> {
    let bad = || field_err("period", &format!("{value:?} is not a month YYYY-MM"));
    let (year, month) = value.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let year: u32 = year.parse().map_err(|_| bad())?;
    let month: u32 = month.parse().map_err(|_| bad())?;
    if !(2009..=9999).contains(&year) || !(1..=12).contains(&month) {
        return Err(bad());
    }
    Ok(())
}

fn check_hex(
    field: &'static str,
    value: &str,
    min_bytes: usize,
    max_bytes: usize,
) -> Result<(), ChallengeError> {
    let bytes = hex::decode(value).map_err(|_| field_err(field, "is not hex"))?;
    if value.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(field_err(field, "must be lowercase hex"));
    }
    if bytes.len() < min_bytes || bytes.len() > max_bytes {
        return Err(field_err(
            field,
            &format!(
                "must be {min_bytes}..={max_bytes} bytes, found {}",
                bytes.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> ChallengeParams {
        ChallengeParams {
            audit: "AUD-2026-11".into(),
            period: "2026-11".into(),
            auditor: Some("Example Audit LLP".into()),
            anchor: None,
        }
    }

    #[test]
    fn message_names_everything_and_is_one_printable_line() {
        let c = Challenge::from_parts(params(), &[7u8; 32], "2026-11-25T00:00:00Z".into()).unwrap();
        assert_eq!(
            c.message,
            "porsign proof-of-reserves challenge v1 audit=AUD-2026-11 period=2026-11 \
             auditor=Example Audit LLP nonce=0707070707070707070707070707070707070707070707070707070707070707"
        );
        assert!(c
            .message
            .chars()
            .all(|ch| ch.is_ascii_graphic() || ch == ' '));
    }

    #[test]
    fn fresh_challenges_differ() {
        let a = Challenge::new(params()).unwrap();
        let b = Challenge::new(params()).unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.message_sha256(), b.message_sha256());
        assert_eq!(a.nonce.len(), NONCE_LEN * 2);
    }

    #[test]
    fn round_trips_and_detects_edits() {
        let c = Challenge::new(params()).unwrap();
        let back = Challenge::from_json(&c.to_json()).unwrap();
        assert_eq!(back, c);
        let edited = c
            .to_json()
            .replace("period\": \"2026-11", "period\": \"2026-10");
        assert!(matches!(
            Challenge::from_json(&edited),
            Err(ChallengeError::MessageMismatch)
        ));
    }

    #[test]
    fn rejects_bad_fields() {
        let mut p = params();
        p.period = "2026-13".into();
        assert!(matches!(
            Challenge::new(p),
            Err(ChallengeError::Field {
                field: "period",
                ..
            })
        ));
        let mut p = params();
        p.audit = "a=b".into();
        assert!(matches!(
            Challenge::new(p),
            Err(ChallengeError::Field { field: "audit", .. })
        ));
        let mut p = params();
        p.anchor = Some("00".into());
        assert!(matches!(
            Challenge::new(p),
            Err(ChallengeError::Field {
                field: "anchor",
                ..
            })
        ));
        let short = Challenge::from_parts(params(), &[1u8; 8], "2026-11-25T00:00:00Z".into());
        assert!(matches!(
            short,
            Err(ChallengeError::Field { field: "nonce", .. })
        ));
    }

    #[test]
    fn rejects_other_formats_and_versions() {
        let c = Challenge::new(params()).unwrap();
        let v2 = c.to_json().replace("\"version\": 1", "\"version\": 2");
        assert!(matches!(
            Challenge::from_json(&v2),
            Err(ChallengeError::Version { found: 2 })
        ));
        let other = c.to_json().replace(CHALLENGE_FORMAT, "something-else");
        assert!(matches!(
            Challenge::from_json(&other),
            Err(ChallengeError::Format { .. })
        ));
    }

    #[test]
    fn repeated_keys_and_nulls_are_refused() {
        let c = Challenge::from_parts(params(), &[7u8; 32], "2026-11-25T00:00:00Z".into()).unwrap();
        let json = c.to_json();
        assert!(Challenge::from_json(&json).is_ok());
        // A second `message` after the real one: a map-based reader kept the last value.
        let twice = json.replacen(
            "\"message\"",
            "\"message\": \"porsign proof-of-reserves challenge v1 audit=OTHER\",\n  \"message\"",
            1,
        );
        let err = Challenge::from_json(&twice).unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let source = std::error::Error::source(&err).map(|s| s.to_string());
        assert!(
            source
                .as_deref()
                .is_some_and(|s| s.contains("duplicate field `message`")),
            "{source:?}"
        );
        let null_anchor = json.replacen("\"nonce\"", "\"anchor\": null,\n  \"nonce\"", 1);
        assert!(Challenge::from_json(&null_anchor).is_err());
    }
}
