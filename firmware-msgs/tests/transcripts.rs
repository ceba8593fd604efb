//! The recorded Speculos transcripts (real Bitcoin 2.4.6 and Ethereum 1.22.0 apps) replayed
//! against this crate, both ways:
//!
//! - host side: for each operation, our exchange, given the same inputs, must send exactly the
//!   recorded commands and decode the recorded result;
//! - device side: every recorded command, client-command request, CONTINUE answer and reply
//!   must decode with the device-side decoders and re-encode to the same bytes.
#![allow(clippy::indexing_slicing)]

mod common;

use base64::Engine as _;
use common::{unhex, Transcript};
use firmware_msgs::btc::client_command::ClientCommandCode;
use firmware_msgs::btc::replies::YieldedItem;
use firmware_msgs::btc::wallet_policy::{KeyInfo, SingleKeyPolicy, WalletPolicy};
use firmware_msgs::btc::{exchange, BtcCommand, ClientCommand, ClientResponse, ExchangeError};
use firmware_msgs::btc::{
    ExtendedPubkey, MasterFingerprint, MessageSignature, PsbtMaps, RegisteredWallet, WalletAddress,
};
use firmware_msgs::eth::{self, EthCommand, PersonalMessageAssembler};
use firmware_msgs::{bolos, ApduCommand, ApduResponse, Bip32Path, StatusWord};

const FINGERPRINT: [u8; 4] = [0xf5, 0xac, 0xc2, 0xfd];
/// The m/84'/1'/0' tpub of the Speculos seed (also asserted by async-hwi's and HWI's tests).
const TPUB_84_1_0: &str = "tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P";

fn path(text: &str) -> Bip32Path {
    text.parse().expect("valid path")
}

/// The account xpub our host would have obtained first (from the xpub transcripts).
fn account_key(purpose: u32) -> KeyInfo {
    let t = Transcript::load(&format!("btc-xpub-{purpose}h-0h-0h"));
    let xpub = t.result.as_str().expect("xpub result");
    KeyInfo::new(FINGERPRINT, path(&format!("m/{purpose}'/0'/0'")), xpub)
}

fn single_key_policy(kind: SingleKeyPolicy) -> WalletPolicy {
    WalletPolicy::single_key(kind, account_key(kind.purpose()))
}

