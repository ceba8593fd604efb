//! The emulated Bitcoin app beyond the transcripts: BIP-322 `to_sign` signatures for every
//! default policy (checked against digests computed here from the PSBT), registered wallets,
//! and the protocol's error answers.
#![allow(clippy::indexing_slicing)]

use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint, Xpub};
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{ecdsa, schnorr, Message, PublicKey, XOnlyPublicKey, SECP256K1};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::{Amount, Psbt, ScriptBuf};
use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::{KeyInfo, SingleKeyPolicy, WalletPolicy, YieldedItem};
use firmware_msgs::{Bip32Path, StatusWord};
use porsign::app::{btc, run_exchange, DeviceError};
use porsign::emulator::keys::path;
use porsign::emulator::{AppMode, Emulator, EmulatorConfig, InProcessTransport, Reply};
use porsign::scheme::bip322;

const FINGERPRINT: [u8; 4] = [0xf5, 0xac, 0xc2, 0xfd];

fn transport(app: AppMode) -> InProcessTransport {
    InProcessTransport::new(Emulator::new(EmulatorConfig::new(app)).expect("emulator"))
}

fn wire(p: &DerivationPath) -> Bip32Path {
    btc::wire_path(p).expect("short path")
}

/// The public key at `account/0/index`.
fn receive_key(account: &Xpub, index: u32) -> PublicKey {
    account
        .derive_pub(
            SECP256K1,
            &[
                ChildNumber::Normal { index: 0 },
                ChildNumber::Normal { index },
            ],
        )
        .unwrap()
        .public_key
}

/// Builds the BIP-322 `to_sign` PSBT for the key at `account/0/3`, has the emulator sign it
/// and checks the signature against a digest computed independently from the PSBT.
fn prove_with(kind: SingleKeyPolicy, purpose: u32) {
    let mut t = transport(AppMode::Bitcoin);
    let account = path(&format!("m/{purpose}'/0'/0'"));
    let full = path(&format!("m/{purpose}'/0'/0'/0/3"));
    let xpub: Xpub = btc::xpub(&mut t, &account, false).expect("account xpub");
    let pubkey = receive_key(&xpub, 3);
    let compressed = bitcoin::CompressedPublicKey(pubkey);
    let wpkh = ScriptBuf::new_p2wpkh(&compressed.wpubkey_hash());
    let internal = XOnlyPublicKey::from(pubkey);
    let spk = match kind {
        SingleKeyPolicy::Pkh => ScriptBuf::new_p2pkh(&compressed.pubkey_hash()),
        SingleKeyPolicy::Wpkh => wpkh.clone(),
        SingleKeyPolicy::ShWpkh => ScriptBuf::new_p2sh(&wpkh.script_hash()),
        _ => ScriptBuf::new_p2tr(SECP256K1, internal, None),
    };
    let to_spend = bip322::to_spend(b"porsign test challenge", &spk);
    let to_sign = bip322::to_sign(&to_spend);
    let mut psbt = Psbt::from_unsigned_tx(to_sign).unwrap();
    let origin = (Fingerprint::from(FINGERPRINT), full.clone());
    {
        let input = &mut psbt.inputs[0];
        match kind {
            SingleKeyPolicy::Pkh => input.non_witness_utxo = Some(to_spend.clone()),
            SingleKeyPolicy::Tr => {
                input.witness_utxo = Some(to_spend.output[0].clone());
                input.tap_internal_key = Some(internal);
                input
                    .tap_key_origins
                    .insert(internal, (Vec::new(), origin.clone()));
            }
            _ => {
                input.witness_utxo = Some(to_spend.output[0].clone());
                input.non_witness_utxo = Some(to_spend.clone());
            }
        }
        if kind == SingleKeyPolicy::ShWpkh {
            input.redeem_script = Some(wpkh.clone());
        }
        if kind != SingleKeyPolicy::Tr {
            input.bip32_derivation.insert(pubkey, origin);
        }
    }
    let policy = WalletPolicy::single_key(
        kind,
        KeyInfo::new(FINGERPRINT, wire(&account), xpub.to_string()),
    );
    let reply = btc::sign_psbt(&mut t, &psbt.serialize(), &policy).expect("signed");
    let [YieldedItem::PartialSignature {
        input_index: 0,
        key,
        signature,
    }] = reply.yielded.as_slice()
    else {
        panic!("unexpected yields {:?}", reply.yielded);
    };
    let tx = &psbt.unsigned_tx;
    let mut cache = SighashCache::new(tx);
    if kind == SingleKeyPolicy::Tr {
        let digest = cache
            .taproot_key_spend_signature_hash(
                0,
                &Prevouts::All(&to_spend.output),
                TapSighashType::Default,
            )
            .unwrap();
        let output_key = XOnlyPublicKey::from_slice(key).unwrap();
        assert_eq!(
            ScriptBuf::new_p2tr_tweaked(bitcoin::key::TweakedPublicKey::dangerous_assume_tweaked(
                output_key
            )),
            spk
        );
        let sig = schnorr::Signature::from_slice(signature).unwrap();
        SECP256K1
            .verify_schnorr(
                &sig,
                &Message::from_digest(digest.to_byte_array()),
                &output_key,
            )
            .expect("valid Schnorr signature");
        return;
    }
    assert_eq!(key.as_slice(), pubkey.serialize());
    let (der, sighash_byte) = signature.split_at(signature.len() - 1);
    assert_eq!(sighash_byte, [0x01]);
    let digest: [u8; 32] = match kind {
        SingleKeyPolicy::Pkh => cache
            .legacy_signature_hash(0, &spk, 1)
            .unwrap()
            .to_byte_array(),
        _ => cache
            .p2wpkh_signature_hash(0, &wpkh, Amount::ZERO, EcdsaSighashType::All)
            .unwrap()
            .to_byte_array(),
    };
    let sig = ecdsa::Signature::from_der(der).unwrap();
    SECP256K1
        .verify_ecdsa(&Message::from_digest(digest), &sig, &pubkey)
        .expect("valid ECDSA signature");
}

