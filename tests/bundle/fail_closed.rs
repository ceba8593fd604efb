//! Issue 11 (bundle verifier): inputs crafted to earn a VALID they have not earned. Each test
//! names the item it guards.

use porsign::bundle::{verify_bundle, BundleError, EntryFailure};
use serde_json::json;

use super::*;

const P2PKH: usize = 1;
const P2WPKH: usize = 2;
const BIP322: usize = 3;
const ETHEREUM: usize = 6;

/// Inserts `"key":value` right after the opening brace of line `line` (0-based): the repeated
/// key comes first, where a person reading the line (and a first-value JSON reader) sees it.
fn with_repeated_key(lines: &[String], line: usize, key: &str, value: &str) -> Vec<String> {
    let mut out = lines.to_vec();
    out[line] = out[line].replacen('{', &format!("{{\"{key}\":{value},"), 1);
    out
}

fn unusable(lines: &[String]) -> BundleError {
    let text = with_fresh_footer(lines).join("\n") + "\n";
    match verify_bundle(text.as_bytes(), &options(LEDGER_MESSAGE)) {
        Ok(report) => panic!(
            "expected unusable input, got a report (valid {}): {:#?}",
            report.all_valid(),
            report.failures
        ),
        Err(e) => e,
    }
}

/// Item 1: any repeated key, on any line, is a structural error naming the line and the key.
#[test]
fn item_01_repeated_keys_are_unusable_input() {
    let lines = ledger_lines();
    let cases = [
        (
            P2WPKH,
            "address",
            r#""bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq""#,
        ),
        (P2WPKH, "scheme", r#""bip322""#),
        (P2WPKH, "index", "7"),
        (P2WPKH, "type", r#""entry""#),
        (P2WPKH, "amount", r#""1000""#),
        (P2WPKH, "signatures", r#"["x"]"#),
        (ETHEREUM, "network", r#""testnet""#),
        (0, "challenge", r#""another audit""#),
        (0, "custodian", r#""Someone Else""#),
        (0, "created_at", r#""2020-01-01T00:00:00Z""#),
    ];
    for (line, key, value) in cases {
        let err = unusable(&with_repeated_key(&lines, line, key, value));
        match &err {
            BundleError::Field {
                line: at, field, ..
            } => {
                assert_eq!((*at, field.as_str()), (line as u64 + 1, key), "{err}");
                assert!(err.to_string().contains("repeated"), "{err}");
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    // The footer too (appended after the fresh footer is computed).
    let mut with_footer = with_fresh_footer(&lines);
    let last = with_footer.len() - 1;
    with_footer[last] = with_footer[last].replacen('{', r#"{"entries":999,"#, 1);
    let text = with_footer.join("\n") + "\n";
    let err = verify_bundle(text.as_bytes(), &options(LEDGER_MESSAGE)).unwrap_err();
    assert!(
        matches!(&err, BundleError::Field { field, .. } if field == "entries"),
        "{err:?}"
    );
}

/// Item 2: `null` is not "absent", even for a field the scheme forbids.
#[test]
fn item_02_null_fields_are_unusable_input() {
    let lines = ledger_lines();
    for (line, field) in [
        (BIP322, "pubkey"),
        (BIP322, "script"),
        (P2WPKH, "descriptor"),
        (P2WPKH, "amount"),
        (ETHEREUM, "path"),
        (P2PKH, "fingerprint"),
    ] {
        let edited = edit_line(&lines, line, |e| e[field] = serde_json::Value::Null);
        let err = unusable(&edited);
        assert!(
            matches!(&err, BundleError::Field { field: f, .. } if f == field),
            "{field}: {err:?}"
        );
        assert!(err.to_string().contains("null"), "{err}");
    }
}

/// Item 3: the pubkey is written exactly as the address commits to it.
#[test]
fn item_03_pubkey_in_another_form_fails() {
    let lines = ledger_lines();
    // The key that signed the P2WPKH entry, compressed: accepted.
    let entry: serde_json::Value = serde_json::from_str(&lines[P2WPKH]).unwrap();
    let address: bitcoin::Address = entry["address"]
        .as_str()
        .unwrap()
        .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
        .unwrap()
        .assume_checked();
    let key = porsign::scheme::bip137::verify(
        LEDGER_MESSAGE.as_bytes(),
        &address,
        entry["signatures"][0].as_str().unwrap(),
    )
    .unwrap()
    .pubkey;
    let good = edit_line(&lines, P2WPKH, |e| e["pubkey"] = json!(key.to_string()));
    assert!(verify_lines(&with_fresh_footer(&good), LEDGER_MESSAGE).all_valid());

    let uncompressed = bitcoin::PublicKey::new_uncompressed(key.inner).to_string();
    for written in [
        uncompressed,
        format!("0x{key}"),
        key.to_string().to_uppercase(),
    ] {
        let bad = edit_line(&lines, P2WPKH, |e| e["pubkey"] = json!(written));
        let report = verify_lines(&with_fresh_footer(&bad), LEDGER_MESSAGE);
        let kinds = failure_kinds(&report);
        assert!(
            matches!(
                kinds.as_slice(),
                [EntryFailure::BadField {
                    field: "pubkey",
                    ..
                }]
            ),
            "{written}: {kinds:?}"
        );
    }
}

/// Item 5: with the challenge's own time known, a header dated before it fails.
#[test]
fn item_05_header_older_than_its_challenge_fails() {
    let lines = ledger_lines(); // header created_at 2026-11-01T00:00:00Z
    let text = lines.join("\n") + "\n";
    let mut opts = options(LEDGER_MESSAGE);
    opts.challenge_created_at = Some(time::macros::datetime!(2026-11-01 00:00 UTC));
    assert!(verify_bundle(text.as_bytes(), &opts).unwrap().all_valid());
    opts.challenge_created_at = Some(time::macros::datetime!(2026-11-01 00:00:01 UTC));
    let report = verify_bundle(text.as_bytes(), &opts).unwrap();
    let kinds = failure_kinds(&report);
    assert!(
        matches!(
            kinds.as_slice(),
            [EntryFailure::CreatedBeforeChallenge { .. }]
        ),
        "{kinds:?}"
    );
}

/// Item 8: every entry's result is handed out, in file order, with its claimed amount; totals
/// keep networks apart.
#[test]
fn item_08_every_entry_is_reported_and_networks_are_not_mixed() {
    let lines = ledger_lines();
    let bad = edit_line(&lines, P2WPKH, |e| e["amount"] = json!("7"));
    let bad = edit_line(&bad, P2WPKH, |e| {
        e["signatures"] = json!([lines_signature(&lines, P2PKH)])
    });
    let text = with_fresh_footer(&bad).join("\n") + "\n";
    let mut seen = Vec::new();
    let report = porsign::bundle::verify::verify_bundle_streaming(
        text.as_bytes(),
        &options(LEDGER_MESSAGE),
        &mut |r| {
            seen.push((
                r.index,
                r.address.to_owned(),
                r.network.to_string(),
                r.amount.map(str::to_owned),
                r.verdict,
                r.reason.is_some(),
            ))
        },
    )
    .unwrap();
    assert_eq!(seen.len(), 6);
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5]
    );
    use porsign::bundle::verify::Verdict;
    assert_eq!(seen[1].4, Verdict::Invalid);
    assert!(seen[1].5);
    assert_eq!(seen[1].3.as_deref(), Some("7"));
    assert_eq!(seen[0].4, Verdict::Valid);
    let mainnet = &report.totals["bitcoin/mainnet"];
    let testnet = &report.totals["bitcoin/testnet"];
    // 0.5 + 2 + 10.00000001 valid on mainnet; the failed entry's 7 kept apart.
    assert_eq!(mainnet.claimed_valid.to_string(), "12.50000001");
    assert_eq!(mainnet.claimed_invalid.to_string(), "7");
    assert_eq!((mainnet.valid, mainnet.invalid), (3, 1));
    assert_eq!((testnet.entries, testnet.valid), (1, 1));
    assert_eq!(
        report.totals["ethereum/mainnet"].claimed_valid.to_string(),
        "3.5"
    );
}

fn lines_signature(lines: &[String], line: usize) -> String {
    let e: serde_json::Value = serde_json::from_str(&lines[line]).unwrap();
    e["signatures"][0].as_str().unwrap().to_owned()
}

/// A bundle of P2WPKH `ful` proofs of the BIP-322 test message, one per (nLockTime, version,
/// nSequence), signed by test keys.
fn time_locked_bundle(locks: &[(u32, i32, u32)]) -> String {
    use crate::scheme::bip322::build::{full, pk, sign_v0, sk, to_sign, MSG};
    let header = json!({
        "type": "header", "format": "porsign-bundle", "version": 1,
        "challenge": std::str::from_utf8(MSG).unwrap(),
        "challenge_sha256": porsign::bundle::verify::sha256_hex(std::str::from_utf8(MSG).unwrap()),
        "custodian": "test", "created_at": "2026-11-01T00:00:00Z", "tool": "test",
    });
    let mut lines = vec![header.to_string()];
    for (i, &(lock_time, version, sequence)) in locks.iter().enumerate() {
        let n = 0x40 + i as u8;
        let key = bitcoin::CompressedPublicKey(pk(n));
        let address = bitcoin::Address::p2wpkh(&key, bitcoin::Network::Bitcoin);
        let mut tx = to_sign(&address, version, lock_time, sequence);
        let code = address.script_pubkey().p2wpkh_script_code().unwrap();
        tx.input[0].witness =
            bitcoin::Witness::from_slice(&[sign_v0(&tx, &code, &sk(n)), key.to_bytes().to_vec()]);
        lines.push(
            json!({
                "type": "entry", "index": i, "chain": "bitcoin", "network": "mainnet",
                "address": address.to_string(), "scheme": "bip322", "signatures": [full(&tx)],
                "amount": "1",
            })
            .to_string(),
        );
    }
    with_fresh_footer(&lines).join("\n") + "\n"
}

/// Item 4 (time locks, at the bundle level): a proof valid only from a time or height that has
/// not come, or only at an age that cannot be shown, fails by default; one whose lock holds now
/// is valid and says it carries a lock.
#[test]
fn item_04_time_locked_proofs_fail_unless_they_hold_now() {
    use crate::scheme::bip322::build::MSG;
    let text = time_locked_bundle(&[
        (0, 0, 0),             // no lock
        (1_700_000_000, 0, 0), // a unix time in the past (2023)
        (4_000_000_000, 0, 0), // a unix time in the future (2096)
        (800_000, 0, 0),       // a block height
        (0, 2, 10),            // ten blocks after the virtual to_spend confirms
    ]);
    let mut opts = options(std::str::from_utf8(MSG).unwrap());
    let mut locks = Vec::new();
    let report =
        porsign::bundle::verify::verify_bundle_streaming(text.as_bytes(), &opts, &mut |r| {
            locks.push((r.index, r.verdict, r.time_lock.map(str::to_owned)))
        })
        .unwrap();
    use porsign::bundle::verify::Verdict::{Invalid, Valid};
    let verdicts: Vec<_> = locks.iter().map(|l| l.1).collect();
    assert_eq!(verdicts, [Valid, Valid, Invalid, Invalid, Invalid]);
    assert!(locks[0].2.is_none());
    assert!(
        locks[1]
            .2
            .as_deref()
            .is_some_and(|l| l.contains("nLockTime")),
        "{locks:?}"
    );
    assert_eq!(report.time_locked, 1);
    let reasons: Vec<&str> = report.failures.iter().map(|f| f.reason.as_str()).collect();
    assert!(
        reasons[0].contains("time lock") && reasons[0].contains("2096"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("800000") && reasons[1].contains("tip"),
        "{reasons:?}"
    );
    assert!(reasons[2].contains("nSequence"), "{reasons:?}");

    // Told the chain tip, the height-locked proof is checked against it.
    opts.tip_height = Some(800_000);
    let report = verify_bundle(text.as_bytes(), &opts).unwrap();
    assert_eq!((report.valid, report.time_locked), (3, 2));
    opts.tip_height = Some(799_999);
    assert_eq!(verify_bundle(text.as_bytes(), &opts).unwrap().valid, 2);
}

/// Item 4 through the binary: the text report marks the locked entry, the JSON gives its lock,
/// and `--tip-height` is how a verifier checks height locks.
#[test]
fn item_04_time_locks_are_in_the_text_and_json_reports() {
    let dir = tempfile::tempdir().unwrap();
    let text = time_locked_bundle(&[(1_700_000_000, 0, 0), (800_000, 0, 0)]);
    std::fs::write(dir.path().join("t.jsonl"), text).unwrap();
    let args = ["verify", "t.jsonl", "--message", "porsign policy proof"];
    let o = crate::cli::porsign(&args, dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("TIME-LOCKED entry 0"), "{out}");
    assert!(
        out.contains("FAIL entry 1") && out.contains("800000"),
        "{out}"
    );

    let mut with_tip = args.to_vec();
    with_tip.extend(["--tip-height", "800001"]);
    let o = crate::cli::porsign(&with_tip, dir.path());
    assert_eq!(o.status.code(), Some(0));
    let mut json = vec!["--json"];
    json.extend(with_tip);
    let o = crate::cli::porsign(&json, dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["time_locked"], 2);
    assert!(doc["results"][1]["time_lock"]
        .as_str()
        .is_some_and(|l| l.contains("800000")));
}

/// Item 8 through the binary: `--json` lists every entry with what a reader sums, and
/// `--summary-only` leaves the list out but keeps the totals.
#[test]
fn item_08_json_lists_every_entry_or_only_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = crate::util::fixture("bundles/ledger-speculos.jsonl");
    let bundle = bundle.to_str().unwrap();
    let o = crate::cli::porsign(
        &["--json", "verify", bundle, "--message", LEDGER_MESSAGE],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["index"], i);
        assert_eq!(r["verdict"], "valid");
        for field in ["chain", "network", "address", "scheme"] {
            assert!(r[field].is_string(), "{field} in {r}");
        }
    }
    assert_eq!(results[0]["amount"], "0.5");
    assert_eq!(
        doc["totals"]["bitcoin/mainnet"]["claimed_valid"],
        "13.75000001"
    );
    assert_eq!(doc["totals"]["bitcoin/testnet"]["entries"], 1);
    assert_eq!(doc["format"], "porsign-bundle");

    let o = crate::cli::porsign(
        &[
            "--json",
            "verify",
            bundle,
            "--message",
            LEDGER_MESSAGE,
            "--summary-only",
        ],
        dir.path(),
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(doc.get("results").is_none());
    assert_eq!(doc["totals"]["ethereum/mainnet"]["claimed_valid"], "3.5");
    assert_eq!(doc["result"], "valid");
}
