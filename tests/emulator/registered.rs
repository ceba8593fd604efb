//! SIGN_PSBT under registered wallet policies, for every script type the emulator signs: each
//! cosigner emulator registers the policy and signs a two-input PSBT (one receive, one change
//! address), rust-miniscript turns the partial signatures into a finished transaction, and
//! libbitcoinconsensus checks every input: multisig, single-key, miniscript under `wsh` and
//! taproot trees of several leaves. Only `wsh(sortedmulti)` (testnet) and `tr(@0/**)` are
//! recorded from the real app; miniscript and tap trees have the app's own known answers in
//! `policy_known_answers`; the rest follows the app's source.
#![allow(clippy::indexing_slicing)]

use std::str::FromStr;

use bitcoin::bip32::DerivationPath;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::taproot::{LeafVersion, TapLeafHash};
use bitcoin::{absolute, transaction, Amount, OutPoint, Psbt, ScriptBuf, Sequence, Transaction};
use bitcoin::{TxIn, TxOut, Witness};
use firmware_msgs::btc::exchange as ops;
use firmware_msgs::btc::{KeyInfo, PsbtMaps, WalletPolicy, YieldedItem};
use miniscript::descriptor::{DefiniteDescriptorKey, Descriptor, DescriptorPublicKey};
use miniscript::psbt::PsbtExt;
use porsign::app::{btc, run_exchange};
use porsign::emulator::keys::path;
use porsign::emulator::{AppMode, Emulator, EmulatorConfig, InProcessTransport};
use porsign::scheme::script::Flags;

use crate::scheme::script::consensus::core_ok;

/// Three seeds, one per cosigner device (Speculos's default first).
const SEEDS: [&str; 3] = [
    "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin",
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    "legal winner thank year wave sausage worth useful legal winner thank yellow",
];

/// `(change, address index)` of the two inputs.
const SPENT: [(u32, u32); 2] = [(0, 3), (1, 5)];
const VALUE: u64 = 100_000;

struct Device {
    transport: InProcessTransport,
    key: KeyInfo,
    /// The key as rust-miniscript writes it: `[fingerprint/origin]xpub`.
    descriptor_key: String,
}

fn device(seed: &str, account: &str) -> Device {
    let mut config = EmulatorConfig::new(AppMode::Bitcoin);
    config.mnemonic = seed.to_owned();
    let emulator = Emulator::new(config).expect("emulator");
    let fingerprint = emulator.fingerprint();
    let mut transport = InProcessTransport::new(emulator);
    let origin: DerivationPath = path(account);
    let xpub = btc::xpub(&mut transport, &origin, false).expect("account xpub");
    let wire = btc::wire_path(&origin).expect("short path");
    let origin_text = origin.to_string();
    Device {
        transport,
        key: KeyInfo::new(fingerprint, wire, xpub.to_string()),
        descriptor_key: format!("[{}/{origin_text}]{xpub}", hex::encode(fingerprint)),
    }
}

/// The policy's descriptor at one change level (`@i/**` → `key/<change>/*`, `@i/<a;b>/*` →
/// `key/a/*` or `key/b/*`).
fn descriptor(template: &str, devices: &[Device], change: u32) -> Descriptor<DescriptorPublicKey> {
    let mut text = String::new();
    let mut rest = template;
    while let Some(at) = rest.find('@') {
        text.push_str(&rest[..at]);
        let expr = &rest[at + 1..];
        let digits = expr.find('/').expect("a key expression");
        let key = &devices[expr[..digits].parse::<usize>().unwrap()].descriptor_key;
        let derivation = &expr[digits..];
        let (step, len) = if derivation.starts_with("/**") {
            (change, 3)
        } else {
            let end = derivation.find(">/*").expect("/<a;b>/*");
            let (a, b) = derivation[2..end].split_once(';').unwrap();
            let step = if change == 0 { a } else { b };
            (step.parse().unwrap(), end + 3)
        };
        text.push_str(&format!("{key}/{step}/*"));
        rest = &derivation[len..];
    }
    text.push_str(rest);
    Descriptor::from_str(&text).expect("descriptor")
}

fn at(
    template: &str,
    devices: &[Device],
    change: u32,
    index: u32,
) -> Descriptor<DefiniteDescriptorKey> {
    descriptor(template, devices, change)
        .at_derivation_index(index)
        .expect("definite descriptor")
}