#[test]
fn signs_bip322_to_sign_for_every_default_policy() {
    prove_with(SingleKeyPolicy::Wpkh, 84);
    prove_with(SingleKeyPolicy::ShWpkh, 49);
    prove_with(SingleKeyPolicy::Pkh, 44);
    prove_with(SingleKeyPolicy::Tr, 86);
}

fn multisig(t: &mut InProcessTransport) -> WalletPolicy {
    let keys: Vec<KeyInfo> = (0..3)
        .map(|account| {
            let p = path(&format!("m/48'/0'/{account}'/2'"));
            let xpub = btc::xpub(t, &p, false).unwrap();
            KeyInfo::new(FINGERPRINT, wire(&p), xpub.to_string())
        })
        .collect();
    WalletPolicy::wsh_sortedmulti("porsign 2of3", 2, keys).expect("valid policy")
}

#[test]
fn registered_wallets_need_their_hmac() {
    let mut t = transport(AppMode::Bitcoin);
    let policy = multisig(&mut t);
    let registered = run_exchange(&mut t, ops::register_wallet(&policy).unwrap()).unwrap();
    let address = run_exchange(
        &mut t,
        ops::get_wallet_address(&policy, Some(&registered.hmac), false, 0, true).unwrap(),
    )
    .unwrap();
    assert_eq!(
        address.0,
        "bc1q5uaamedd6aj4g2ekdcgzmup8aksjatmaze9uzy2ua2ec89jtdr2skh08ej"
    );
    let screens = t.emulator().lock().unwrap().reviewed_screens();
    assert!(
        screens.contains(&"Account name porsign 2of3".to_owned()),
        "{screens:?}"
    );
    assert_eq!(screens.last().map(String::as_str), Some("Confirm"));

    let mut forged = registered.hmac;
    forged[0] ^= 1;
    let refused = run_exchange(
        &mut t,
        ops::get_wallet_address(&policy, Some(&forged), false, 0, false).unwrap(),
    );
    assert!(
        matches!(
            refused,
            Err(DeviceError::Status {
                status: StatusWord::SignatureFail,
                ..
            })
        ),
        "{refused:?}"
    );
    // Without an HMAC a multisig policy is not a default one.
    let refused = run_exchange(
        &mut t,
        ops::get_wallet_address(&policy, None, false, 0, false).unwrap(),
    );
    assert!(matches!(
        refused,
        Err(DeviceError::Status {
            status: StatusWord::IncorrectData,
            ..
        })
    ));
}

#[test]
fn testnet_app_uses_testnet_keys_and_refuses_mainnet_ones() {
    let mut t = transport(AppMode::BitcoinTest);
    let app = btc::check_app(&mut t).unwrap();
    assert!(app.testnet);
    let tpub = btc::xpub(&mut t, &path("m/84'/1'/0'"), false).unwrap();
    assert!(tpub.to_string().starts_with("tpub"));
    assert!(matches!(
        btc::xpub(&mut t, &path("m/84'/0'/0'"), false),
        Err(DeviceError::PathRefused { .. })
    ));
    assert!(matches!(
        btc::sign_message(&mut t, &path("m/84'/0'/0'/0/0"), b"x"),
        Err(DeviceError::PathRefused { .. })
    ));
}

