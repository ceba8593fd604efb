//! Property tests: encode→decode is the identity for every command and reply in both
//! directions, and every decoder survives arbitrary bytes (errors, never panics; whatever it
//! accepts re-encodes to the same bytes).
#![allow(clippy::indexing_slicing)]

use firmware_msgs::bolos::AppAndVersion;
use firmware_msgs::btc::client_command::device::{
    FetchStep, LeafProofFetch, ListElementFetch, PreimageFetch,
};
use firmware_msgs::btc::client_command::ClientCommandCode;
use firmware_msgs::btc::commands::{
    GetExtendedPubkey, GetWalletAddress, RegisterWallet, SignMessage, SignPsbt,
};
use firmware_msgs::btc::exchange;
use firmware_msgs::btc::{
    BtcCommand, ClientCommand, ClientResponse, ExtendedPubkey, HostInterpreter, KeyInfo,
    MapCommitment, MasterFingerprint, MessageSignature, PsbtMaps, RegisteredWallet, WalletAddress,
    WalletPolicyHeader, YieldedItem,
};
use firmware_msgs::eth::{
    self, AddressReply, AppConfiguration, EthCommand, EthSignature, GetAddress,
    PersonalMessageAssembler, PersonalMessageChunk,
};
use firmware_msgs::{ApduCommand, ApduResponse, Bip32Path, StatusWord};
use proptest::collection::vec;
use proptest::prelude::*;

const BASE58: &str = "[1-9A-HJ-NP-Za-km-z]{1,120}";

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn hash() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>()
}

fn path() -> impl Strategy<Value = Bip32Path> {
    vec(any::<u32>(), 0..=10).prop_map(|steps| Bip32Path::from_steps(&steps).expect("depth"))
}

fn map_commitment() -> impl Strategy<Value = MapCommitment> {
    (any::<u64>(), hash(), hash()).prop_map(|(size, keys_root, values_root)| MapCommitment {
        size,
        keys_root,
        values_root,
    })
}

fn policy_header() -> impl Strategy<Value = WalletPolicyHeader> {
    ("[ -~]{0,64}", any::<u64>(), hash(), any::<u64>(), hash()).prop_map(
        |(name, descriptor_template_len, descriptor_template_hash, n_keys, keys_root)| {
            WalletPolicyHeader {
                name,
                descriptor_template_len,
                descriptor_template_hash,
                n_keys,
                keys_root,
            }
        },
    )
}

fn btc_command() -> impl Strategy<Value = BtcCommand> {
    prop_oneof![
        (any::<bool>(), path()).prop_map(|(display, path)| BtcCommand::GetExtendedPubkey(
            GetExtendedPubkey { display, path }
        )),
        policy_header().prop_map(|policy| BtcCommand::RegisterWallet(RegisterWallet { policy })),
        (any::<bool>(), hash(), hash(), any::<bool>(), any::<u32>()).prop_map(
            |(display, wallet_id, wallet_hmac, change, address_index)| {
                BtcCommand::GetWalletAddress(GetWalletAddress {
                    display,
                    wallet_id,
                    wallet_hmac,
                    change,
                    address_index,
                })
            }
        ),
        (
            map_commitment(),
            any::<u64>(),
            hash(),
            any::<u64>(),
            hash(),
            hash(),
            hash()
        )
            .prop_map(
                |(global_map, n_inputs, inputs_root, n_outputs, outputs_root, id, hmac)| {
                    BtcCommand::SignPsbt(SignPsbt {
                        global_map,
                        n_inputs,
                        inputs_root,
                        n_outputs,
                        outputs_root,
                        wallet_id: id,
                        wallet_hmac: hmac,
                    })
                }
            ),
        Just(BtcCommand::GetMasterFingerprint),
        (path(), any::<u64>(), hash()).prop_map(|(path, message_len, message_root)| {
            BtcCommand::SignMessage(SignMessage {
                path,
                message_len,
                message_root,
            })
        }),
        bytes(255).prop_map(BtcCommand::Continue),
    ]
}

