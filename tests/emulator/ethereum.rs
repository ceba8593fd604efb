//! The Ethereum app beyond the transcripts: transactions (legacy, EIP-1559), EIP-712 in hashed
//! mode, blind signing, chunking and the app's refusals. Every signature is recovered with
//! secp256k1 from an independently known digest and must give the address the real app
//! reported for that path (`fixtures/speculos/eth-address-0.json`).
#![allow(clippy::indexing_slicing)]

use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, SECP256K1};
use firmware_msgs::eth;
use firmware_msgs::Bip32Path;
use porsign::emulator::{AppMode, Approval, Emulator, EmulatorConfig, Reply};
use sha3::{Digest, Keccak256};

use crate::util::fixture;

/// EIP-155's example transaction as signed (nonce 9, 20 gwei, 21000 gas, to 0x3535…35,
/// 1 ether, chain id 1) and the signing hash EIP-155 publishes for it.
const EIP155_TX: &str =
    "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080";
const EIP155_HASH: &str = "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53";

/// EIP-712's "Mail" example: domain separator, hashStruct(message) and the signed digest.
const MAIL_DOMAIN: &str = "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f";
const MAIL_MESSAGE: &str = "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e";
pub(super) const MAIL_DIGEST: &str =
    "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";

/// An EIP-1559 transfer: chain 1, nonce 42, 1 gwei priority fee, 100 gwei max fee, 21000 gas,
/// to 0x3535…35, 1 ether, no data, empty access list.
const EIP1559_TX: &str =
    "02f0012a843b9aca0085174876e8008252089435353535353535353535353535353535353535358\
80de0b6b3a764000080c0";

pub(super) fn emulator(approval: Approval) -> Emulator {
    let mut config = EmulatorConfig::new(AppMode::Ethereum);
    config.approval = approval;
    Emulator::new(config).expect("emulator")
}

pub(super) fn path() -> Bip32Path {
    "m/44'/60'/0'/0/0".parse().expect("path")
}

/// The address of m/44'/60'/0'/0/0 as the real app answered it (lower-case hex).
pub(super) fn recorded_address() -> String {
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("speculos/eth-address-0.json")).expect("fixture"),
    )
    .expect("json");
    let reply = hex::decode(json["result"].as_str().expect("result")).expect("hex");
    eth::AddressReply::decode(&reply[..reply.len() - 2])
        .expect("reply")
        .address
        .to_lowercase()
}

pub(super) fn send(emulator: &mut Emulator, apdu: &[u8]) -> Vec<u8> {
    match emulator.handle(apdu) {
        Reply::Data(bytes) => bytes,
        other => panic!("no data: {other:?}"),
    }
}

/// Sends `path ‖ raw`: the path and the first `size` bytes, then chunks of `size` bytes; every
/// answer but the last must be an empty 9000. Returns the last answer.
fn sign_chunked(emulator: &mut Emulator, raw: &[u8], size: usize) -> Vec<u8> {
    let path = path().encode();
    let head = size.min(255 - path.len()).min(raw.len());
    let first = [path.as_slice(), &raw[..head]].concat();
    let chunks: Vec<&[u8]> = std::iter::once(first.as_slice())
        .chain(raw[head..].chunks(size))
        .collect();
    let mut last = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let p1 = if i == 0 { 0x00 } else { 0x80 };
        let mut apdu = vec![0xe0, 0x04, p1, 0x00, chunk.len() as u8];
        apdu.extend_from_slice(chunk);
        last = send(emulator, &apdu);
        if i + 1 < chunks.len() {
            assert_eq!(hex::encode(&last), "9000", "chunk {i} of {}", chunks.len());
        }
    }
    last
}

/// The address that signed `digest` with `recid` and `r ‖ s`.
pub(super) fn recover(digest: &[u8], recid: u8, rs: &[u8]) -> String {
    let sig = RecoverableSignature::from_compact(
        rs,
        RecoveryId::from_i32(i32::from(recid)).expect("recovery id"),
    )
    .expect("signature");
    let digest: [u8; 32] = digest.try_into().expect("32 bytes");
    let key = SECP256K1
        .recover_ecdsa(&Message::from_digest(digest), &sig)
        .expect("recoverable");
    hex::encode(&Keccak256::digest(&key.serialize_uncompressed()[1..])[12..])
}

