//! Byte-exact comparison with Ledger's own Rust client (`ledger_bitcoin_client`, dev-dependency
//! only): both clients talk to the same simulated device, and every APDU they send must be
//! identical. Covers short and long messages (many Merkle leaves, proofs longer than one
//! answer), every default policy, a registered 2-of-3 multisig and BIP-322 PSBTs, including a
//! PSBT value longer than one answer. Where the reference client panics (an empty message), ours
//! must not.
#![allow(clippy::indexing_slicing)]

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

use base64::Engine as _;
use bitcoin::bip32::DerivationPath;
use bitcoin::psbt::{raw, Psbt};
use common::sim::{run_ours, Canned, Learnt, SimDevice};
use common::{unhex, Transcript};
use firmware_msgs::btc::exchange::Reply;
use firmware_msgs::btc::wallet_policy::{KeyInfo, SingleKeyPolicy, WalletPolicy};
use firmware_msgs::btc::{exchange, Exchange, PsbtMaps};
use firmware_msgs::{ApduResponse, Bip32Path};
use ledger_bitcoin_client::apdu::{APDUCommand, StatusWord as RefStatus};
use ledger_bitcoin_client::wallet::{Version, WalletPubKey};
use ledger_bitcoin_client::BitcoinClient;

/// A `ledger_bitcoin_client` transport over the simulated device, recording what it sends.
struct Recorder<'a>(&'a SimDevice);

impl ledger_bitcoin_client::Transport for Recorder<'_> {
    type Error = std::convert::Infallible;

    fn exchange(&self, command: &APDUCommand) -> Result<(RefStatus, Vec<u8>), Self::Error> {
        let raw = self.0.exchange(&command.encode());
        let response = ApduResponse::decode(&raw).expect("device frame");
        let status = RefStatus::try_from(response.status.to_u16()).unwrap_or(RefStatus::Unknown);
        Ok((status, response.data))
    }
}

const WPKH_YIELD: &str = "0021031869567d5e88d988ff7baf6827983f89530ddd79dbaeadaa6ec538a8f03dea8b3045022100b5b83eedc9d43aec1732c2437664eea6cd7589bcc230fb607777bff899d1403a02201fe27ba3d87d10a6aa48a8e05d922b659fd2a32d93ab07340c13d2cc5ee99f9501";
const TR_YIELD: &str = "0020872e9fdacbe58e59cb5e1a7eec4d2f9462ad16cd7ca6c66028e41a6840362e33cb16e1fa997de2e15ff370d6e82e92536ab5cdd4d7d765187318a27f609c79ad033271011bbe2e4383d6c0a8894d44c7f5aa2a681ee7c1427523450a5ebf66a2";

fn canned() -> Canned {
    let sig = Transcript::load("btc-signmessage-short-84");
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig.result["signature_base64"].as_str().expect("sig"))
        .expect("base64");
    Canned {
        signature: sig,
        address: b"bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg".to_vec(),
        xpub: Transcript::load("btc-xpub-84h-0h-0h")
            .result
            .as_str()
            .expect("xpub")
            .as_bytes()
            .to_vec(),
        registered: [[0x11u8; 32], [0x22u8; 32]].concat(),
        yields: vec![unhex(WPKH_YIELD)],
    }
}