fn client_command() -> impl Strategy<Value = ClientCommand> {
    prop_oneof![
        bytes(300).prop_map(ClientCommand::Yield),
        hash().prop_map(|hash| ClientCommand::GetPreimage { hash }),
        (hash(), any::<u64>(), any::<u64>()).prop_map(|(root, tree_size, leaf_index)| {
            ClientCommand::GetMerkleLeafProof {
                root,
                tree_size,
                leaf_index,
            }
        }),
        (hash(), hash())
            .prop_map(|(root, leaf_hash)| ClientCommand::GetMerkleLeafIndex { root, leaf_hash }),
        Just(ClientCommand::GetMoreElements),
    ]
}

fn client_response() -> impl Strategy<Value = (ClientCommandCode, ClientResponse)> {
    prop_oneof![
        Just((ClientCommandCode::Yield, ClientResponse::Empty)),
        (bytes(255), any::<u64>()).prop_map(|(partial, extra)| {
            let total_len = (partial.len() as u64).saturating_add(extra % 1000);
            (
                ClientCommandCode::GetPreimage,
                ClientResponse::Preimage { total_len, partial },
            )
        }),
        (hash(), vec(hash(), 0..=6), any::<u8>()).prop_map(|(leaf_hash, partial_proof, extra)| {
            let proof_len = (partial_proof.len() as u8).saturating_add(extra % 60);
            (
                ClientCommandCode::GetMerkleLeafProof,
                ClientResponse::LeafProof {
                    leaf_hash,
                    proof_len,
                    partial_proof,
                },
            )
        }),
        (any::<bool>(), any::<u64>()).prop_map(|(found, index)| (
            ClientCommandCode::GetMerkleLeafIndex,
            ClientResponse::LeafIndex { found, index }
        )),
        (0u8..=40, 0usize..8).prop_flat_map(|(element_len, n)| {
            vec(vec(any::<u8>(), usize::from(element_len)), n).prop_map(move |elements| {
                (
                    ClientCommandCode::GetMoreElements,
                    ClientResponse::MoreElements {
                        element_len,
                        elements,
                    },
                )
            })
        }),
    ]
}

fn yielded_item() -> impl Strategy<Value = YieldedItem> {
    prop_oneof![
        (0u64..0x8000_0000, bytes(255), vec(any::<u8>(), 1..100)).prop_map(
            |(input_index, key, signature)| YieldedItem::PartialSignature {
                input_index,
                key,
                signature,
            }
        ),
        (0x8000_0000u64.., any::<u64>(), bytes(200)).prop_map(|(tag, input_index, payload)| {
            YieldedItem::Tagged {
                tag,
                input_index,
                payload,
            }
        }),
    ]
}

