//! One row: pick the coin's rule, check the message, verify every signature, bind every key to
//! the address it claims. Pure and `Sync`: rows are verified in parallel.

use std::borrow::Cow;

use super::accounts::{ecdsa_matches, evm_matches, verify_accounts, verify_tron};
use super::coins::{self, Family};
use super::ed25519::verify_ed25519;
use super::eos::verify_eos;
use super::error::RowFailure;
use super::utxo::{self, UtxoColumns, UtxoDigests, UtxoParams};
use crate::scheme::okx::{self as rules, HighS, OkxSchemeError};

/// The cells of one row that verification reads (absent cells are None).
#[derive(Clone, Copy, Debug, Default)]
pub struct RowInput<'a> {
    /// The name that chooses the rule: `coin` (detail layouts) or `network` (auditor layout).
    pub coin: &'a str,
    /// The 12-column layout's `Type` (staking kind).
    pub row_type: Option<&'a str>,
    pub address: &'a str,
    pub message: &'a str,
    pub sig1: Option<&'a str>,
    pub sig2: Option<&'a str>,
    /// `redeem script/ public key` (or `publicKey`).
    pub script: Option<&'a str>,
    pub eoa1: Option<&'a str>,
    pub eoa2: Option<&'a str>,
}

/// What a valid row proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// One key signed and owns the address.
    SingleKey,
    /// m distinct keys of the address's multisig script signed.
    Multisig { required: u8, keys: u8 },
    /// The signatures are from owner accounts (eoa1/eoa2, or an Aptos authentication key)
    /// listed beside a contract, staking or rotated address: the keys own the owners; that the
    /// owners control `address` is on-chain state a file cannot prove.
    Owners(u8),
}

/// The digests of one message under every rule, computed once per file.
#[derive(Clone, Debug)]
struct Digests {
    message: String,
    utxo: [[u8; 32]; utxo::ALL_PARAMS.len()],
    okx_ecdsa: [u8; 32],
    evm: [u8; 32],
    tron_v1: [u8; 32],
    tron_v2: [u8; 32],
    eos: [u8; 32],
    ed25519: Vec<u8>,
}

impl Digests {
    fn new(message: &str) -> Self {
        let m = message.as_bytes();
        let mut utxo = [[0u8; 32]; utxo::ALL_PARAMS.len()];
        for (slot, p) in utxo.iter_mut().zip(utxo::ALL_PARAMS) {
            *slot = rules::utxo_message_hash(p.header, m);
        }
        Digests {
            message: message.to_owned(),
            utxo,
            okx_ecdsa: rules::okx_ecdsa_hash(m),
            evm: rules::evm_message_hash(m),
            tron_v1: rules::tron_v1_hash(m),
            tron_v2: rules::tron_v2_hash(m),
            eos: rules::eos_hash(m),
            ed25519: rules::ed25519_payload(m),
        }
    }

    fn utxo(&self, params: &UtxoParams) -> UtxoDigests {
        let compact = utxo::ALL_PARAMS
            .iter()
            .zip(&self.utxo)
            .find(|(p, _)| std::ptr::eq(**p, params))
            .map(|(_, d)| *d)
            .unwrap_or_else(|| rules::utxo_message_hash(params.header, self.message.as_bytes()));
        UtxoDigests {
            compact,
            okx_hex: self.okx_ecdsa,
        }
    }
}

/// The one message every row must sign, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageRule {
    /// Each row is checked against its own message column (library callers only: the
    /// verifier of whole files always sets one of the rules below).
    OwnColumn,
    /// Given by the caller (`--message`, `--challenge`).
    Given(String),
    /// The message of the file's first row (at `line`): every other row must sign it too.
    FirstRow { message: String, line: u64 },
}

impl MessageRule {
    /// The message rows must sign, if one is set.
    pub fn message(&self) -> Option<&str> {
        match self {
            MessageRule::OwnColumn => None,
            MessageRule::Given(m) | MessageRule::FirstRow { message: m, .. } => Some(m),
        }
    }
}

/// Verifies rows under a message rule.
#[derive(Clone, Debug)]
pub struct Verifier {
    rule: MessageRule,
    primary: Digests,
}

impl Verifier {
    /// `expected`: the message every row must have signed (`--message`). Without it each row
    /// is checked against its own message. `likely` is the message most rows carry (digests
    /// for it are computed once).
    pub fn new(expected: Option<String>, likely: &str) -> Self {
        match expected {
            Some(m) => Self::with_rule(MessageRule::Given(m)),
            None => Verifier {
                rule: MessageRule::OwnColumn,
                primary: Digests::new(likely),
            },
        }
    }

