//! BIP-322's "valid at time T and age S": the time lock a proof carries, from `to_sign`'s
//! nLockTime (T) and its first input's nSequence (S, under BIP-68), and whether it holds now.
//!
//! `to_spend` is virtual, so a relative lock (an age of the signed output) can never be shown to
//! have passed offline; an absolute height needs the chain tip; an absolute time only a clock.

use std::fmt;

use bitcoin::Transaction;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// nLockTime values from here on are unix times, below are block heights.
const LOCKTIME_THRESHOLD: u32 = 500_000_000;
/// nSequence bit 31: no relative lock (BIP-68).
const SEQUENCE_DISABLE_FLAG: u32 = 1 << 31;
/// nSequence bit 22: the relative lock counts 512-second units, not blocks.
const SEQUENCE_TYPE_FLAG: u32 = 1 << 22;

/// An absolute lock (nLockTime): valid from this block height or unix time on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absolute {
    Height(u32),
    /// Unix time, seconds.
    Time(u32),
}

/// A relative lock (BIP-68 nSequence): valid this long after the signed output confirms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relative {
    Blocks(u16),
    /// Units of 512 seconds.
    Time512(u16),
}

/// The time lock of a valid proof. Nothing here is dropped: a proof with a lock is only valid
/// once [`TimeLock::valid_at`] says so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeLock {
    /// From `to_sign`'s nLockTime (None when 0).
    pub absolute: Option<Absolute>,
    /// From the first input's nSequence, when BIP-68 applies (version 2 or more, disable bit
    /// clear) and the value is not 0.
    pub relative: Option<Relative>,
    /// The script executed OP_CHECKLOCKTIMEVERIFY: nLockTime is part of what it requires.
    pub script_cltv: bool,
    /// The script executed OP_CHECKSEQUENCEVERIFY (with an enabled operand).
    pub script_csv: bool,
}

/// Why a proof is not (provably) valid at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotYetValid {
    #[error("the proof is valid only from {} (nLockTime {time}); now is {}", utc(i64::from(*.time)), utc(*.now))]
    BeforeTime { time: u32, now: i64 },
    #[error("the proof is valid only from block height {height} (nLockTime); the chain tip height is needed to check it")]
    HeightUnknown { height: u32 },
    #[error(
        "the proof is valid only from block height {height} (nLockTime); the chain tip is at {tip}"
    )]
    BeforeHeight { height: u32, tip: u32 },
    #[error("the proof is valid only {lock} after the signed output confirms (nSequence, BIP-68); that output is virtual, so this cannot be shown offline")]
    Relative { lock: Relative },
}

impl TimeLock {
    /// The lock of `to_sign`, with the script's lock-time opcodes as observed.
    pub fn of_to_sign(sign: &Transaction, script_cltv: bool, script_csv: bool) -> TimeLock {
        let lock_time = sign.lock_time.to_consensus_u32();
        let absolute = match lock_time {
            0 => None,
            t if t < LOCKTIME_THRESHOLD => Some(Absolute::Height(t)),
            t => Some(Absolute::Time(t)),
        };
        // The version is compared as unsigned, as BIP-68 does.
        let version = u32::from_ne_bytes(sign.version.0.to_ne_bytes());
        let relative = sign
            .input
            .first()
            .map(|i| i.sequence.0)
            .filter(|s| version >= 2 && s & SEQUENCE_DISABLE_FLAG == 0)
            .and_then(|s| {
                let value = (s & 0xffff) as u16;
                match (value, s & SEQUENCE_TYPE_FLAG != 0) {
                    (0, _) => None,
                    (v, true) => Some(Relative::Time512(v)),
                    (v, false) => Some(Relative::Blocks(v)),
                }
            });
        TimeLock {
            absolute,
            relative,
            script_cltv,
            script_csv,
        }
    }

    /// No lock at all (what every simple and legacy proof has).
    pub fn is_none(&self) -> bool {
        self.absolute.is_none() && self.relative.is_none()
    }

    /// The script itself executed a lock-time check (CHECKLOCKTIMEVERIFY or
    /// CHECKSEQUENCEVERIFY), so the lock is part of what the script requires.
    pub fn script_checks(&self) -> bool {
        self.script_cltv || self.script_csv
    }

    /// Whether the proof is valid at unix time `now_unix` with the chain tip at `tip_height`
    /// (None when unknown): an absolute time must have passed, an absolute height needs the tip
    /// to have reached it, and a relative lock is never provable offline.
    pub fn valid_at(&self, now_unix: i64, tip_height: Option<u32>) -> Result<(), NotYetValid> {
        if let Some(lock) = self.relative {
            return Err(NotYetValid::Relative { lock });
        }
        match self.absolute {
            None => Ok(()),
            Some(Absolute::Time(time)) if i64::from(time) <= now_unix => Ok(()),
            Some(Absolute::Time(time)) => Err(NotYetValid::BeforeTime {
                time,
                now: now_unix,
            }),
            Some(Absolute::Height(height)) => match tip_height {
                None => Err(NotYetValid::HeightUnknown { height }),
                Some(tip) if height <= tip => Ok(()),
                Some(tip) => Err(NotYetValid::BeforeHeight { height, tip }),
            },
        }
    }
}

/// A unix time as RFC 3339 UTC (the number itself when out of range).
fn utc(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("unix time {unix}"))
}

impl fmt::Display for Relative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Relative::Blocks(n) => write!(f, "{n} blocks"),
            Relative::Time512(n) => write!(f, "{} seconds", u32::from(*n) * 512),
        }
    }
}

impl fmt::Display for TimeLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        match self.absolute {
            Some(Absolute::Height(h)) => parts.push(format!("valid from block {h} (nLockTime)")),
            Some(Absolute::Time(t)) => {
                parts.push(format!("valid from {} (nLockTime {t})", utc(i64::from(t))))
            }
            None => {}
        }
        if let Some(r) = self.relative {
            parts.push(format!(
                "valid {r} after the signed output confirms (nSequence, BIP-68)"
            ));
        }
        let ops: Vec<&str> = [
            (self.script_cltv, "OP_CHECKLOCKTIMEVERIFY"),
            (self.script_csv, "OP_CHECKSEQUENCEVERIFY"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
        let locks = if parts.is_empty() {
            "no time lock".to_owned()
        } else {
            parts.join("; ")
        };
        f.write_str(&locks)?;
        if !ops.is_empty() {
            write!(f, " (the script runs {})", ops.join(" and "))?;
        }
        Ok(())
    }
}