fn registered_multisig() -> (WalletPolicy, RegisteredWallet) {
    let t = Transcript::load("btc-register-wsh-sortedmulti-2of3");
    let keys = t.result["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k.as_str().expect("key string").parse().expect("key info"))
        .collect();
    let policy =
        WalletPolicy::wsh_sortedmulti(t.result["policy_name"].as_str().expect("name"), 2, keys)
            .expect("valid policy");
    assert_eq!(
        policy.descriptor_template(),
        t.result["descriptor_template"].as_str().expect("template")
    );
    let registered = RegisteredWallet {
        wallet_id: unhex(t.result["wallet_id"].as_str().expect("id"))
            .try_into()
            .expect("32 bytes"),
        hmac: unhex(t.result["hmac"].as_str().expect("hmac"))
            .try_into()
            .expect("32 bytes"),
    };
    (policy, registered)
}

fn signature_base64(sig: &MessageSignature) -> String {
    base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
}

fn expect_device_error<R: std::fmt::Debug>(
    result: Result<R, ExchangeError>,
    status: StatusWord,
    name: &str,
) {
    match result {
        Err(ExchangeError::Device { status: got, .. }) => assert_eq!(got, status, "{name}"),
        other => panic!("{name}: expected device status {status}, got {other:?}"),
    }
}

/// Wallet-policy transcripts that hold only the SIGN_PSBT exchanges of a signing that
/// succeeded (the others need the drop-in-emulator scenarios).
const PSBT_ONLY_HWI: [&str; 4] = [
    "btc-hwi-testnet-ms-signpsbt",
    "btc-hwi-registered-tr-signpsbt",
    "btc-hwi-tr-keytree-signpsbt",
    "btc-hwi-tr-leaf-signpsbt",
];

/// SIGN_PSBT of the transcript's `psbt` under its `wallet_policy` (and `hmac`, if any): we
/// must send the recorded commands and decode the recorded partial signatures, one per
/// `result.signatures` entry, in order.
fn recorded_psbt_signing(t: &Transcript, replay: &mut common::Replay<'_>) {
    let name = t.name.as_str();
    let policy = &t.json["wallet_policy"];
    let keys = policy["keys_info"]
        .as_array()
        .expect("keys_info")
        .iter()
        .map(|k| k.as_str().expect("key string").parse().expect("key info"))
        .collect();
    let policy = WalletPolicy::new(
        policy["name"].as_str().expect("name"),
        policy["descriptor_template"].as_str().expect("template"),
        keys,
    )
    .expect("valid policy");
    let hmac: Option<[u8; 32]> = t.json["hmac"]
        .as_str()
        .map(|h| unhex(h).try_into().expect("32 bytes"));
    let psbt = base64::engine::general_purpose::STANDARD
        .decode(t.json["psbt"].as_str().expect("psbt"))
        .expect("base64");
    let maps = PsbtMaps::from_psbt(&psbt).expect("psbt maps");
    let reply = replay
        .run(exchange::sign_psbt(&maps, &policy, hmac.as_ref()).expect("request"))
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let expected = t.result["signatures"].as_array().expect("signatures");
    assert_eq!(reply.yielded.len(), expected.len(), "{name}");
    for (item, expected) in reply.yielded.iter().zip(expected) {
        let YieldedItem::PartialSignature {
            input_index,
            key,
            signature,
        } = item
        else {
            panic!("{name}: unexpected yield {item:?}");
        };
        assert_eq!(*input_index, expected[0].as_u64().expect("index"), "{name}");
        let mut expected_key = expected[1]["pubkey"].as_str().expect("key").to_owned();
        if let Some(leaf) = expected[1]["tapleaf_hash"].as_str() {
            expected_key.push_str(leaf);
        }
        assert_eq!(hex::encode(key), expected_key, "{name}");
        assert_eq!(
            hex::encode(signature),
            expected[1]["signature"].as_str().expect("signature"),
            "{name}"
        );
    }
}

/// Runs the host side of one Bitcoin transcript; panics on any difference.
fn host_side_btc(t: &Transcript) {
    let name = t.name.as_str();
    let mut replay = t.replay();
    match name {
        "btc-master-fingerprint" => {
            let fpr = replay
                .run(exchange::get_master_fingerprint())
                .expect("fingerprint");
            assert_eq!(fpr, MasterFingerprint(FINGERPRINT));
            assert_eq!(hex::encode(fpr.0), t.result.as_str().expect("hex"));
        }
        "btc-app-and-version" | "btc-testnet-app-and-version" => {
            let app = replay
                .run(exchange::get_app_and_version())
                .expect("app and version");
            let expected_name = if name.contains("testnet") {
                "Bitcoin Test"
            } else {
                "Bitcoin"
            };
            assert_eq!(
                (app.name.as_str(), app.version.as_str()),
                (expected_name, "2.4.6")
            );
            assert_eq!(app.flags, [0]);
        }
        _ if name.starts_with("btc-xpub-") => {
            let steps: Vec<String> = name
                .trim_start_matches("btc-xpub-")
                .split('-')
                .map(|s| s.replace('h', "'"))
                .collect();
            let p = path(&format!("m/{}", steps.join("/")));
            let xpub = replay
                .run(exchange::get_extended_pubkey(&p, false).expect("request"))
                .expect("xpub");
            assert_eq!(
                xpub,
                ExtendedPubkey(t.result.as_str().expect("xpub").to_owned())
            );
        }
        "btc-register-wsh-sortedmulti-2of3" => {
            let (policy, registered) = registered_multisig();
            let reply = replay
                .run(exchange::register_wallet(&policy).expect("request"))
                .expect("registered");
            assert_eq!(reply, registered);
            assert_eq!(reply.wallet_id, policy.id());
            // The client then checks the first receive address.
            let address = replay
                .run(
                    exchange::get_wallet_address(&policy, Some(&reply.hmac), false, 0, false)
                        .expect("request"),
                )
                .expect("address");
            let expected = Transcript::load("btc-address-wsh-sortedmulti-0-0");
            assert_eq!(Some(address.0.as_str()), expected.result.as_str());
        }
        "btc-address-wsh-sortedmulti-0-0" => {
            let (policy, registered) = registered_multisig();
            let address = replay
                .run(
                    exchange::get_wallet_address(&policy, Some(&registered.hmac), false, 0, false)
                        .expect("request"),
                )
                .expect("address");
            assert_eq!(Some(address.0.as_str()), t.result.as_str());
        }
        "btc-testnet-address-wpkh-0-0" => {
            let key = KeyInfo::new(FINGERPRINT, path("m/84'/1'/0'"), TPUB_84_1_0);
            let policy = WalletPolicy::single_key(SingleKeyPolicy::Wpkh, key);
            let address = replay
                .run(exchange::get_wallet_address(&policy, None, false, 0, false).expect("request"))
                .expect("address");
            assert_eq!(Some(address.0.as_str()), t.result.as_str());
        }
        _ if name.starts_with("btc-address-") => {
            let rest = name.trim_start_matches("btc-address-");
            let (display, rest) = match rest.strip_suffix("-display") {
                Some(rest) => (true, rest),
                None => (false, rest),
            };
            let (kind, rest) = [
                ("pkh-", SingleKeyPolicy::Pkh),
                ("sh-wpkh-", SingleKeyPolicy::ShWpkh),
                ("wpkh-", SingleKeyPolicy::Wpkh),
                ("tr-", SingleKeyPolicy::Tr),
            ]
            .into_iter()
            .find_map(|(prefix, kind)| rest.strip_prefix(prefix).map(|r| (kind, r)))
            .unwrap_or_else(|| panic!("{name}: unknown policy"));
            let (change, index) = rest.split_once('-').expect("change-index");
            let policy = single_key_policy(kind);
            let address = replay
                .run(
                    exchange::get_wallet_address(
                        &policy,
                        None,
                        change == "1",
                        index.parse().expect("index"),
                        display,
                    )
                    .expect("request"),
                )
                .expect("address");
            assert_eq!(Some(address.0.as_str()), t.result.as_str());
        }
        "btc-signmessage-bad-path"
        | "btc-signmessage-rejected"
        | "btc-testnet-signmessage-mainnet-path" => {
            // Inputs from each transcript's description (the result holds only the error).
            let (p, message, status) = match name {
                "btc-signmessage-bad-path" => {
                    ("m/44'/60'/0'/0/0", "path check", StatusWord::BadState)
                }
                "btc-signmessage-rejected" => {
                    ("m/84'/0'/0'/0/0", "please reject me", StatusWord::Deny)
                }
                _ => ("m/84'/0'/0'/0/0", "path check", StatusWord::BadState),
            };
            let result =
                replay.run(exchange::sign_message(&path(p), message.as_bytes()).expect("request"));
            expect_device_error(result, status, name);
        }
        _ if name.starts_with("btc-signmessage-") || name == "btc-testnet-signmessage-short-84" => {
            let message = t.result["message"].as_str().expect("message");
            let p = path(t.result["path"].as_str().expect("path"));
            let sig = replay
                .run(exchange::sign_message(&p, message.as_bytes()).expect("request"))
                .expect("signature");
            assert!(
                matches!(sig.header, 31 | 32),
                "{name}: header {}",
                sig.header
            );
            assert_eq!(
                signature_base64(&sig),
                t.result["signature_base64"].as_str().expect("signature")
            );
        }
        "btc-bip322-signpsbt-wpkh" | "btc-bip322-signpsbt-tr" => {
            let (kind, purpose) = if name.ends_with("tr") {
                (SingleKeyPolicy::Tr, 86)
            } else {
                (SingleKeyPolicy::Wpkh, 84)
            };
            // The recorded flow: account xpub, address check, key xpub, then SIGN_PSBT.
            let account = path(&format!("m/{purpose}'/0'/0'"));
            let xpub = replay
                .run(exchange::get_extended_pubkey(&account, false).expect("request"))
                .expect("account xpub");
            let policy = WalletPolicy::single_key(kind, KeyInfo::new(FINGERPRINT, account, xpub.0));
            let address = replay
                .run(exchange::get_wallet_address(&policy, None, false, 0, false).expect("request"))
                .expect("address");
            assert_eq!(Some(address.0.as_str()), t.result["address"].as_str());
            replay
                .run(
                    exchange::get_extended_pubkey(&path(&format!("m/{purpose}'/0'/0'/0/0")), false)
                        .expect("request"),
                )
                .expect("key xpub");
            let psbt = base64::engine::general_purpose::STANDARD
                .decode(t.result["psbt_base64"].as_str().expect("psbt"))
                .expect("base64");
            let maps = PsbtMaps::from_psbt(&psbt).expect("psbt maps");
            let reply = replay
                .run(exchange::sign_psbt(&maps, &policy, None).expect("request"))
                .expect("signed");
            let expected = &t.result["yielded"][0];
            assert_eq!(reply.yielded.len(), 1);
            match &reply.yielded[0] {
                YieldedItem::PartialSignature {
                    input_index,
                    key,
                    signature,
                } => {
                    assert_eq!(*input_index, expected[0].as_u64().expect("index"));
                    assert_eq!(
                        hex::encode(key),
                        expected[2]["pubkey"].as_str().expect("key")
                    );
                    assert_eq!(
                        hex::encode(signature),
                        expected[2]["signature"].as_str().expect("sig")
                    );
                }
                other => panic!("{name}: unexpected yield {other:?}"),
            }
        }
        _ if name.starts_with("btc-batch-") || PSBT_ONLY_HWI.contains(&name) => {
            recorded_psbt_signing(t, &mut replay);
        }
        "btc-unknown-ins" => {
            // Not a command we send; check the status decodes to its meaning.
            let (_, response) = &t.exchanges[0];
            let response = ApduResponse::decode(response).expect("response");
            assert_eq!(response.status, StatusWord::InsNotSupported);
            return;
        }
        other => panic!("no host-side scenario for transcript {other}"),
    }
    replay.assert_finished();
}

#[test]
fn every_bitcoin_transcript_replays_through_our_host_side() {
    // The other transcripts recorded on 2026-11-30 (whole HWI commands, registrations, error
    // codes) get their host-side scenarios with the drop-in-emulator work.
    let names: Vec<String> = Transcript::names()
        .into_iter()
        .filter(|n| n.starts_with("btc-"))
        .filter(|n| !n.starts_with("btc-hwi-") || PSBT_ONLY_HWI.contains(&n.as_str()))
        .collect();
    assert_eq!(
        names.len(),
        43,
        "the recorded transcripts with a host-side scenario"
    );
    for name in &names {
        host_side_btc(&Transcript::load(name));
    }
}

/// Device side: decode and re-encode every command, request, answer and reply of a transcript.
fn device_side_btc(t: &Transcript) {
    let name = t.name.as_str();
    let mut pending: Option<ClientCommandCode> = None;
    let mut last_command: Option<BtcCommand> = None;
    for (i, (command_bytes, response_bytes)) in t.exchanges.iter().enumerate() {
        let apdu = ApduCommand::decode(command_bytes).expect("command frame");
        assert_eq!(&apdu.encode(), command_bytes);
        let response = ApduResponse::decode(response_bytes).expect("response frame");
        assert_eq!(&response.encode(), response_bytes);
        if bolos::is_get_app_and_version(&apdu) {
            let reply = bolos::AppAndVersion::decode(&response.data).expect("app and version");
            assert_eq!(reply.encode(), response.data);
            continue;
        }
        let command = match BtcCommand::decode(&apdu) {
            Ok(command) => command,
            Err(e) => {
                // The app refused it; our device decoder must refuse it with the same status.
                assert_eq!(e.status_word(), response.status, "{name}: exchange {i}");
                continue;
            }
        };
        assert_eq!(
            command.encode().expect("encodes"),
            apdu,
            "{name}: exchange {i}"
        );
        match &command {
            BtcCommand::Continue(data) => {
                let code = pending.take().expect("continue answers a pending request");
                let answer = ClientResponse::decode(code, data).expect("continue data");
                assert_eq!(&answer.encode(), data, "{name}: exchange {i}");
            }
            other => {
                assert!(pending.is_none(), "{name}: new command during interruption");
                last_command = Some(other.clone());
            }
        }
        match response.status {
            StatusWord::InterruptedExecution => {
                let request = ClientCommand::decode(&response.data).expect("client command");
                assert_eq!(request.encode(), response.data, "{name}: exchange {i}");
                assert_eq!(request.to_response(), response);
                pending = Some(request.code());
            }
            StatusWord::Ok => {
                let data = response.data.as_slice();
                let reencoded = match last_command.as_ref().expect("a command") {
                    BtcCommand::GetExtendedPubkey(_) => {
                        ExtendedPubkey::decode(data).expect("xpub").encode()
                    }
                    BtcCommand::GetWalletAddress(_) => {
                        WalletAddress::decode(data).expect("address").encode()
                    }
                    BtcCommand::RegisterWallet(_) => {
                        RegisteredWallet::decode(data).expect("registered").encode()
                    }
                    BtcCommand::GetMasterFingerprint => MasterFingerprint::decode(data)
                        .expect("fingerprint")
                        .encode(),
                    BtcCommand::SignMessage(_) => {
                        MessageSignature::decode(data).expect("signature").encode()
                    }
                    BtcCommand::SignPsbt(_) => {
                        assert!(data.is_empty());
                        Vec::new()
                    }
                    other => panic!("{name}: unexpected command {other:?}"),
                };
                assert_eq!(reencoded, data, "{name}: exchange {i}");
            }
            _ => {}
        }
    }
}

#[test]
fn every_bitcoin_transcript_round_trips_through_our_device_side() {
    for name in Transcript::names().iter().filter(|n| n.starts_with("btc-")) {
        device_side_btc(&Transcript::load(name));
    }
}

#[test]
fn yields_round_trip() {
    for name in ["btc-bip322-signpsbt-wpkh", "btc-bip322-signpsbt-tr"] {
        let t = Transcript::load(name);
        let yields: Vec<Vec<u8>> = t
            .exchanges
            .iter()
            .filter_map(|(_, r)| {
                let response = ApduResponse::decode(r).ok()?;
                match ClientCommand::decode(&response.data).ok()? {
                    ClientCommand::Yield(data) => Some(data),
                    _ => None,
                }
            })
            .collect();
        assert_eq!(yields.len(), 1, "{name}");
        let item = YieldedItem::decode(&yields[0]).expect("yield");
        assert_eq!(item.encode(), yields[0]);
    }
}

#[test]
fn ethereum_transcripts_both_ways() {
    let names: Vec<String> = Transcript::names()
        .into_iter()
        .filter(|n| n.starts_with("eth-"))
        .collect();
    assert!(names.len() >= 9);
    for name in &names {
        let t = Transcript::load(name);
        let responses: Vec<ApduResponse> = t
            .exchanges
            .iter()
            .map(|(_, r)| ApduResponse::decode(r).expect("response"))
            .collect();
        let commands: Vec<ApduCommand> = t
            .exchanges
            .iter()
            .map(|(c, _)| ApduCommand::decode(c).expect("command"))
            .collect();
        let last = responses.last().expect("one exchange at least");

        // Host side: we build the same APDUs and decode the reply.
        let ours: Vec<ApduCommand> = match name.as_str() {
            "eth-app-and-version" => {
                let app = bolos::AppAndVersion::decode(&last.data).expect("reply");
                assert_eq!(
                    (app.name.as_str(), app.version.as_str()),
                    ("Ethereum", "1.22.0")
                );
                vec![bolos::get_app_and_version()]
            }
            "eth-app-configuration" => {
                let config = eth::AppConfiguration::decode(&last.data).expect("reply");
                assert_eq!(
                    (config.flags, config.version()),
                    (0x02, "1.22.0".to_owned())
                );
                vec![eth::get_app_configuration()]
            }
            "eth-address-0" | "eth-address-1" | "eth-address-0-chaincode" => {
                let index = if name == "eth-address-1" { 1 } else { 0 };
                let chain_code = name.ends_with("chaincode");
                let reply = eth::AddressReply::decode(&last.data).expect("reply");
                assert_eq!(reply.public_key.len(), 65);
                assert_eq!(reply.chain_code.is_some(), chain_code);
                if index == 0 {
                    assert_eq!(reply.address, "Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
                    assert_eq!(hex::encode(&reply.public_key), "04ef5b152e3f15eb0c50c9916161c2309e54bd87b9adce722d69716bcdef85f547678e15ab40a78919c7284e67a17ee9a96e8b9886b60f767d93023bac8dbc16e4");
                }
                if let Some(cc) = reply.chain_code {
                    assert_eq!(
                        hex::encode(cc),
                        "428489ee70680fa137392bc8399c4da9e39e92f058eb9e790f736142bba7e9d6"
                    );
                }
                assert_eq!(reply.encode(), last.data);
                let p = path(&format!("m/44'/60'/0'/0/{index}"));
                vec![eth::get_address(&p, false, chain_code).expect("apdu")]
            }
            "eth-personal-sign-rejected" => {
                assert_eq!(last.status, StatusWord::Deny);
                // The message is the recorded one ("please reject me", from the screens).
                eth::sign_personal_message(&path("m/44'/60'/0'/0/0"), b"please reject me")
                    .expect("apdus")
            }
            _ if name.starts_with("eth-personal-sign-") => {
                let message = unhex(t.result["message_hex"].as_str().expect("message"));
                let p = path(t.result["path"].as_str().expect("path"));
                let sig = eth::EthSignature::decode(&last.data).expect("signature");
                assert_eq!(
                    hex::encode(sig.encode()),
                    t.result["v_r_s"].as_str().expect("vrs")
                );
                assert!(matches!(sig.v, 27 | 28));
                for intermediate in &responses[..responses.len() - 1] {
                    assert_eq!(intermediate, &ApduResponse::ok(Vec::new()));
                }
                eth::sign_personal_message(&p, &message).expect("apdus")
            }
            other => panic!("no scenario for {other}"),
        };
        assert_eq!(ours, commands, "{name}");

        // Device side: decode every command, re-encode it, reassemble messages.
        let mut assembler = PersonalMessageAssembler::new();
        for (apdu, response) in commands.iter().zip(&responses) {
            if bolos::is_get_app_and_version(apdu) {
                continue;
            }
            let command = EthCommand::decode(apdu).expect("eth command");
            assert_eq!(&command.encode().expect("apdu"), apdu, "{name}");
            if let EthCommand::SignPersonalMessage(chunk) = command {
                let done = assembler.push(chunk).expect("in sequence");
                assert_eq!(done.is_some(), response != &ApduResponse::ok(Vec::new()));
                if let (Some((_, message)), Some(expected)) =
                    (done, t.result.get("message_hex").and_then(|m| m.as_str()))
                {
                    assert_eq!(hex::encode(message), expected);
                }
            }
        }
    }
}