/// `v ‖ r ‖ s ‖ 9000` → (v, r ‖ s).
pub(super) fn signature(reply: &[u8]) -> (u8, Vec<u8>) {
    assert_eq!(reply.len(), 67, "v r s and 9000: {}", hex::encode(reply));
    assert_eq!(reply[65..], [0x90, 0x00]);
    (reply[0], reply[1..65].to_vec())
}

#[test]
fn eip155_example_is_signed_over_its_published_hash() {
    let mut emu = emulator(Approval::Auto);
    let raw = hex::decode(EIP155_TX).unwrap();
    let (v, rs) = signature(&sign_chunked(&mut emu, &raw, 255));
    assert!(v == 37 || v == 38, "v = chainId*2+35+parity, got {v}");
    let hash = hex::decode(EIP155_HASH).unwrap();
    assert_eq!(recover(&hash, v - 37, &rs), recorded_address());
    // The From page breaks its lines where the app's own Nano S Plus snapshot of this key
    // does (app-ethereum 1.22.0, tests/ragger/snapshots/nanosp/test_blind_sign/00001.png).
    assert_eq!(
        emu.reviewed_screens(),
        [
            "Review transaction",
            "From 0xDad77910DbDFdE7 64fC21FCD4E74D71b BACA6D8D",
            "Amount 1 ETH",
            "To 0x35353535353535353 5353535353535353535 3535",
            "Max fees 0.00042 ETH",
            "Sign transaction",
            "Reject transaction",
        ][..6]
    );
}

#[test]
fn eip1559_transfer_signs_its_typed_hash_with_parity_v() {
    let mut emu = emulator(Approval::Auto);
    let raw = hex::decode(EIP1559_TX).unwrap();
    // Cut small, across the type byte and inside fields, like any client may.
    let (v, rs) = signature(&sign_chunked(&mut emu, &raw, 7));
    assert!(v <= 1, "typed transactions answer the parity, got {v}");
    let hash = Keccak256::digest(&raw);
    assert_eq!(recover(&hash, v, &rs), recorded_address());
    let screens = emu.reviewed_screens().join(" | ");
    assert!(screens.contains("Max fees 0.0021 ETH"), "{screens}");
    assert!(!screens.contains("Network"), "{screens}");
}

#[test]
fn big_chain_ids_answer_the_apps_truncated_v() {
    // EIP-155's example on chain 137: v = 137*2+35+parity = 309/310, which the app cuts to a
    // byte (53/54).
    let raw = hex::decode(
        EIP155_TX
            .replace("80018080", "8081898080")
            .replacen("ec", "ed", 1),
    )
    .unwrap();
    let mut emu = emulator(Approval::Auto);
    let (v, rs) = signature(&sign_chunked(&mut emu, &raw, 255));
    assert!(v == 53 || v == 54, "got {v}");
    assert_eq!(
        recover(&Keccak256::digest(&raw), v - 53, &rs),
        recorded_address()
    );
    let screens = emu.reviewed_screens().join(" | ");
    assert!(
        screens.contains("Amount 1 POL") && screens.contains("Network Polygon"),
        "{screens}"
    );
}

#[test]
fn eip712_mail_example_in_hashed_mode() {
    let domain: [u8; 32] = hex::decode(MAIL_DOMAIN).unwrap().try_into().unwrap();
    let message: [u8; 32] = hex::decode(MAIL_MESSAGE).unwrap().try_into().unwrap();
    let apdu = eth::sign_eip712_hashed(&path(), &domain, &message)
        .unwrap()
        .encode();

    // Blind signing off (the app's default): refused with 6A80 and the app's notice.
    let mut emu = emulator(Approval::Auto);
    assert_eq!(hex::encode(send(&mut emu, &apdu)), "6a80");
    assert_eq!(
        emu.reviewed_screens(),
        ["Blind signing must be enabled in settings"]
    );

    emu.set_blind_signing(true);
    let (v, rs) = signature(&send(&mut emu, &apdu));
    assert!(v == 27 || v == 28, "got {v}");
    let digest = hex::decode(MAIL_DIGEST).unwrap();
    assert_eq!(recover(&digest, v - 27, &rs), recorded_address());
    let screens = emu.reviewed_screens().join(" | ");
    // The app writes both hashes in upper-case hex.
    assert!(screens.contains("Review typed"), "{screens}");
    assert!(screens.contains("0xF2CEE375"), "{screens}");
    assert!(
        screens.contains("Accept risk and sign message"),
        "{screens}"
    );
}

