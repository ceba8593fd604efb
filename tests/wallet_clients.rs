//! The wallet-clients lane: real wallet software (HWI 3.2.0 and Ledger's `ledger_bitcoin` 0.4.2,
//! from PyPI; `ledgereth` for the Ethereum app, see `wallet_clients/ethereum.rs`) drives `porsign emulate` — or real Speculos, see `tests/live.rs` — and every
//! answer is compared with what the same client operation got from Ledger's real Bitcoin 2.4.6
//! app (the recorded transcripts in `fixtures/speculos/`). Approvals are given on screen
//! through the REST API, as a tester would.
//!
//! Run it with `bash .ci/wallet-clients-lane` (it installs the clients into a virtual
//! environment and sets `PORSIGN_CLIENTS_VENV`). The tests are `#[ignore]`d so that the plain
//! `cargo test` needs no Python; they share port 9999 (HWI's `--emulators` looks there), so
//! the lane runs them one at a time.
#![allow(clippy::indexing_slicing)] // tests index known fixtures; a panic is a test failure.

#[path = "wallet_clients/clients.rs"]
mod clients;
#[path = "wallet_clients/compare.rs"]
mod compare;
#[path = "wallet_clients/ethereum.rs"]
mod ethereum;
#[allow(dead_code)] // the live lane's harness; this lane uses its device and approver.
#[path = "live/harness.rs"]
mod harness;
#[path = "wallet_clients/policies.rs"]
mod policies;

use std::str::FromStr;

use bitcoin::Psbt;
use clients::{hwi, hwi_at, ledger_bitcoin, transcript, transcripts};
use compare::{equal, judge, judge_hwi_error, psbt_signatures, same_signatures, Table, Verdict};
use harness::{App, Approver, Choice, Device};
use serde_json::{json, Value};

/// HWI's `--emulators` looks for a Speculos Ledger at this port.
const SPECULOS_PORT: u16 = 9999;

/// One scenario of the lane: the device on HWI's port, the person at it, and the verdicts.
struct Run {
    device: Device,
    approver: Approver,
    table: Table,
}

impl Run {
    fn start(app: App, choice: Choice) -> Run {
        let device = Device::start_on(app, SPECULOS_PORT);
        let approver = Approver::start(device.api, choice);
        Run {
            device,
            approver,
            table: Table::default(),
        }
    }

    /// Stops approving, prints the tally and fails if any command differs.
    fn finish(self, title: &str) {
        self.approver.stop();
        self.table.assert_all_match(title);
    }
}

/// `m/84'/0'/0'` → `m/84h/0h/0h`, the form HWI's command line takes.
fn hwi_path(path: &str) -> String {
    path.replace('\'', "h")
}

/// HWI's `signtx` of `psbt`, judged against the recorded signatures.
fn hwi_signtx(apdu: u16, testnet: bool, recorded: &Value) -> Verdict {
    let psbt_text = recorded["psbt"].as_str().expect("the transcript's PSBT");
    let answer = hwi_at(apdu, testnet, &["signtx", psbt_text]);
    let Some(signed) = answer["psbt"].as_str() else {
        return Verdict::Differs(format!("hwi signtx: {answer}"));
    };
    let signed = match Psbt::from_str(signed) {
        Ok(p) => p,
        Err(e) => return Verdict::Differs(format!("hwi returned an unreadable PSBT: {e}")),
    };
    let unsigned = Psbt::from_str(psbt_text).expect("the transcript's PSBT parses");
    match same_signatures(
        &psbt_signatures(&signed),
        &recorded["result"]["signatures"],
        &unsigned,
    ) {
        Ok(()) => Verdict::Identical,
        Err(why) => Verdict::Differs(why),
    }
}

