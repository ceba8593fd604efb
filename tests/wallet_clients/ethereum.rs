//! `ledgereth` (a Python Ledger signer on Ledger's `ledgerblue`) against the Ethereum app:
//! accounts, personal messages, legacy / EIP-2930 / EIP-1559 transactions and EIP-712 typed
//! data (hashed mode). Each signature is recovered by `eth_account` / `eth_keys` from the
//! signed object itself, and must recover to the address the real Ethereum 1.22.0 app reported
//! for that path (`fixtures/speculos/eth-address-*.json`).

use serde_json::{json, Value};

use super::clients::{ledgereth, transcript};
use super::compare::{equal, Verdict};
use super::harness::{App, Choice};
use super::Run;

const PATH_0: &str = "44'/60'/0'/0/0";

/// The checksummed address in a recorded GET_ADDRESS reply: `65 ‖ key ‖ 40 ‖ ASCII hex ‖ 9000`.
fn recorded_address(name: &str) -> String {
    let reply: Vec<u8> = transcript(name)["result"]
        .as_str()
        .map(|h| bitcoin::hex::FromHex::from_hex(h).expect("hex reply"))
        .unwrap_or_default();
    let len = usize::from(*reply.get(66).expect("an address length"));
    let ascii = reply.get(67..67 + len).expect("the address");
    format!("0x{}", String::from_utf8_lossy(ascii))
}

/// The address a signature recovered to (computed by the Python libraries) against `want`.
fn recovers_to(answer: &Value, want: &str) -> Verdict {
    match answer["ok"]["recovered"].as_str() {
        Some(got) if got == want => Verdict::Identical,
        Some(got) => Verdict::Differs(format!("recovers to {got}, the app's address is {want}")),
        None => Verdict::Differs(format!("no signature: {answer}")),
    }
}

/// EIP-712's own example ("Mail"), whose digest the EIP publishes.
fn eip712_mail() -> Value {
    json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
            ],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
            "Mail": [
                {"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
                {"name": "contents", "type": "string"}
            ]
        },
        "primaryType": "Mail",
        "domain": {
            "name": "Ether Mail", "version": "1", "chainId": 1,
            "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
        },
        "message": {
            "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
            "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
            "contents": "Hello, Bob!"
        }
    })
}

/// The digest EIP-712 publishes for its Mail example.
const EIP712_MAIL_DIGEST: &str = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";

#[test]
#[ignore = "wallet-clients lane: run with `bash .ci/wallet-clients-lane`"]
fn ledgereth_against_the_ethereum_app() {
    let mut run = Run::start(App::Ethereum, Choice::Approve);
    let address = recorded_address("eth-address-0");

    let accounts = ledgereth(run.device.apdu, json!({"op": "accounts", "count": 1}));
    run.table.add(
        "ledgereth get_accounts (m/44'/60'/0'/0/0)",
        equal(&accounts["ok"], &json!([address])),
    );
    let second = ledgereth(
        run.device.apdu,
        json!({"op": "account", "path": "44'/60'/0'/0/1"}),
    );
    run.table.add(
        "ledgereth get_account_by_path m/44'/60'/0'/0/1",
        equal(&second["ok"], &json!(recorded_address("eth-address-1"))),
    );

    let recorded = transcript("eth-personal-sign-short");
    let message_hex = recorded["result"]["message_hex"].as_str().expect("message");
    let message: Vec<u8> = bitcoin::hex::FromHex::from_hex(message_hex).expect("hex");
    let message = String::from_utf8(message).expect("a text message");
    let got = ledgereth(
        run.device.apdu,
        json!({"op": "personal_sign", "path": PATH_0, "message": message}),
    );
    run.table.add(
        "ledgereth sign_message (recovers to the app's address)",
        recovers_to(&got, &address),
    );
    run.table.add(
        "ledgereth sign_message (the same bytes as the app)",
        equal(&got["ok"]["v_r_s"], &recorded["result"]["v_r_s"]),
    );

    let to = "0x3535353535353535353535353535353535353535";
    let transactions = [
        (
            "legacy, EIP-155 chain 1",
            json!({"gas_price": 20_000_000_000u64, "chain_id": 1}),
        ),
        (
            "legacy, chain 11155111 (v wider than a byte)",
            json!({"gas_price": 1_000_000_000u64, "chain_id": 11_155_111}),
        ),
        (
            "EIP-2930 (access list)",
            json!({"gas_price": 1_000_000_000u64, "chain_id": 1,
                   "access_list": [[to, [0, 1]]]}),
        ),
        (
            "EIP-1559",
            json!({"max_fee_per_gas": 30_000_000_000u64,
                   "max_priority_fee_per_gas": 1_000_000_000u64, "chain_id": 1}),
        ),
        (
            "EIP-1559, chain 137",
            json!({"max_fee_per_gas": 30_000_000_000u64,
                   "max_priority_fee_per_gas": 1_000_000_000u64, "chain_id": 137}),
        ),
    ];
    for (what, fields) in transactions {
        let mut tx = json!({"destination": to, "amount": 1_000_000_000_000_000_000u64,
                            "gas": 21_000, "nonce": 9});
        for (k, v) in fields.as_object().expect("fields") {
            tx[k] = v.clone();
        }
        let got = ledgereth(
            run.device.apdu,
            json!({"op": "transaction", "path": PATH_0, "tx": tx}),
        );
        run.table.add(
            format!("ledgereth create_transaction ({what})"),
            recovers_to(&got, &address),
        );
    }

    let got = ledgereth(
        run.device.apdu,
        json!({"op": "typed_data", "path": PATH_0, "typed_data": eip712_mail()}),
    );
    let digest_ok = got["ok"]["digest"].as_str() == Some(EIP712_MAIL_DIGEST);
    run.table.add(
        "ledgereth sign_typed_data_draft (EIP-712 Mail, hashed mode)",
        match recovers_to(&got, &address) {
            Verdict::Identical if !digest_ok => {
                Verdict::Differs(format!("digest {} is not the EIP's", got["ok"]["digest"]))
            }
            verdict => verdict,
        },
    );
    run.finish("ledgereth, Ethereum app");
}