/// Runs the reference client and ours against fresh devices; asserts identical APDU streams.
fn compare<T, R: Reply>(
    what: &str,
    canned: Canned,
    reference: impl FnOnce(&BitcoinClient<Recorder<'_>>) -> T,
    ours: Exchange<R>,
) -> (T, R, Learnt) {
    let ref_device = SimDevice::spawn(canned.clone());
    let theirs = reference(&BitcoinClient::new(Recorder(&ref_device)));
    let our_device = SimDevice::spawn(canned);
    let mine = run_ours(&our_device, ours).unwrap_or_else(|e| panic!("{what}: ours failed: {e:?}"));
    let (ref_log, our_log) = (ref_device.log.take(), our_device.log.take());
    assert!(!our_log.is_empty());
    let hexes = |log: &[Vec<u8>]| log.iter().map(hex::encode).collect::<Vec<_>>();
    assert_eq!(
        hexes(&our_log),
        hexes(&ref_log),
        "{what}: apdu streams differ"
    );
    let learnt = our_device.finish();
    assert_eq!(ref_device.finish(), learnt, "{what}");
    (theirs, mine, learnt)
}

fn our_path(text: &str) -> Bip32Path {
    text.parse().expect("path")
}

fn ref_path(text: &str) -> DerivationPath {
    DerivationPath::from_str(text).expect("path")
}

#[test]
fn sign_message_short_and_long() {
    let long = Transcript::load("btc-signmessage-long-84");
    let long = long.result["message"].as_str().expect("message").to_owned();
    let messages: Vec<Vec<u8>> = vec![
        b"porsign test challenge".to_vec(),
        vec![b'A'; 64],
        vec![b'B'; 65],
        long.into_bytes(),
        // 79 leaves: proofs of 7 hashes, one more than an answer carries (GET_MORE_ELEMENTS).
        (0..5000u32).map(|i| (i % 251) as u8).collect(),
        // 300 leaves and a binary message.
        (0..19_200u32).map(|i| (i * 7 % 256) as u8).collect(),
    ];
    for (i, message) in messages.iter().enumerate() {
        for path in ["m/84'/0'/0'/0/0", "m/48'/0'/1'/2'/0/0", "m/44'/1'/0'/0/0"] {
            let (theirs, mine, learnt) = compare(
                &format!("message {i} at {path}"),
                canned(),
                |client| {
                    client
                        .sign_message(message, &ref_path(path))
                        .expect("reference")
                },
                exchange::sign_message(&our_path(path), message).expect("request"),
            );
            // The two longest need GET_MORE_ELEMENTS for their 7- and 9-hash proofs.
            assert_eq!(learnt.more_elements_requests > 0, i >= 4);
            assert_eq!(learnt.messages, vec![message.clone()]);
            assert_eq!(theirs.0, mine.header);
            assert_eq!(theirs.1.serialize_compact()[..32], mine.r);
            assert_eq!(theirs.1.serialize_compact()[32..], mine.s);
        }
    }
}

#[test]
fn empty_message_ours_works_where_the_reference_panics() {
    let path = "m/84'/0'/0'/0/0";
    let device = SimDevice::spawn(canned());
    let reference = catch_unwind(AssertUnwindSafe(|| {
        BitcoinClient::new(Recorder(&device)).sign_message(b"", &ref_path(path))
    }));
    let sent_by_reference = device.log.take();
    drop(device.finish());

    let device = SimDevice::spawn(canned());
    let sig = run_ours(
        &device,
        exchange::sign_message(&our_path(path), b"").expect("request"),
    )
    .expect("signature");
    assert_eq!(sig.to_bytes().to_vec(), canned().signature);
    let sent = device.log.take();
    assert_eq!(
        sent.iter().map(hex::encode).collect::<Vec<_>>(),
        // The recorded command of btc-signmessage-empty-84: zero root, no interruption.
        [hex::encode(
            &Transcript::load("btc-signmessage-empty-84").exchanges[0].0
        )]
    );
    assert_eq!(device.finish().messages, vec![Vec::<u8>::new()]);

    match reference {
        // ledger_bitcoin_client 0.7.0: `assertion failed: n > 1` in its Merkle tree.
        Err(_) => assert!(sent_by_reference.is_empty()),
        Ok(_) => assert_eq!(sent_by_reference, sent),
    }
}

fn account_key(purpose: u32) -> String {
    let xpub = Transcript::load(&format!("btc-xpub-{purpose}h-0h-0h"));
    format!(
        "[f5acc2fd/{purpose}'/0'/0']{}",
        xpub.result.as_str().expect("xpub")
    )
}

fn policies() -> Vec<(WalletPolicy, ledger_bitcoin_client::WalletPolicy)> {
    [
        SingleKeyPolicy::Pkh,
        SingleKeyPolicy::ShWpkh,
        SingleKeyPolicy::Wpkh,
        SingleKeyPolicy::Tr,
    ]
    .into_iter()
    .map(|kind| {
        let key = account_key(kind.purpose());
        let ours = WalletPolicy::single_key(kind, key.parse::<KeyInfo>().expect("key"));
        let theirs = ledger_bitcoin_client::WalletPolicy::new(
            String::new(),
            Version::V2,
            kind.template().to_owned(),
            [WalletPubKey::from_str(&key).expect("key")],
        );
        (ours, theirs)
    })
    .collect()
}

#[test]
fn default_policy_addresses() {
    for (ours, theirs) in policies() {
        for (change, index, display) in [(false, 0, false), (true, 7, false), (false, 50_000, true)]
        {
            let (their_address, my_address, learnt) = compare(
                &format!("{} {change} {index} {display}", ours.descriptor_template()),
                canned(),
                |client| {
                    client
                        .get_wallet_address(&theirs, None, change, index, display)
                        .expect("reference")
                },
                exchange::get_wallet_address(&ours, None, change, index, display).expect("request"),
            );
            assert_eq!(their_address.assume_checked().to_string(), my_address.0);
            assert_eq!(learnt.policies[0].1, ours.descriptor_template());
            assert_eq!(learnt.policies[0].2, ours.key_strings());
        }
    }
}

fn multisig() -> (WalletPolicy, ledger_bitcoin_client::WalletPolicy) {
    let t = Transcript::load("btc-register-wsh-sortedmulti-2of3");
    let keys: Vec<String> = t.result["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k.as_str().expect("key").to_owned())
        .collect();
    let name = t.result["policy_name"].as_str().expect("name");
    let ours = WalletPolicy::wsh_sortedmulti(
        name,
        2,
        keys.iter().map(|k| k.parse().expect("key")).collect(),
    )
    .expect("policy");
    let theirs = ledger_bitcoin_client::WalletPolicy::new(
        name.to_owned(),
        Version::V2,
        ours.descriptor_template().to_owned(),
        keys.iter().map(|k| WalletPubKey::from_str(k).expect("key")),
    );
    (ours, theirs)
}

#[test]
fn registered_multisig() {
    let (ours, theirs) = multisig();
    let ((id, hmac), registered, learnt) = compare(
        "register 2-of-3",
        canned(),
        |client| client.register_wallet(&theirs).expect("reference"),
        exchange::register_wallet(&ours).expect("request"),
    );
    assert_eq!((id, hmac), (registered.wallet_id, registered.hmac));
    assert_eq!(learnt.policies[0].0, "porsign 2of3");
    assert_eq!(learnt.policies[0].2.len(), 3);
    for index in [0, 1, 999] {
        compare(
            &format!("2-of-3 address {index}"),
            canned(),
            |client| {
                client
                    .get_wallet_address(&theirs, Some(&hmac), false, index, false)
                    .expect("reference")
            },
            exchange::get_wallet_address(&ours, Some(&hmac), false, index, false).expect("request"),
        );
    }
    assert_eq!(theirs.id(), ours.id());
}

#[test]
fn simple_commands() {
    compare(
        "fingerprint",
        canned(),
        |client| client.get_master_fingerprint().expect("reference"),
        exchange::get_master_fingerprint(),
    );
    for (path, display) in [
        ("m/84'/0'/0'", false),
        ("m/48'/0'/0'/2'", true),
        ("m", false),
    ] {
        compare(
            path,
            canned(),
            |client| {
                client
                    .get_extended_pubkey(&ref_path(path), display)
                    .expect("reference")
            },
            exchange::get_extended_pubkey(&our_path(path), display).expect("request"),
        );
    }
    // GET_APP_AND_VERSION: same bytes on the wire.
    let theirs = Recorder(&SimDevice::spawn(canned()));
    let _ = BitcoinClient::new(Recorder(theirs.0)).get_version();
    assert_eq!(
        theirs.0.log.take(),
        vec![exchange::get_app_and_version().first_command().encode()]
    );
}

fn transcript_psbt(name: &str) -> Psbt {
    let t = Transcript::load(name);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(t.result["psbt_base64"].as_str().expect("psbt"))
        .expect("base64");
    Psbt::deserialize(&bytes).expect("psbt")
}

#[test]
fn bip322_psbts() {
    let all = policies();
    let wpkh = &all[2];
    let tr = &all[3];
    let mut big = transcript_psbt("btc-bip322-signpsbt-wpkh");
    // A 600-byte value: its preimage needs GET_MORE_ELEMENTS with 1-byte elements.
    big.inputs[0].unknown.insert(
        raw::Key {
            type_value: 0xfc,
            key: vec![0x01, 0x02],
        },
        vec![0x5a; 600],
    );
    big.outputs[0].unknown.insert(
        raw::Key {
            type_value: 0xfc,
            key: vec![],
        },
        vec![0xa5; 300],
    );
    let cases = [
        (
            "wpkh",
            transcript_psbt("btc-bip322-signpsbt-wpkh"),
            wpkh,
            WPKH_YIELD,
        ),
        (
            "tr",
            transcript_psbt("btc-bip322-signpsbt-tr"),
            tr,
            TR_YIELD,
        ),
        ("wpkh + long values", big, wpkh, WPKH_YIELD),
    ];
    for (what, psbt, (ours, theirs), yielded) in cases {
        let maps = PsbtMaps::from_psbt(&psbt.serialize()).expect("maps");
        let mut canned = canned();
        canned.yields = vec![unhex(yielded)];
        let (their_yields, reply, learnt) = compare(
            what,
            canned,
            |client| client.sign_psbt(&psbt, theirs, None).expect("reference"),
            exchange::sign_psbt(&maps, ours, None).expect("request"),
        );
        assert_eq!(their_yields.len(), reply.yielded.len());
        assert_eq!(learnt.more_elements_requests > 0, what.contains("long"));
        // The device saw the global map, one input and one output, as PSBTv2.
        assert_eq!(learnt.psbt_maps.len(), 3);
        assert_eq!(learnt.psbt_maps[0].len(), 5);
        assert_eq!(reply.yielded[0].encode(), unhex(yielded));
    }
}