#[test]
fn rejected_transaction_answers_6985() {
    let mut emu = emulator(Approval::Reject);
    let raw = hex::decode(EIP155_TX).unwrap();
    assert_eq!(hex::encode(sign_chunked(&mut emu, &raw, 255)), "6985");
}

#[test]
fn malformed_and_out_of_order_transactions_get_the_apps_status_words() {
    let raw = hex::decode(EIP155_TX).unwrap();
    let mut emu = emulator(Approval::Auto);
    // Truncated: the app answers 9000 and waits for the rest; no signature.
    let mut first = vec![0xe0, 0x04, 0x00, 0x00];
    let mut data = path().encode();
    data.extend_from_slice(&raw[..20]);
    first.push(data.len() as u8);
    first.extend_from_slice(&data);
    assert_eq!(hex::encode(send(&mut emu, &first)), "9000");
    // The rest completes it.
    let mut more = vec![0xe0, 0x04, 0x80, 0x00, (raw.len() - 20) as u8];
    more.extend_from_slice(&raw[20..]);
    assert_eq!(signature(&send(&mut emu, &more)).1.len(), 64);
    // A continuation with no transaction started: 6980 (SWO_COMMAND_NOT_ALLOWED).
    assert_eq!(hex::encode(send(&mut emu, &more)), "6980");

    let bad = |tx: &str| {
        let mut emu = emulator(Approval::Auto);
        hex::encode(sign_chunked(&mut emu, &hex::decode(tx).unwrap(), 255))
    };
    // `to` of 21 bytes; a length of 5 bytes; a byte string instead of the list.
    assert_eq!(
        bad(&EIP155_TX.replace("94", "95").replace("880de0", "35880de0")),
        "6a80"
    );
    assert_eq!(bad("c0bc0000000001"), "6a80");
    assert_eq!(bad("8180"), "6a80");
    // Type 3 (blob) transactions: 6501, as the app answers unsupported types.
    assert_eq!(bad("03c0"), "6501");
}

#[test]
fn contract_data_needs_blind_signing() {
    // An ERC-20 transfer(0x35…, 1) to 0x3535…: data with a selector.
    let data = format!("a9059cbb{}{}{:064x}", "0".repeat(24), "35".repeat(20), 1);
    let body = format!(
        "098504a817c80082fde8943535353535353535353535353535353535353535 80b844{data}018080"
    )
    .replace(' ', "");
    let raw = hex::decode(format!("f8{:02x}{body}", body.len() / 2)).unwrap();

    // Off: refused with 6A80 as soon as the data field starts, before the rest arrives.
    let mut emu = emulator(Approval::Auto);
    assert_eq!(hex::encode(sign_chunked(&mut emu, &raw[..50], 255)), "6a80");
    assert_eq!(
        emu.reviewed_screens(),
        ["Blind signing must be enabled in settings"]
    );

    // On: the blind-signing review, and a signature over the whole transaction.
    let mut emu = emulator(Approval::Auto);
    emu.set_blind_signing(true);
    let (v, rs) = signature(&sign_chunked(&mut emu, &raw, 150));
    let hash = Keccak256::digest(&raw);
    assert_eq!(recover(&hash, v - 37, &rs), recorded_address());
    let screens = emu.reviewed_screens();
    assert_eq!(
        screens[0],
        "Blind signing ahead To accept risk, press both buttons"
    );
    let all = screens.join(" | ");
    assert!(
        !all.contains("Amount"),
        "no amount for a zero-value call: {all}"
    );
    assert!(
        all.contains(&format!("0x{}", &hex::encode(hash)[..8])),
        "{all}"
    );
    assert!(all.contains("Accept risk and sign transaction"), "{all}");
}

#[test]
fn app_configuration_reflects_blind_signing_and_ignores_p1_p2_data() {
    let mut emu = emulator(Approval::Auto);
    // The app reads neither P1/P2 nor data of GET_APP_CONFIGURATION.
    assert_eq!(
        hex::encode(send(
            &mut emu,
            &hex::decode("e0060102 01ff".replace(' ', "")).unwrap()
        )),
        "020116009000"
    );
    emu.set_blind_signing(true);
    assert_eq!(
        hex::encode(send(&mut emu, &hex::decode("e006000000").unwrap())),
        "030116009000"
    );
}