fn send(emulator: &mut Emulator, apdu: &str) -> String {
    match emulator.handle(&hex::decode(apdu).unwrap()) {
        Reply::Data(reply) => hex::encode(reply),
        other => panic!("no data: {other:?}"),
    }
}

#[test]
fn protocol_errors_answer_like_the_app() {
    let mut emulator = Emulator::new(EmulatorConfig::new(AppMode::Bitcoin)).unwrap();
    // CONTINUE with nothing interrupted; protocol version 2; an unknown INS; a short frame.
    assert_eq!(send(&mut emulator, "f801000100"), "b007");
    assert_eq!(send(&mut emulator, "e105000200"), "6a86");
    assert_eq!(send(&mut emulator, "e17f000100"), "6d00");
    assert_eq!(send(&mut emulator, "e10500"), "6a87");
    // A standard account xpub is exported silently; a non-standard path needs the display.
    assert!(send(&mut emulator, "e10000010e0003800000548000000080000000").ends_with("9000"));
    assert_eq!(
        send(&mut emulator, "e10000010a000280000054800000aa"),
        "6a82"
    );
    // SIGN_MESSAGE "porsign test challenge" at m/84'/0'/0'/0/0 (from the transcript).
    let start = "e11000013605800000548000000080000000000000000000000016ddbf9cf4dfba035438dbe1b632e2d4dafb2724c91bfa3983b1fb84b5533fe5cb";
    let leaf_proof =
        "f801000122ddbf9cf4dfba035438dbe1b632e2d4dafb2724c91bfa3983b1fb84b5533fe5cb0000";
    assert!(send(&mut emulator, start).ends_with("e000"));
    // The OS answers B0 01 even mid-command; anything but CONTINUE drops the command.
    assert_eq!(
        send(&mut emulator, "b001000000"),
        "0107426974636f696e05322e342e3601009000"
    );
    assert_eq!(send(&mut emulator, "e105000100"), "6a80");
    assert_eq!(send(&mut emulator, "f80100010100"), "b007");
    // A host that answers a preimage request with bytes of another hash: the message chunk
    // cannot be read, which the app answers with B007.
    assert!(send(&mut emulator, start).ends_with("e000"));
    assert!(send(&mut emulator, leaf_proof).starts_with("4000ddbf"));
    assert_eq!(send(&mut emulator, "f801000103010100"), "b007");
}

#[test]
fn ethereum_paths_and_errors() {
    let mut emulator = Emulator::new(EmulatorConfig::new(AppMode::Ethereum)).unwrap();
    // A Bitcoin path: the Ethereum app may not derive it.
    assert_eq!(
        send(
            &mut emulator,
            "e002000015058000002c80000000800000000000000000000000"
        ),
        "6a80"
    );
    assert_eq!(send(&mut emulator, "e0ff000000"), "6d00");
    assert_eq!(send(&mut emulator, "e105000100"), "6e00");
    // GET_APP_CONFIGURATION: the app reads neither P1/P2 nor data (cmd_get_app_configuration.c).
    assert_eq!(send(&mut emulator, "e006000100"), "020116009000");
    // A continuation chunk with no message started.
    assert_eq!(send(&mut emulator, "e008800001aa"), "6a80");
}

#[test]
fn os_and_stray_data_answered_like_the_app() {
    let mut emulator = Emulator::new(EmulatorConfig::new(AppMode::Bitcoin)).unwrap();
    // GET_MASTER_FINGERPRINT reads no data; a stray byte is ignored, not refused (6A87).
    assert_eq!(send(&mut emulator, "e10500000100"), "f5acc2fd9000");
    assert_eq!(send(&mut emulator, "e105000000"), "f5acc2fd9000");
    // QUIT_APP: 9000, then the app is gone (Speculos exits with it).
    assert_eq!(send(&mut emulator, "b0a7000000"), "9000");
    assert!(matches!(
        emulator.handle(&hex::decode("b001000000").unwrap()),
        Reply::Disconnect
    ));
}