#[test]
#[ignore = "wallet-clients lane: run with `bash .ci/wallet-clients-lane`"]
fn hwi_against_the_mainnet_app() {
    let mut run = Run::start(App::Bitcoin, Choice::Approve);
    let at = |args: &[&str]| hwi_at(run.device.apdu, false, args);

    let fingerprint = transcript("btc-master-fingerprint")["result"].clone();
    let found = hwi(&["--emulators", "enumerate"]);
    let ledger = found
        .as_array()
        .and_then(|all| all.iter().find(|d| d["type"] == "ledger"))
        .cloned()
        .unwrap_or_default();
    run.table.add(
        "hwi --emulators enumerate",
        equal(
            &json!([&ledger["path"], &ledger["fingerprint"]]),
            &json!([format!("tcp:127.0.0.1:{SPECULOS_PORT}"), fingerprint]),
        ),
    );

    for (name, t) in transcripts("btc-xpub-") {
        // btc-xpub-48h-0h-0h-2h → m/48h/0h/0h/2h
        let path = format!(
            "m/{}",
            name.trim_start_matches("btc-xpub-").replace('-', "/")
        );
        let got = at(&["getxpub", &path]);
        run.table.add(
            format!("hwi getxpub {path}"),
            equal(&got["xpub"], &t["result"]),
        );
    }

    for (kind, purpose, addr_type) in [
        ("pkh", 44, "legacy"),
        ("sh-wpkh", 49, "sh_wit"),
        ("wpkh", 84, "wit"),
        ("tr", 86, "tap"),
    ] {
        for change in [0, 1] {
            let t = transcript(&format!("btc-address-{kind}-{change}-0"));
            let path = format!("m/{purpose}h/0h/0h/{change}/0");
            let got = at(&["displayaddress", "--path", &path, "--addr-type", addr_type]);
            run.table.add(
                format!("hwi displayaddress --path {path} --addr-type {addr_type}"),
                equal(&got["address"], &t["result"]),
            );
        }
    }

    // A 2-of-3 multisig address: HWI registers the policy on the device, then shows it.
    // The recorded 2-of-3's keys at 0/0, as the live lane writes its descriptor.
    let desc = harness::multisig_descriptor();
    let got = at(&["displayaddress", "--desc", &desc]);
    run.table.add(
        "hwi displayaddress --desc wsh(sortedmulti(2,…)) (registers the policy)",
        equal(
            &got["address"],
            &transcript("btc-address-wsh-sortedmulti-0-0")["result"],
        ),
    );

    for (name, t) in transcripts("btc-signmessage-") {
        let r = &t["result"];
        let (Some(message), Some(path)) = (r["message"].as_str(), r["path"].as_str()) else {
            continue; // the refusal cases below, and the user's rejection (its own test)
        };
        let got = at(&["signmessage", message, &hwi_path(path)]);
        run.table.add(
            format!("hwi signmessage ({name}) {path}"),
            equal(&got["signature"], &r["signature_base64"]),
        );
    }
    for name in [
        "btc-hwi-signmessage-refused-44h-60h",
        "btc-hwi-signmessage-refused-0h-1",
    ] {
        let t = transcript(name);
        let path = hwi_path(t["path"].as_str().expect("path"));
        let got = at(&[
            "signmessage",
            t["message"].as_str().expect("message"),
            &path,
        ]);
        run.table.add(
            format!("hwi signmessage {path} (a path the app will not sign)"),
            judge_hwi_error(&got, &t["result"]),
        );
    }

    for (name, t) in transcripts("btc-hwi-signtx-") {
        run.table.add(
            format!("hwi signtx ({name})"),
            hwi_signtx(run.device.apdu, false, &t),
        );
    }
    run.finish("HWI, mainnet app");
}

#[test]
#[ignore = "wallet-clients lane: run with `bash .ci/wallet-clients-lane`"]
fn hwi_against_the_testnet_app() {
    let mut run = Run::start(App::BitcoinTest, Choice::Approve);
    let at = |args: &[&str]| hwi_at(run.device.apdu, true, args);

    let got = at(&[
        "displayaddress",
        "--path",
        "m/84h/1h/0h/0/0",
        "--addr-type",
        "wit",
    ]);
    run.table.add(
        "hwi --chain test displayaddress --path m/84h/1h/0h/0/0",
        equal(
            &got["address"],
            &transcript("btc-testnet-address-wpkh-0-0")["result"],
        ),
    );
    let t = transcript("btc-testnet-signmessage-short-84");
    let r = &t["result"];
    let path = hwi_path(r["path"].as_str().expect("path"));
    let got = at(&[
        "signmessage",
        r["message"].as_str().expect("message"),
        &path,
    ]);
    run.table.add(
        format!("hwi --chain test signmessage {path}"),
        equal(&got["signature"], &r["signature_base64"]),
    );
    let got = at(&["signmessage", "porsign test challenge", "m/84h/0h/0h/0/0"]);
    run.table.add(
        "hwi --chain test signmessage m/84h/0h/0h/0/0 (a mainnet path)",
        judge_hwi_error(
            &got,
            &transcript("btc-testnet-signmessage-mainnet-path")["result"],
        ),
    );
    // A registered 2-of-3: HWI builds the wallet policy from the PSBT, registers it and signs.
    run.table.add(
        "hwi --chain test signtx (registered 2-of-3 wsh(sortedmulti))",
        hwi_signtx(
            run.device.apdu,
            true,
            &transcript("btc-hwi-testnet-ms-signpsbt"),
        ),
    );
    run.finish("HWI, testnet app");
}

