//! Script verification flags, with Bitcoin Core's bit values so that a set converts to and from
//! libbitcoinconsensus flags unchanged.

use std::ops::BitOr;

/// A set of script verification rules (Bitcoin Core's `SCRIPT_VERIFY_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    pub const NONE: Flags = Flags(0);
    pub const P2SH: Flags = Flags(1 << 0);
    pub const STRICTENC: Flags = Flags(1 << 1);
    pub const DERSIG: Flags = Flags(1 << 2);
    pub const LOW_S: Flags = Flags(1 << 3);
    pub const NULLDUMMY: Flags = Flags(1 << 4);
    pub const SIGPUSHONLY: Flags = Flags(1 << 5);
    pub const MINIMALDATA: Flags = Flags(1 << 6);
    pub const DISCOURAGE_UPGRADABLE_NOPS: Flags = Flags(1 << 7);
    pub const CLEANSTACK: Flags = Flags(1 << 8);
    pub const CHECKLOCKTIMEVERIFY: Flags = Flags(1 << 9);
    pub const CHECKSEQUENCEVERIFY: Flags = Flags(1 << 10);
    pub const WITNESS: Flags = Flags(1 << 11);
    pub const DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: Flags = Flags(1 << 12);
    pub const MINIMALIF: Flags = Flags(1 << 13);
    pub const NULLFAIL: Flags = Flags(1 << 14);
    pub const WITNESS_PUBKEYTYPE: Flags = Flags(1 << 15);
    pub const CONST_SCRIPTCODE: Flags = Flags(1 << 16);
    pub const TAPROOT: Flags = Flags(1 << 17);
    pub const DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: Flags = Flags(1 << 18);
    pub const DISCOURAGE_OP_SUCCESS: Flags = Flags(1 << 19);
    pub const DISCOURAGE_UPGRADABLE_PUBKEYTYPE: Flags = Flags(1 << 20);

    /// porsign's extension, outside Bitcoin Core's flags: MINIMALIF also for BASE scripts
    /// (legacy and P2SH), as BIP-322 words the rule ("the argument of IF/NOTIF must be exactly
    /// 0x01 or empty push") without Core's restriction to witness v0.
    pub const MINIMALIF_BASE: Flags = Flags(1 << 30);

    /// The consensus rules in force today (what libbitcoinconsensus accepts as flags).
    pub const CONSENSUS: Flags = Flags(
        Self::P2SH.0
            | Self::DERSIG.0
            | Self::NULLDUMMY.0
            | Self::CHECKLOCKTIMEVERIFY.0
            | Self::CHECKSEQUENCEVERIFY.0
            | Self::WITNESS.0
            | Self::TAPROOT.0,
    );

    /// The rules that reserve behaviour for future soft forks ("upgradable"): a script stopped by
    /// one of them is not wrong today, only undecidable.
    pub const UPGRADABLE: Flags = Flags(
        Self::DISCOURAGE_UPGRADABLE_NOPS.0
            | Self::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM.0
            | Self::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION.0
            | Self::DISCOURAGE_OP_SUCCESS.0
            | Self::DISCOURAGE_UPGRADABLE_PUBKEYTYPE.0,
    );

    /// Bitcoin Core's standard script verification flags (policy), which BIP-322 requires.
    pub const STANDARD: Flags = Flags(
        Self::CONSENSUS.0
            | Self::UPGRADABLE.0
            | Self::STRICTENC.0
            | Self::LOW_S.0
            | Self::SIGPUSHONLY.0
            | Self::MINIMALDATA.0
            | Self::CLEANSTACK.0
            | Self::MINIMALIF.0
            | Self::NULLFAIL.0
            | Self::WITNESS_PUBKEYTYPE.0
            | Self::CONST_SCRIPTCODE.0,
    );

    /// Every flag with its Bitcoin Core name (as written in Core's `script_tests.json`).
    pub const NAMED: [(&'static str, Flags); 21] = [
        ("P2SH", Self::P2SH),
        ("STRICTENC", Self::STRICTENC),
        ("DERSIG", Self::DERSIG),
        ("LOW_S", Self::LOW_S),
        ("NULLDUMMY", Self::NULLDUMMY),
        ("SIGPUSHONLY", Self::SIGPUSHONLY),
        ("MINIMALDATA", Self::MINIMALDATA),
        (
            "DISCOURAGE_UPGRADABLE_NOPS",
            Self::DISCOURAGE_UPGRADABLE_NOPS,
        ),
        ("CLEANSTACK", Self::CLEANSTACK),
        ("CHECKLOCKTIMEVERIFY", Self::CHECKLOCKTIMEVERIFY),
        ("CHECKSEQUENCEVERIFY", Self::CHECKSEQUENCEVERIFY),
        ("WITNESS", Self::WITNESS),
        (
            "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM",
            Self::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM,
        ),
        ("MINIMALIF", Self::MINIMALIF),
        ("NULLFAIL", Self::NULLFAIL),
        ("WITNESS_PUBKEYTYPE", Self::WITNESS_PUBKEYTYPE),
        ("CONST_SCRIPTCODE", Self::CONST_SCRIPTCODE),
        ("TAPROOT", Self::TAPROOT),
        (
            "DISCOURAGE_UPGRADABLE_TAPROOT_VERSION",
            Self::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION,
        ),
        ("DISCOURAGE_OP_SUCCESS", Self::DISCOURAGE_OP_SUCCESS),
        (
            "DISCOURAGE_UPGRADABLE_PUBKEYTYPE",
            Self::DISCOURAGE_UPGRADABLE_PUBKEYTYPE,
        ),
    ];

    /// The raw bits (Bitcoin Core's values).
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Flags from raw bits; bits that are neither Core's nor [`Flags::MINIMALIF_BASE`] are
    /// dropped.
    pub const fn from_bits_truncate(bits: u32) -> Flags {
        Flags(bits & (((1 << 21) - 1) | Self::MINIMALIF_BASE.0))
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags without those of `other`.
    pub const fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    /// Parses Core's comma-separated flag list (`"P2SH,STRICTENC"`; empty or `NONE` is none).
    pub fn from_names(list: &str) -> Option<Flags> {
        let mut out = Flags::NONE;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "NONE" {
                continue;
            }
            let (_, flag) = Self::NAMED.iter().find(|(n, _)| *n == name)?;
            out = out | *flag;
        }
        Some(out)
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_flags_are_libbitcoinconsensus_flags() {
        assert_eq!(
            Flags::CONSENSUS.bits(),
            bitcoinconsensus::VERIFY_ALL_PRE_TAPROOT | bitcoinconsensus::VERIFY_TAPROOT
        );
    }

    #[test]
    fn standard_has_all_named_flags() {
        let all = Flags::NAMED.iter().fold(Flags::NONE, |a, (_, f)| a | *f);
        assert_eq!(all, Flags::STANDARD);
        assert_eq!(
            Flags::from_names("P2SH, LOW_S"),
            Some(Flags::P2SH | Flags::LOW_S)
        );
        assert_eq!(Flags::from_names("NONE"), Some(Flags::NONE));
        assert_eq!(Flags::from_names("P2SH,BOGUS"), None);
    }
}