/// A wpkh PSBT of `n` inputs, each spending output `i` of one previous transaction to the
/// account's first receive address.
fn wide_psbt(t: &mut InProcessTransport, n: u32) -> (Psbt, WalletPolicy, bitcoin::Transaction) {
    let account = path("m/84'/0'/0'");
    let xpub: Xpub = btc::xpub(t, &account, false).expect("account xpub");
    let pubkey = receive_key(&xpub, 0);
    let spk = ScriptBuf::new_p2wpkh(&bitcoin::CompressedPublicKey(pubkey).wpubkey_hash());
    let previous = bip322::to_spend(b"porsign 513 inputs", &spk);
    let mut tx = bip322::to_sign(&previous);
    let first = tx.input[0].clone();
    tx.input = (0..n)
        .map(|vout| {
            let mut input = first.clone();
            input.previous_output.vout = vout;
            input
        })
        .collect();
    let mut psbt = Psbt::from_unsigned_tx(tx).unwrap();
    let origin = (Fingerprint::from(FINGERPRINT), path("m/84'/0'/0'/0/0"));
    for input in &mut psbt.inputs {
        input.witness_utxo = Some(previous.output[0].clone());
        input.bip32_derivation.insert(pubkey, origin.clone());
    }
    let policy = WalletPolicy::single_key(
        SingleKeyPolicy::Wpkh,
        KeyInfo::new(FINGERPRINT, wire(&account), xpub.to_string()),
    );
    (psbt, policy, previous)
}

#[test]
fn the_513th_input_is_refused_at_once() {
    let mut t = transport(AppMode::Bitcoin);
    let (psbt, policy, _) = wide_psbt(&mut t, 513);
    let refused = btc::sign_psbt(&mut t, &psbt.serialize(), &policy);
    assert!(
        matches!(
            refused,
            Err(DeviceError::Status {
                status: StatusWord::NotSupported,
                ..
            })
        ),
        "{refused:?}"
    );
    assert!(t.emulator().lock().unwrap().reviewed_screens().is_empty());
    // On the wire: 513 inputs get 6A82 in reply to the command itself, 512 a first request
    // for the PSBT's contents.
    for (n, expected) in [(513, "6a82"), (512, "e000")] {
        let (psbt, policy, _) = wide_psbt(&mut t, n);
        let maps = firmware_msgs::btc::PsbtMaps::from_psbt(&psbt.serialize()).unwrap();
        let first = ops::sign_psbt(&maps, &policy, None)
            .unwrap()
            .first_command();
        let mut emulator = Emulator::new(EmulatorConfig::new(AppMode::Bitcoin)).unwrap();
        let reply = send(&mut emulator, &hex::encode(first.encode()));
        assert!(reply.ends_with(expected), "{n} inputs: {reply}");
    }
}

/// Runs one host exchange against the emulator, returning the device's refusal with its data.
fn refusal<R: firmware_msgs::btc::exchange::Reply + std::fmt::Debug>(
    emulator: &mut Emulator,
    mut exchange: ops::Exchange<R>,
) -> (StatusWord, String) {
    let mut command = exchange.first_command();
    loop {
        let Reply::Data(bytes) = emulator.handle(&command.encode()) else {
            panic!("no reply");
        };
        let response = firmware_msgs::ApduResponse::decode(&bytes).unwrap();
        match exchange.advance(&response) {
            Ok(ops::Step::Send(next)) => command = next,
            Ok(ops::Step::Done(reply)) => panic!("signed: {reply:?}"),
            Err(ops::ExchangeError::Device { status, data }) => return (status, hex::encode(data)),
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn psbt_refusals_carry_the_apps_error_codes() {
    let mut t = transport(AppMode::Bitcoin);
    let (base, policy, previous) = wide_psbt(&mut t, 1);
    let mut other = previous.clone();
    other.lock_time = bitcoin::absolute::LockTime::from_consensus(1);
    let mut changed_value = previous.output[0].clone();
    changed_value.value = Amount::from_sat(1);
    // (what is changed in the input, the input, the error code the app sends before 6A80)
    let no_utxo = {
        let mut input = base.inputs[0].clone();
        input.witness_utxo = None;
        input
    };
    let other_txid = {
        let mut input = base.inputs[0].clone();
        input.non_witness_utxo = Some(other);
        input
    };
    let disagreeing = {
        let mut input = base.inputs[0].clone();
        input.non_witness_utxo = Some(previous);
        input.witness_utxo = Some(changed_value);
        input
    };
    let cases = [
        ("no UTXO at all", no_utxo, "0003"),
        ("a previous transaction of another txid", other_txid, "0004"),
        (
            "witness UTXO and previous transaction disagree",
            disagreeing,
            "0005",
        ),
    ];
    for (what, input, code) in cases {
        let mut psbt = base.clone();
        psbt.inputs[0] = input;
        let maps = firmware_msgs::btc::PsbtMaps::from_psbt(&psbt.serialize()).unwrap();
        let mut emulator = Emulator::new(EmulatorConfig::new(AppMode::Bitcoin)).unwrap();
        let answer = refusal(&mut emulator, ops::sign_psbt(&maps, &policy, None).unwrap());
        assert_eq!(
            answer,
            (StatusWord::IncorrectData, code.to_owned()),
            "{what}"
        );
    }
}
