//! One tampering per rejection rule, each detected with its own reason. Rows are real OKX rows
//! (fixtures/okx/layout-9.csv, 2022): line 8 USDT-TRC20, 9 BTC 2-of-3 P2SH, 10 ETH,
//! 11 ETH-OPTIMISM, 12 BTC 2-of-3 P2WSH, 13 BTC 2-of-3 P2SH.

use base64::Engine as _;
use porsign::okx::address::AddressError;
use porsign::okx::{RowFailure, VerifyOptions};

use super::{failure_at, fixture_text};

/// The fixture with line `line` (1-based) passed through `f`; verified without the summary
/// check, so each test sees only its row.
fn tampered(line: usize, f: impl Fn(&mut Vec<String>)) -> porsign::okx::Report {
    let text = fixture_text("layout-9.csv");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut cells: Vec<String> = lines[line - 1].split(',').map(str::to_owned).collect();
    f(&mut cells);
    lines[line - 1] = cells.join(",");
    super::run_with(
        &(lines.join("\n") + "\n"),
        &VerifyOptions {
            check_summary: false,
            ..VerifyOptions::default()
        },
    )
}

/// Column indexes of the 9-column layout.
const ADDRESS: usize = 3;
const MESSAGE: usize = 5;
const SIG1: usize = 6;
const SIG2: usize = 7;
const SCRIPT: usize = 8;

fn only_failure(r: &porsign::okx::Report, line: u64) -> RowFailure {
    assert_eq!(r.failed, 1, "{:?}", r.failures);
    failure_at(r, line)
        .cloned()
        .expect("the tampered line fails")
}

#[test]
fn untampered_fixture_is_valid() {
    let r = tampered(9, |_| {});
    assert_eq!((r.proven, r.failed), (6, 0));
}

#[test]
fn flipped_signature_byte_multisig() {
    let r = tampered(9, |c| {
        let mut sig = base64::engine::general_purpose::STANDARD
            .decode(&c[SIG1])
            .unwrap();
        sig[40] ^= 0x01;
        c[SIG1] = base64::engine::general_purpose::STANDARD.encode(sig);
    });
    let f = only_failure(&r, 9);
    assert!(
        matches!(
            f,
            RowFailure::SignerNotInScript {
                column: "signature1",
                ..
            }
        ),
        "{f:?}"
    );
}

#[test]
fn flipped_signature_byte_evm_and_tron() {
    for line in [8, 10] {
        let r = tampered(line, |c| {
            let s = &c[SIG1];
            let flipped = if &s[10..11] == "0" { "1" } else { "0" };
            c[SIG1] = format!("{}{}{}", &s[..10], flipped, &s[11..]);
        });
        let f = only_failure(&r, line as u64);
        // Either another key is recovered (bound to another address) or none at all.
        assert!(
            matches!(
                f,
                RowFailure::KeyMismatch {
                    column: "signature1",
                    ..
                } | RowFailure::Signature {
                    column: "signature1",
                    ..
                }
            ),
            "line {line}: {f:?}"
        );
    }
}

#[test]
fn changed_address_checksum_fails_closed() {
    // P2SH base58check, P2WSH bech32, EIP-55 mixed case, TRON base58check.
    type Change = fn(&str) -> String;
    let cases: [(usize, Change); 4] = [
        (9, |a| a.replace("gwF", "gwG")),
        (12, |a| a.replace("gu3r", "gu3q")),
        (10, |_| {
            "0xE7d5f0677dbc8f27fe57bc8289c0450abd198533".to_owned()
        }),
        (8, |a| a.replace("GNR", "GNS")),
    ];
    for (line, change) in cases {
        let r = tampered(line, |c| c[ADDRESS] = change(&c[ADDRESS]));
        let f = only_failure(&r, line as u64);
        assert!(
            matches!(
                f,
                RowFailure::Address {
                    source: AddressError::BadChecksum { .. },
                    ..
                }
            ),
            "line {line}: {f:?}"
        );
    }
}

#[test]
fn undecodable_address_fails_where_okx_passes() {
    // OKX's VerifyUtxoCoinSig returns "verified" when the address does not decode.
    for bad in [
        "not-an-address!",
        "notanaddress",
        "0x5920eba609799658b05c5d82b4f9046a479145a9",
    ] {
        let r = tampered(9, |c| c[ADDRESS] = bad.to_owned());
        let f = only_failure(&r, 9);
        assert!(
            matches!(
                f,
                RowFailure::Address {
                    source: AddressError::Undecodable { .. } | AddressError::BadChecksum { .. },
                    ..
                }
            ),
            "{bad}: {f:?}"
        );
    }
}

#[test]
fn swapped_redeem_script() {
    let text = fixture_text("layout-9.csv");
    let other_script = text
        .lines()
        .nth(12)
        .unwrap()
        .split(',')
        .nth(SCRIPT)
        .unwrap()
        .to_owned();
    let r = tampered(9, |c| c[SCRIPT] = other_script.clone());
    let f = only_failure(&r, 9);
    assert!(matches!(f, RowFailure::ScriptMismatch { .. }), "{f:?}");
}