/// Registers `template` on the devices numbered in `signers`, has each sign, finalizes and checks the
/// spending transaction with the consensus library.
fn sign_and_verify(template: &str, accounts: &[&str], signers: &[usize]) {
    let mut devices: Vec<Device> = accounts
        .iter()
        .zip(SEEDS)
        .map(|(account, seed)| device(seed, account))
        .collect();
    let keys = devices.iter().map(|d| d.key.clone()).collect();
    let policy = WalletPolicy::new("porsign test", template, keys).expect("policy");

    // The funding transaction: one output per spent address, each checked against the address
    // the device derives for it.
    let mut funding = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(vec![0x51, 0x51]),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: Vec::new(),
    };
    let mut hmacs = Vec::new();
    for &i in signers {
        let d = &mut devices[i];
        let registered = run_exchange(&mut d.transport, ops::register_wallet(&policy).unwrap())
            .unwrap_or_else(|e| panic!("{template}: register: {e:?}"));
        hmacs.push(registered.hmac);
    }
    for (change, index) in SPENT {
        let spk = at(template, &devices, change, index).script_pubkey();
        let shown = run_exchange(
            &mut devices[signers[0]].transport,
            ops::get_wallet_address(&policy, Some(&hmacs[0]), change == 1, index, false).unwrap(),
        )
        .expect("address");
        let address = bitcoin::Address::from_str(&shown.0)
            .unwrap()
            .assume_checked();
        assert_eq!(address.script_pubkey(), spk, "{template}: device address");
        funding.output.push(TxOut {
            value: Amount::from_sat(VALUE),
            script_pubkey: spk,
        });
    }
    let spend = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: (0..SPENT.len())
            .map(|vout| TxIn {
                previous_output: OutPoint::new(funding.compute_txid(), vout as u32),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            })
            .collect(),
        output: vec![TxOut {
            value: Amount::from_sat(2 * VALUE - 1_000),
            script_pubkey: ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([7; 20])),
        }],
    };
    let mut psbt = Psbt::from_unsigned_tx(spend).unwrap();
    let segwit = !template.starts_with("pkh(")
        && !template.starts_with("sh(multi")
        && !template.starts_with("sh(sortedmulti");
    for (i, (change, index)) in SPENT.into_iter().enumerate() {
        psbt.inputs[i].non_witness_utxo = Some(funding.clone());
        if segwit {
            psbt.inputs[i].witness_utxo = Some(funding.output[i].clone());
        }
        psbt.update_input_with_descriptor(i, &at(template, &devices, change, index))
            .unwrap_or_else(|e| panic!("{template}: update input: {e:?}"));
    }

    let bytes = psbt.serialize();
    for (&i, hmac) in signers.iter().zip(&hmacs) {
        let d = &mut devices[i];
        let maps = PsbtMaps::from_psbt(&bytes).unwrap();
        let reply = run_exchange(
            &mut d.transport,
            ops::sign_psbt(&maps, &policy, Some(hmac)).unwrap(),
        )
        .unwrap_or_else(|e| panic!("{template}: sign: {e:?}"));
        assert_eq!(
            reply.yielded.len(),
            SPENT.len(),
            "{template}: one signature per input"
        );
        for item in reply.yielded {
            let YieldedItem::PartialSignature {
                input_index,
                key,
                signature,
            } = item
            else {
                panic!("{template}: unexpected yield {item:?}");
            };
            let input = &mut psbt.inputs[input_index as usize];
            if key.len() == 64 {
                // A script-path signature: the key and the leaf's hash.
                let signed = XOnlyPublicKey::from_slice(&key[..32]).unwrap();
                let leaf = TapLeafHash::from_slice(&key[32..]).unwrap();
                assert!(
                    input.tap_scripts.values().any(|(script, _)| {
                        TapLeafHash::from_script(script, LeafVersion::TapScript) == leaf
                    }),
                    "{template}: the yield names a leaf of the input"
                );
                input.tap_script_sigs.insert(
                    (signed, leaf),
                    bitcoin::taproot::Signature::from_slice(&signature).unwrap(),
                );
            } else if template.starts_with("tr(") {
                input.tap_key_sig =
                    Some(bitcoin::taproot::Signature::from_slice(&signature).unwrap());
            } else {
                let key = bitcoin::PublicKey::from_slice(&key).expect("33-byte key");
                assert!(
                    input.bip32_derivation.contains_key(&key.inner),
                    "{template}: the yield names a key of the input"
                );
                input.partial_sigs.insert(
                    key,
                    bitcoin::ecdsa::Signature::from_slice(&signature).unwrap(),
                );
            }
        }
    }
    let secp = bitcoin::secp256k1::Secp256k1::verification_only();
    psbt.finalize_mut(&secp)
        .unwrap_or_else(|e| panic!("{template}: finalize: {e:?}"));
    let tx = psbt.extract(&secp).expect("complete transaction");
    for i in 0..funding.output.len() {
        assert!(
            core_ok(&tx, i, &funding.output, Flags::CONSENSUS),
            "{template}: input {i} does not verify"
        );
    }
}