#[test]
#[ignore = "wallet-clients lane: run with `bash .ci/wallet-clients-lane`"]
fn hwi_sees_the_users_rejection() {
    let mut run = Run::start(App::Bitcoin, Choice::Reject);
    let got = hwi_at(
        run.device.apdu,
        false,
        &["signmessage", "porsign test challenge", "m/84h/0h/0h/0/0"],
    );
    run.table.add(
        "hwi signmessage, rejected on screen",
        judge_hwi_error(&got, &transcript("btc-signmessage-rejected")["result"]),
    );
    run.finish("HWI, rejection");
}

/// The `ledger_bitcoin` operation a recorded wallet-policy transcript holds, from its name.
fn ledger_bitcoin_request(name: &str, t: &Value) -> Option<Value> {
    let policy = t.get("wallet_policy")?.clone();
    let hmac = t.get("hmac").cloned().unwrap_or(Value::Null);
    if name.ends_with("-register") || name.contains("-register-") {
        return Some(json!({"op": "register", "policy": policy}));
    }
    if let Some(at) = name.find("-address-") {
        let mut numbers = name.get(at + 9..)?.split('-');
        let change: u32 = numbers.next()?.parse().ok()?;
        let index: u32 = numbers.next()?.parse().ok()?;
        return Some(json!({"op": "address", "policy": policy, "hmac": hmac,
                           "change": change, "index": index}));
    }
    let psbt = t.get("psbt")?.clone();
    Some(json!({"op": "sign_psbt", "policy": policy, "hmac": hmac, "psbt": psbt}))
}

/// Every recorded `ledger_bitcoin` wallet-policy operation on one app, replayed by the client.
fn ledger_bitcoin_replays(apdu: u16, testnet: bool, table: &mut Table) {
    let recorded: Vec<(String, Value)> = ["btc-hwi-", "btc-batch-"]
        .into_iter()
        .flat_map(transcripts)
        .filter(|(name, _)| name.contains("-testnet-") == testnet)
        .collect();
    for (name, t) in recorded {
        let Some(request) = ledger_bitcoin_request(&name, &t) else {
            continue; // HWI's own flows (signtx, signmessage) run in the HWI tests
        };
        let op = request["op"].as_str().unwrap_or_default().to_owned();
        let got = ledger_bitcoin(apdu, testnet, request);
        let verdict = judge(&got, &t["result"], |ours, want| match op.as_str() {
            "register" => {
                let keys = json!([&ours["wallet_id"], &ours["hmac"]]);
                let want_keys = json!([&want["wallet_id"], &want["hmac"]]);
                (keys == want_keys)
                    .then_some(())
                    .ok_or(format!("{keys} != {want_keys}"))
            }
            "sign_psbt" => {
                let psbt = Psbt::from_str(t["psbt"].as_str().unwrap_or_default())
                    .map_err(|e| e.to_string())?;
                same_signatures(&ours["signatures"], &want["signatures"], &psbt)
            }
            _ => (ours == want)
                .then_some(())
                .ok_or(format!("{ours} != {want}")),
        });
        table.add(format!("ledger_bitcoin {op} ({name})"), verdict);
    }
}

#[test]
#[ignore = "wallet-clients lane: run with `bash .ci/wallet-clients-lane`"]
fn ledger_bitcoin_against_the_mainnet_app() {
    let mut run = Run::start(App::Bitcoin, Choice::Approve);
    ledger_bitcoin_replays(run.device.apdu, false, &mut run.table);
    run.finish("ledger_bitcoin, mainnet app");
}

#[test]
#[ignore = "wallet-clients lane: run with `bash .ci/wallet-clients-lane`"]
fn ledger_bitcoin_against_the_testnet_app() {
    let mut run = Run::start(App::BitcoinTest, Choice::Approve);
    ledger_bitcoin_replays(run.device.apdu, true, &mut run.table);
    run.finish("ledger_bitcoin, testnet app");
}
