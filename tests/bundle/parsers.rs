//! Hostile input for the bundle, challenge and reserves parsers: no input panics, and what is
//! accepted is what was meant.

use porsign::bundle::{reader::decode_line, verify_bundle};
use porsign::challenge::Challenge;
use porsign::sign::reserves::parse_csv;
use proptest::prelude::*;

use super::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn bundle_lines_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = decode_line(1, &text);
        let _ = verify_bundle(&bytes[..], &options(LEDGER_MESSAGE));
    }

    #[test]
    fn json_shaped_lines_never_panic(
        kind in prop::sample::select(vec!["header", "entry", "footer", "x"]),
        key in "[a-z_]{1,12}",
        value in prop_oneof![Just("null".to_owned()), "[0-9]{1,25}", "\"[ -~]{0,40}\"", Just("[]".to_owned()), Just("{}".to_owned())],
    ) {
        let line = format!("{{\"type\":\"{kind}\",\"{key}\":{value}}}");
        let _ = decode_line(7, &line);
    }

    #[test]
    fn bundles_with_a_random_line_never_pass(pos in 0usize..8, junk in "[ -~]{0,80}") {
        let mut lines = ledger_lines();
        let pos = pos.min(lines.len());
        lines.insert(pos, junk);
        let text = lines.join("\n") + "\n";
        let passed = verify_bundle(text.as_bytes(), &options(LEDGER_MESSAGE)).map(|r| r.all_valid()).unwrap_or(false);
        prop_assert!(!passed);
    }

    #[test]
    fn challenge_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Challenge::from_json(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn reserves_lists_never_panic(rows in proptest::collection::vec("[ -~]{0,60}", 0..6)) {
        let text = format!("chain,network,address,path,descriptor,amount\n{}", rows.join("\n"));
        let _ = parse_csv(text.as_bytes());
    }
}

#[test]
fn reserves_list_errors_name_line_and_column() {
    let text = "chain,network,address,path,amount\n\
        bitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0,1\n\
        bitcoin,testnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0,1\n";
    let err = parse_csv(text.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("address"), "{err}");
    let text = "chain,network,address,path\nbitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/x\n";
    let err = parse_csv(text.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("path"), "{err}");
    let text = "chain,network,address,path\n\
        bitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0\n\
        bitcoin,mainnet,BC1QQTL9JLRWCR3FSFCJJ2DU7PU6FCGAXL5DSW2VYG,m/84'/0'/0'/0/0\n";
    let err = parse_csv(text.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("already listed on line 2"), "{err}");
    let text = "chain,network,address\nbitcoin,mainnet,x\n";
    assert!(parse_csv(text.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("path"));
}

#[test]
fn reserves_list_accepts_a_good_list() {
    let text = "chain,network,address,path,amount,fingerprint\n\
        bitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0,1.5,f5acc2fd\n\
        ethereum,mainnet,0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D,m/44'/60'/0'/0/0,,\n";
    let rows = parse_csv(text.as_bytes()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].fingerprint, Some([0xf5, 0xac, 0xc2, 0xfd]));
    assert_eq!(rows[0].amount.as_deref(), Some("1.5"));
    assert_eq!(rows[1].line, 3);
}

/// The bundle and OKX readers fail on a broken file with one error type, the same variant and
/// the same message (`lines::FileError`), not with copies of it.
#[test]
fn a_broken_file_is_one_file_error_for_bundles_and_okx_files() {
    use porsign::lines::FileError;
    let bytes = b"\xff\xfe not text\n";
    let bundle = match verify_bundle(&bytes[..], &options(LEDGER_MESSAGE)) {
        Err(porsign::bundle::BundleError::File(e)) => e,
        other => panic!("bundle: {other:?}"),
    };
    let okx_opts = porsign::okx::VerifyOptions::default();
    let okx = match porsign::okx::verify_stream(&bytes[..], &okx_opts, &mut |_| {}) {
        Err(porsign::okx::OkxError::File(e)) => e,
        other => panic!("okx: {:?}", other.err()),
    };
    assert!(
        matches!(bundle, FileError::NotUtf8 { line: 1 }),
        "{bundle:?}"
    );
    assert!(matches!(okx, FileError::NotUtf8 { line: 1 }), "{okx:?}");
    assert_eq!(bundle.to_string(), okx.to_string());
}