#[test]
fn duplicated_multisig_signature_counts_once() {
    let r = tampered(9, |c| c[SIG2] = c[SIG1].clone());
    let f = only_failure(&r, 9);
    assert!(
        matches!(
            f,
            RowFailure::DuplicateSigner {
                column: "signature2",
                ..
            }
        ),
        "{f:?}"
    );
}

#[test]
fn one_signature_is_below_the_threshold() {
    let r = tampered(12, |c| c[SIG2] = "null".to_owned());
    let f = only_failure(&r, 12);
    assert!(
        matches!(
            f,
            RowFailure::Threshold {
                required: 2,
                keys: 3,
                distinct: 1
            }
        ),
        "{f:?}"
    );
}

#[test]
fn changed_message_breaks_the_signature() {
    // Every row's message changed alike (one row alone would sign another message than the
    // others and fail for that first): the signatures no longer verify.
    let text = fixture_text("layout-9.csv").replace("I am an OKX address", "I am an OKX address!");
    let r = super::run_with(
        &text,
        &VerifyOptions {
            check_summary: false,
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.failed, 6);
    let f = failure_at(&r, 10).unwrap();
    assert!(matches!(f, RowFailure::KeyMismatch { .. }), "{f:?}");
    let f = failure_at(&r, 9).unwrap();
    assert!(matches!(f, RowFailure::SignerNotInScript { .. }), "{f:?}");
    // One row changed: it signs another message than the file's first row.
    let r = tampered(10, |c| c[MESSAGE] = "I am an OKX address!".to_owned());
    let f = only_failure(&r, 10);
    assert!(
        matches!(f, RowFailure::MixedMessages { first_line: 8, .. }),
        "{f:?}"
    );
}

#[test]
fn expected_message_is_enforced() {
    let text = fixture_text("layout-9.csv");
    let r = super::run_with(
        &text,
        &VerifyOptions {
            expected_message: Some("OKC_DTT_AUP2025".into()),
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.failed, 6);
    assert!(r
        .failures
        .iter()
        .all(|f| matches!(f.kind, RowFailure::MessageMismatch { .. })));
}

#[test]
fn unknown_coin_is_reported_not_skipped() {
    let r = tampered(10, |c| c[0] = "FOO".to_owned());
    let f = only_failure(&r, 10);
    assert_eq!(f, RowFailure::UnknownCoin("FOO".into()));
    let foo = r.coins.iter().find(|c| c.coin == "FOO").unwrap();
    assert_eq!((foo.rows, foo.failed), (1, 1));
    assert!(!r.all_valid());
}

#[test]
fn key_is_bound_to_the_address_on_every_chain() {
    // EVM: another row's valid address with this row's signature.
    let r = tampered(10, |c| {
        c[ADDRESS] = "0x5920eba609799658b05c5d82b4f9046a479145a9".into()
    });
    assert!(matches!(
        only_failure(&r, 10),
        RowFailure::KeyMismatch { .. }
    ));
    // TRON: another real OKX TRON address.
    let r = tampered(8, |c| {
        c[ADDRESS] = "TSQN7YJTxkvZDapB4CEYPdMBwye7eWrtBT".into()
    });
    assert!(matches!(
        only_failure(&r, 8),
        RowFailure::KeyMismatch { .. }
    ));
    // BTC multisig: another valid P2SH address (the script no longer hashes to it). Not one
    // of the file's own: that would also be a repeated address.
    let r = tampered(9, |c| {
        c[ADDRESS] = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy".into()
    });
    assert!(matches!(
        only_failure(&r, 9),
        RowFailure::ScriptMismatch { .. }
    ));
}

#[test]
fn ed25519_key_is_bound_to_the_address() {
    use porsign::okx::{RowInput, Verifier};
    use porsign::scheme::okx as rules;
    // A fixed ed25519 key signs the OKX payload; the same signature must fail for another
    // Polkadot address and pass for the key's own.
    let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let pk = sk.verifying_key().to_bytes();
    use ed25519_dalek::Signer as _;
    let msg = "OKC_DTT_AUP2025";
    let sig = hex::encode(sk.sign(&rules::ed25519_payload(msg.as_bytes())).to_bytes());
    let own = porsign::okx::address::ss58_address(&pk, 0);
    let other = porsign::okx::address::ss58_address(&[9u8; 32], 0);
    let pk_hex = hex::encode(pk);
    let v = Verifier::new(None, msg);
    let row = |address: &'static str| RowInput {
        coin: "DOT",
        address,
        message: msg,
        sig1: Some(sig.as_str()),
        script: Some(pk_hex.as_str()),
        ..RowInput::default()
    };
    let own: &'static str = Box::leak(own.into_boxed_str());
    let other: &'static str = Box::leak(other.into_boxed_str());
    assert!(v.verify(&row(own)).is_ok());
    assert!(matches!(
        v.verify(&row(other)),
        Err(RowFailure::KeyMismatch { .. })
    ));
}

#[test]
fn same_owner_twice_is_one_owner() {
    let text = fixture_text("layout-12-staking.csv").replace(
        ",0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,0x16f01cfc16b0b8c3400fb8e5099b0974fcc9fc12",
        ",0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e",
    );
    let r = super::run(&text);
    assert!(matches!(
        failure_at(&r, 7),
        Some(RowFailure::DuplicateOwner(_))
    ));
}
