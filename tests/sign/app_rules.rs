//! Rows the Ledger apps cannot sign are refused when the list is checked (exit 2, the row and
//! the rule named), before any device is touched: paths per address type, and multisig
//! descriptors that cannot become a wallet policy the app registers.

use bitcoin::bip32::DerivationPath;
use bitcoin::secp256k1::SECP256K1;
use bitcoin::{Address, CompressedPublicKey, Network};
use porsign::emulator::keys::SoftwareSigner;
use porsign::emulator::AppMode;
use porsign::model::Network as BitcoinNetwork;
use porsign::sign::reserves::{descriptor_address, enumerate_descriptor, parse_csv};

use super::*;

fn key(signer: &SoftwareSigner, path: &str) -> CompressedPublicKey {
    let p: DerivationPath = path.parse().unwrap();
    CompressedPublicKey(signer.public_key(&p).unwrap())
}

/// The error `parse_csv` gives for a one-row list, or panics if the row is accepted.
fn refused(row: &str) -> String {
    let csv = format!("chain,network,address,path,descriptor\n{row}\n");
    match parse_csv(csv.as_bytes()) {
        Ok(rows) => panic!("accepted {row}: {rows:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn taproot_off_the_bip86_shape_is_refused_with_the_rule() {
    let s = SoftwareSigner::speculos_default();
    // The address really is the taproot address of the key at that path: only the app's rule
    // stands in the way (it answers 6A80 deep inside SIGN_PSBT).
    let k = key(&s, "m/86'/0'/0'/2/0");
    let address = Address::p2tr(SECP256K1, k.0.x_only_public_key().0, None, Network::Bitcoin);
    let err = refused(&format!("bitcoin,mainnet,{address},m/86'/0'/0'/2/0,"));
    assert_eq!(
        err,
        "reserves list line 2, column `path`: m/86'/0'/0'/2/0: a P2TR address is proven through the app's default taproot policy tr(@0/**), which signs only on BIP-86 paths m/86'/0'/account'/change/index with change 0 or 1"
    );
}

#[test]
fn every_address_type_is_checked_against_what_the_app_can_sign() {
    let s = SoftwareSigner::speculos_default();
    let tr = |p: &str| {
        let k = key(&s, p);
        Address::p2tr(SECP256K1, k.0.x_only_public_key().0, None, Network::Bitcoin).to_string()
    };
    let wpkh = |p: &str| Address::p2wpkh(&key(&s, p), Network::Bitcoin).to_string();
    let pkh = |p: &str| Address::p2pkh(key(&s, p), Network::Bitcoin).to_string();
    let tb_wpkh = |p: &str| Address::p2wpkh(&key(&s, p), Network::Testnet).to_string();
    let cases: Vec<(String, &str)> = vec![
        // Taproot: anything but m/86'/coin'/account'/0|1/index.
        (format!("bitcoin,mainnet,{},m/86'/0'/0'/0,", tr("m/86'/0'/0'/0")), "BIP-86"),
        (format!("bitcoin,mainnet,{},m/84'/0'/0'/0/0,", tr("m/84'/0'/0'/0/0")), "BIP-86"),
        // Keys the app does not export silently: other coin types, hardened tails, accounts
        // above 100', unknown purposes, more than 10 steps.
        (format!("bitcoin,mainnet,{},m/84'/60'/0'/0/0,", wpkh("m/84'/60'/0'/0/0")), "standard path"),
        (format!("bitcoin,mainnet,{},m/84'/0'/0'/0'/0,", wpkh("m/84'/0'/0'/0'/0")), "standard path"),
        (format!("bitcoin,mainnet,{},m/44'/0'/101'/0/0,", pkh("m/44'/0'/101'/0/0")), "standard path"),
        (format!("bitcoin,mainnet,{},m/0'/1,", pkh("m/0'/1")), "standard path"),
        (
            format!(
                "bitcoin,mainnet,{},m/84'/0'/0'/0/0/0/0/0/0/0/0,",
                wpkh("m/84'/0'/0'/0/0/0/0/0/0/0/0")
            ),
            "at most 10",
        ),
        // The test app derives under coin type 1' only.
        (format!("bitcoin,testnet,{},m/84'/0'/0'/0/0,", tb_wpkh("m/84'/0'/0'/0/0")), "m/44'|45'|49'|84'|86'/1'"),
        // A script address has no single key.
        (
            "bitcoin,mainnet,bc1q5uaamedd6aj4g2ekdcgzmup8aksjatmaze9uzy2ua2ec89jtdr2skh08ej,m/84'/0'/0'/0/0,".into(),
            "not a single key",
        ),
        // The Ethereum app's own prefixes.
        (
            "ethereum,mainnet,0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D,m/44'/0'/0'/0/0,".into(),
            "m/44'/60'",
        ),
    ];
    for (row, rule) in cases {
        let err = refused(&row);
        assert!(
            err.starts_with("reserves list line 2, column `path`:"),
            "{row}: {err}"
        );
        assert!(err.contains(rule), "{row}: {err}");
    }
    // What the apps do sign stays accepted.
    let ok = format!(
        "chain,network,address,path\n\
         bitcoin,mainnet,{},m/86'/0'/0'/1/7\n\
         bitcoin,mainnet,{},m/44'/0'/0'/0/0\n\
         bitcoin,testnet,{},m/84'/1'/0'/0/0\n\
         bitcoin,mainnet,{},m/84'/0'/0'/0/60000\n",
        tr("m/86'/0'/0'/1/7"),
        wpkh("m/44'/0'/0'/0/0"),
        tb_wpkh("m/84'/1'/0'/0/0"),
        wpkh("m/84'/0'/0'/0/60000"),
    );
    assert_eq!(parse_csv(ok.as_bytes()).unwrap().len(), 4);
}

#[test]
fn enumerated_taproot_rows_are_checked_too() {
    let xpub = SoftwareSigner::speculos_default()
        .xpub(&"m/86'/0'/0'".parse().unwrap(), bitcoin::NetworkKind::Main)
        .unwrap();
    let err = enumerate_descriptor(
        &format!("tr([f5acc2fd/86'/0'/0']{xpub}/2/*)"),
        BitcoinNetwork::Mainnet,
        0,
        3,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("index 0") && err.contains("BIP-86"), "{err}");
}

/// The recorded 2-of-3's keys with the first one moved to another derivation: miniscript still
/// makes an address of it, but no `@i/**` wallet policy derives it, so the app cannot register
/// it and would never derive the address itself.
fn unregistrable_multisig() -> (String, String) {
    let d = speculos_multisig_descriptor().replacen("/0/0,", "/1/0,", 1);
    let a = descriptor_address(&d, BitcoinNetwork::Mainnet).unwrap();
    (d, a.to_string())
}

#[test]
fn a_multisig_the_app_cannot_register_is_refused_not_signed_without_the_device() {
    let (d, a) = unregistrable_multisig();
    let err = refused(&format!("bitcoin,mainnet,{a},,\"{d}\""));
    assert!(
        err.starts_with(
            "reserves list line 2, column `descriptor`: keys derive at different positions"
        ),
        "{err}"
    );
}

#[test]
fn refused_rows_stop_the_cli_before_any_device_is_touched() {
    let (d, a) = unregistrable_multisig();
    let s = SoftwareSigner::speculos_default();
    let k = key(&s, "m/86'/0'/0'/2/0");
    let tr = Address::p2tr(SECP256K1, k.0.x_only_public_key().0, None, Network::Bitcoin);
    // No device listens on this port: only a check that runs first can answer.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for (csv, line, needle) in [
        (
            format!("chain,network,address,path\nbitcoin,mainnet,{tr},m/86'/0'/0'/2/0\n"),
            2,
            "tr(@0/**)",
        ),
        (
            format!(
                "chain,network,address,path,descriptor\n{}\nbitcoin,mainnet,{a},,\"{d}\"\n",
                "bitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0,"
            ),
            3,
            "wallet policy",
        ),
    ] {
        let dir = super::cli::workdir(&csv);
        let o = super::cli::sign_in(
            dir.path(),
            "b.jsonl",
            &["--speculos", &format!("127.0.0.1:{port}")],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("reserves list line {line}")), "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(!dir.path().join("b.jsonl").exists());
    }
}

#[test]
fn addresses_beyond_the_default_policy_index_limit_are_signed_by_their_key() {
    // GET_WALLET_ADDRESS refuses default-policy indexes above 50000 (6A80); SIGN_MESSAGE and
    // SIGN_PSBT sign them, and the key at the path binds the address.
    let s = SoftwareSigner::speculos_default();
    let k = key(&s, "m/86'/0'/0'/0/60000");
    let tr = Address::p2tr(SECP256K1, k.0.x_only_public_key().0, None, Network::Bitcoin);
    let wpkh = Address::p2wpkh(&key(&s, "m/84'/0'/0'/1/50001"), Network::Bitcoin);
    let list = reserves(&format!(
        "chain,network,address,path\n\
         bitcoin,mainnet,{wpkh},m/84'/0'/0'/1/50001\n\
         bitcoin,mainnet,{tr},m/86'/0'/0'/0/60000\n"
    ));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let summary = super::flows::run(&mut [auto(AppMode::Bitcoin)], &list, &out).unwrap();
    assert_eq!(summary.signed, 2);
    let report = verify_file(&out, &challenge());
    assert!(report.all_valid(), "{:#?}", report.failures);
}