#[test]
fn registered_multisig_of_every_wrapping_signs_spendable_inputs() {
    let accounts = ["m/48'/0'/0'/2'", "m/48'/0'/0'/2'", "m/48'/0'/0'/2'"];
    sign_and_verify("wsh(sortedmulti(2,@0/**,@1/**,@2/**))", &accounts, &[0, 1]);
    sign_and_verify("wsh(multi(2,@0/**,@1/**,@2/**))", &accounts, &[0, 1]);
    let nested = ["m/48'/0'/0'/1'", "m/48'/0'/0'/1'", "m/48'/0'/0'/1'"];
    sign_and_verify(
        "sh(wsh(sortedmulti(2,@0/**,@1/**,@2/**)))",
        &nested,
        &[0, 1],
    );
    let legacy = ["m/45'/0'/0'", "m/45'/0'/0'", "m/45'/0'/0'"];
    sign_and_verify("sh(sortedmulti(2,@0/**,@1/**,@2/**))", &legacy, &[0, 1]);
    sign_and_verify("sh(multi(2,@0/**,@1/**,@2/**))", &legacy, &[0, 1]);
}

#[test]
fn registered_single_key_policies_sign_spendable_inputs() {
    sign_and_verify("wpkh(@0/**)", &["m/84'/0'/0'"], &[0]);
    sign_and_verify("sh(wpkh(@0/**))", &["m/49'/0'/0'"], &[0]);
    sign_and_verify("pkh(@0/**)", &["m/44'/0'/0'"], &[0]);
    sign_and_verify("tr(@0/**)", &["m/86'/0'/0'"], &[0]);
}

#[test]
fn taproot_with_a_pk_leaf_signs_on_either_path() {
    let accounts = ["m/86'/0'/0'", "m/86'/0'/0'"];
    // Our key is the internal key: a key-path signature tweaked by the tree's root.
    sign_and_verify("tr(@0/**,pk(@1/**))", &accounts, &[0]);
    // Our key is in the leaf: a script-path signature with the leaf's hash.
    sign_and_verify("tr(@0/**,pk(@1/**))", &accounts, &[1]);
}

#[test]
fn registered_miniscript_policies_sign_spendable_inputs() {
    let accounts = ["m/48'/0'/0'/2'", "m/48'/0'/0'/2'", "m/48'/0'/0'/2'"];
    // Our key alone satisfies the first branch; the timelocked one is not needed.
    sign_and_verify(
        "wsh(or_d(pk(@0/**),and_v(v:pkh(@1/**),older(65535))))",
        &accounts[..2],
        &[0],
    );
    // Two of three keys, each a separate fragment.
    sign_and_verify(
        "wsh(thresh(2,pk(@0/**),s:pk(@1/**),s:pk(@2/**)))",
        &accounts,
        &[0, 2],
    );
    // andor: the first two keys together.
    sign_and_verify(
        "wsh(andor(pk(@0/**),pk(@1/**),pk(@2/**)))",
        &accounts,
        &[0, 1],
    );
}

#[test]
fn taproot_trees_with_several_leaves_sign_on_the_script_path() {
    let accounts = ["m/86'/0'/0'", "m/86'/0'/0'", "m/86'/0'/0'"];
    // Our key in the second leaf of two.
    sign_and_verify("tr(@0/**,{pk(@1/**),pk(@2/**)})", &accounts, &[2]);
    // A 2-of-2 multi_a leaf deeper in the tree, both cosigners signing it.
    sign_and_verify(
        "tr(@0/**,{pk(@0/<2;3>/*),{multi_a(2,@1/**,@2/**),pk(@0/<4;5>/*)}})",
        &accounts,
        &[1, 2],
    );
    // Our key as the internal key of a multi-leaf tree: key path, tweaked by the tree's root.
    sign_and_verify("tr(@0/**,{pk(@1/**),pk(@2/**)})", &accounts, &[0]);
}