fn eth_command() -> impl Strategy<Value = EthCommand> {
    prop_oneof![
        (any::<bool>(), any::<bool>(), path(), any::<Option<u64>>()).prop_map(
            |(display, return_chain_code, path, chain_id)| EthCommand::GetAddress(GetAddress {
                display,
                return_chain_code,
                path,
                chain_id,
            })
        ),
        Just(EthCommand::GetAppConfiguration),
        (path(), any::<u32>(), bytes(200)).prop_map(|(path, message_len, data)| {
            EthCommand::SignPersonalMessage(PersonalMessageChunk::First {
                path,
                message_len,
                data,
            })
        }),
        bytes(255)
            .prop_map(|data| EthCommand::SignPersonalMessage(PersonalMessageChunk::More { data })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn btc_commands_round_trip(command in btc_command()) {
        let apdu = command.encode().expect("fits");
        let bytes = apdu.encode();
        let decoded = BtcCommand::decode(&ApduCommand::decode(&bytes).expect("frame"));
        prop_assert_eq!(decoded, Ok(command));
    }

    #[test]
    fn client_commands_round_trip(request in client_command()) {
        prop_assert_eq!(ClientCommand::decode(&request.encode()), Ok(request.clone()));
        let response = request.to_response();
        prop_assert_eq!(response.status, StatusWord::InterruptedExecution);
        prop_assert_eq!(ApduResponse::decode(&response.encode()), Ok(response));
    }

    #[test]
    fn client_responses_round_trip((code, response) in client_response()) {
        prop_assert_eq!(ClientResponse::decode(code, &response.encode()), Ok(response));
    }

    #[test]
    fn btc_replies_round_trip(
        fpr: [u8; 4],
        xpub in BASE58,
        address in "[a-zA-Z0-9]{1,90}",
        wallet_id in hash(),
        hmac in hash(),
        header: u8,
        r in hash(),
        s in hash(),
        item in yielded_item(),
        header_policy in policy_header(),
        commitment in map_commitment(),
        app in ("[ -~]{0,40}", "[ -~]{0,20}", bytes(10)),
    ) {
        let f = MasterFingerprint(fpr);
        prop_assert_eq!(MasterFingerprint::decode(&f.encode()), Ok(f));
        let x = ExtendedPubkey(xpub);
        prop_assert_eq!(ExtendedPubkey::decode(&x.encode()), Ok(x));
        let a = WalletAddress(address);
        prop_assert_eq!(WalletAddress::decode(&a.encode()), Ok(a));
        let w = RegisteredWallet { wallet_id, hmac };
        prop_assert_eq!(RegisteredWallet::decode(&w.encode()), Ok(w));
        let m = MessageSignature { header, r, s };
        prop_assert_eq!(MessageSignature::decode(&m.encode()), Ok(m));
        prop_assert_eq!(YieldedItem::decode(&item.encode()), Ok(item));
        prop_assert_eq!(WalletPolicyHeader::decode(&header_policy.encode()), Ok(header_policy));
        prop_assert_eq!(MapCommitment::decode(&commitment.encode()), Ok(commitment));
        let v = AppAndVersion { name: app.0, version: app.1, flags: app.2 };
        prop_assert_eq!(AppAndVersion::decode(&v.encode()), Ok(v));
    }

    #[test]
    fn eth_commands_round_trip(command in eth_command()) {
        let apdu = command.encode().expect("fits");
        let decoded = EthCommand::decode(&ApduCommand::decode(&apdu.encode()).expect("frame"));
        prop_assert_eq!(decoded, Ok(command));
    }

    #[test]
    fn eth_replies_round_trip(
        key in vec(any::<u8>(), 65),
        address in "[0-9a-fA-F]{40}",
        chain_code in any::<Option<[u8; 32]>>(),
        v: u8, r in hash(), s in hash(),
        config in (any::<[u8; 4]>(), bytes(8)),
    ) {
        let reply = AddressReply { public_key: key, address, chain_code };
        prop_assert_eq!(AddressReply::decode(&reply.encode()), Ok(reply));
        let sig = EthSignature { v, r, s };
        prop_assert_eq!(EthSignature::decode(&sig.encode()), Ok(sig));
        prop_assert_eq!(sig.to_rsv()[64], v);
        let [flags, major, minor, patch] = config.0;
        let c = AppConfiguration { flags, major, minor, patch, extra: config.1 };
        prop_assert_eq!(AppConfiguration::decode(&c.encode()), Ok(c));
    }

    /// Host chunking and device reassembly are inverse, for messages of any length.
    #[test]
    fn eth_chunking_reassembles(p in path(), message in bytes(2000)) {
        let apdus = eth::sign_personal_message(&p, &message).expect("chunks");
        prop_assert!(apdus.iter().all(|a| a.data().len() <= 255));
        let mut assembler = PersonalMessageAssembler::new();
        let mut done = None;
        for (i, apdu) in apdus.iter().enumerate() {
            let EthCommand::SignPersonalMessage(chunk) = EthCommand::decode(apdu).expect("decodes")
            else {
                panic!("not a personal message chunk");
            };
            let step = assembler.push(chunk).expect("in sequence");
            prop_assert_eq!(step.is_some(), i + 1 == apdus.len());
            done = step;
        }
        prop_assert_eq!(done, Some((p, message)));
    }

    /// The host interpreter and the device fetchers agree on any list and index.
    #[test]
    fn host_and_device_agree(elements in vec(bytes(700), 1..40), pick: prop::sample::Index) {
        let mut host = HostInterpreter::new();
        let root = host.add_list(&elements);
        let index = pick.index(elements.len());
        let (mut fetch, mut request) =
            ListElementFetch::new(root, elements.len() as u64, index as u64, 1000);
        let got = loop {
            let answer = host.answer_bytes(&request.encode()).expect("host answers");
            // Every answer fits one CONTINUE.
            prop_assert!(answer.len() <= 255);
            match fetch.on_response(&answer).expect("device accepts") {
                FetchStep::Request(next) => request = next,
                FetchStep::Done(element) => break element,
            }
        };
        prop_assert_eq!(&got, &elements[index]);
    }

    #[test]
    fn decoders_never_panic(data in bytes(400), cla: u8, ins: u8, p1: u8, p2 in 0u8..3) {
        let apdu = ApduCommand::new(cla, ins, p1, p2, data.get(..255).unwrap_or(&data).to_vec())
            .expect("fits");
        if let Ok(command) = BtcCommand::decode(&apdu) {
            let again = command.encode().expect("fits");
            prop_assert_eq!(again.data(), apdu.data());
            prop_assert_eq!((again.cla(), again.ins()), (apdu.cla(), apdu.ins()));
        }
        if let Ok(command) = EthCommand::decode(&apdu) {
            prop_assert_eq!(command.encode().expect("fits"), apdu);
        }
        if let Ok(request) = ClientCommand::decode(&data) {
            prop_assert_eq!(request.encode(), data.clone());
        }
        for code in [
            ClientCommandCode::Yield,
            ClientCommandCode::GetPreimage,
            ClientCommandCode::GetMerkleLeafProof,
            ClientCommandCode::GetMerkleLeafIndex,
            ClientCommandCode::GetMoreElements,
        ] {
            if let Ok(response) = ClientResponse::decode(code, &data) {
                if code != ClientCommandCode::Yield {
                    prop_assert_eq!(response.encode(), data.clone());
                }
            }
        }
        macro_rules! canonical {
            ($($t:ty),*) => {$(
                if let Ok(value) = <$t>::decode(&data) {
                    prop_assert_eq!(value.encode(), data.clone());
                }
            )*};
        }
        canonical!(
            MasterFingerprint, ExtendedPubkey, WalletAddress, RegisteredWallet, MessageSignature,
            YieldedItem, WalletPolicyHeader, MapCommitment, AppAndVersion, AddressReply,
            EthSignature, AppConfiguration
        );
        let _ = PsbtMaps::from_psbt(&data);
        let _ = PsbtMaps::from_psbt(&[&b"psbt\xff"[..], &data].concat());
        let _ = String::from_utf8_lossy(&data).parse::<KeyInfo>();
        let _ = Bip32Path::decode_prefix(&data);
        let _ = HostInterpreter::new().answer_bytes(&data);
        let _ = PreimageFetch::new([0; 32], 1000).0.on_response(&data);
        let _ = LeafProofFetch::new([0; 32], 5, 3).0.on_response(&data);
        let _ = ListElementFetch::new([0; 32], 5, 3, 100).0.on_response(&data);
    }

    /// A host exchange fed arbitrary device responses errors out or continues; never panics.
    #[test]
    fn exchanges_survive_arbitrary_responses(responses in vec(bytes(300), 1..6)) {
        let p: Bip32Path = "m/84'/0'/0'/0/0".parse().expect("path");
        let mut op = exchange::sign_message(&p, b"some message").expect("request");
        for raw in &responses {
            let Ok(response) = ApduResponse::decode(raw) else { continue };
            if op.advance(&response).is_err() {
                break;
            }
        }
        let mut op = exchange::get_master_fingerprint();
        for raw in &responses {
            if let Ok(response) = ApduResponse::decode(raw) {
                let _ = op.advance(&response);
            }
        }
    }
}