    /// A verifier that holds every row to `rule`.
    pub fn with_rule(rule: MessageRule) -> Self {
        let primary = Digests::new(rule.message().unwrap_or_default());
        Verifier { rule, primary }
    }

    /// The message rows must sign, if one was set.
    pub fn expected(&self) -> Option<&str> {
        self.rule.message()
    }

    /// Fails a row whose message is not the rule's.
    fn check_message(&self, found: &str) -> Result<(), RowFailure> {
        match &self.rule {
            MessageRule::OwnColumn => Ok(()),
            MessageRule::Given(expected) if found != expected => Err(RowFailure::MessageMismatch {
                expected: expected.clone(),
                found: found.to_owned(),
            }),
            MessageRule::FirstRow { message, line } if found != message => {
                Err(RowFailure::MixedMessages {
                    first_line: *line,
                    first: message.clone(),
                    found: found.to_owned(),
                })
            }
            _ => Ok(()),
        }
    }

    fn digests(&self, message: &str) -> Cow<'_, Digests> {
        if message == self.primary.message {
            Cow::Borrowed(&self.primary)
        } else {
            Cow::Owned(Digests::new(message))
        }
    }

    /// Verifies one row.
    pub fn verify(&self, row: &RowInput<'_>) -> Result<Proof, RowFailure> {
        if row.message.is_empty() {
            return Err(RowFailure::Missing("message"));
        }
        self.check_message(row.message)?;
        let family =
            coins::lookup(row.coin).ok_or_else(|| RowFailure::UnknownCoin(row.coin.to_owned()))?;
        if let Family::Unsupported(reason) = family {
            return Err(RowFailure::UnsupportedCoin {
                coin: row.coin.to_owned(),
                reason,
            });
        }
        if row.address.is_empty() {
            return Err(RowFailure::Missing("address"));
        }
        let sig1 = row.sig1.ok_or(RowFailure::Missing("signature1"))?;
        let digests = self.digests(row.message);
        match family {
            Family::Utxo(params) => {
                no_owners(row, "utxo")?;
                let proof = utxo::verify(
                    params,
                    row.address,
                    UtxoColumns {
                        sig1,
                        sig2: row.sig2,
                        script: row.script,
                    },
                    &digests.utxo(params),
                )?;
                Ok(match proof {
                    utxo::UtxoProof::SingleKey => Proof::SingleKey,
                    utxo::UtxoProof::Multisig { required, keys } => {
                        Proof::Multisig { required, keys }
                    }
                })
            }
            Family::Evm(kind) => {
                verify_accounts(row, sig1, &digests.evm, HighS::Reject, &|text, key| {
                    evm_matches(kind, text, key)
                })
            }
            Family::OkxEcdsa(kind) => verify_accounts(
                row,
                sig1,
                &digests.okx_ecdsa,
                HighS::Accept,
                &|text, key| ecdsa_matches(kind, text, key),
            ),
            Family::Tron => verify_tron(row, sig1, [&digests.tron_v1, &digests.tron_v2]),
            Family::Ed25519(kind) => verify_ed25519(row, sig1, kind, &digests.ed25519),
            Family::Eos => verify_eos(row, sig1, &digests.eos),
            Family::Unsupported(reason) => Err(RowFailure::UnsupportedCoin {
                coin: row.coin.to_owned(),
                reason,
            }),
        }
    }
}

pub(super) fn no_owners(row: &RowInput<'_>, family: &'static str) -> Result<(), RowFailure> {
    let reason = match family {
        "utxo" => "utxo proofs do not use owner accounts",
        "tron" => "tron proofs do not use owner accounts (okx ignores the column)",
        _ => "this chain's proofs do not use owner accounts",
    };
    if row.eoa1.is_some() {
        return Err(RowFailure::Unexpected {
            column: "eoa1",
            reason,
        });
    }
    if row.eoa2.is_some() {
        return Err(RowFailure::Unexpected {
            column: "eoa2",
            reason,
        });
    }
    Ok(())
}

impl From<OkxSchemeError> for RowFailure {
    fn from(source: OkxSchemeError) -> Self {
        RowFailure::Signature {
            column: "signature1",
            source,
        }
    }
}
