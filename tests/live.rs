//! The live lane: porsign end to end against a running Speculos-compatible device, driven over
//! the APDU TCP port with every approval given on screen through the REST API, as a tester at
//! the emulator would.
//!
//! Run it with `bash .ci/live-lane`. Two forms:
//! - with `PORSIGN_BTC_ELF` and `PORSIGN_ETH_ELF` naming Ledger app ELFs (Bitcoin and Ethereum
//!   for a Nano S Plus), it starts real Speculos (`speculos` on PATH, or `PORSIGN_SPECULOS`);
//! - without them, it starts `porsign emulate` in its Speculos-compatible mode, waiting for
//!   buttons like the real app. CI runs this form on every change.
//!
//! The tests are `#[ignore]`d so that the plain `cargo test` never needs a device; the lane runs
//! them with `--ignored --test-threads=1` (they share ports and processes).
#![allow(clippy::indexing_slicing)] // tests index known fixtures; a panic is a test failure.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::bip32::DerivationPath;
use bitcoin::Network;
use porsign::emulator::keys::SoftwareSigner;

const READY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum App {
    Bitcoin,
    Ethereum,
}

/// Which form of the lane runs.
fn real_speculos() -> Option<(PathBuf, PathBuf)> {
    let btc = std::env::var_os("PORSIGN_BTC_ELF")?;
    let eth = std::env::var_os("PORSIGN_ETH_ELF")?;
    Some((btc.into(), eth.into()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A running device: Speculos or `porsign emulate`, with its APDU and REST ports.
struct Device {
    child: Child,
    apdu: u16,
    api: u16,
}

impl Device {
    fn start(app: App) -> Device {
        let (apdu, api) = (free_port(), free_port());
        let mut command = match real_speculos() {
            Some((btc, eth)) => {
                let speculos =
                    std::env::var("PORSIGN_SPECULOS").unwrap_or_else(|_| "speculos".into());
                let mut c = Command::new(speculos);
                c.args(["--model", "nanosp", "--display", "headless"])
                    .args([
                        "--apdu-port",
                        &apdu.to_string(),
                        "--api-port",
                        &api.to_string(),
                    ])
                    .arg(if app == App::Bitcoin { btc } else { eth });
                c
            }
            None => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_porsign"));
                c.args([
                    "emulate",
                    "--app",
                    if app == App::Bitcoin {
                        "bitcoin"
                    } else {
                        "ethereum"
                    },
                ])
                .args([
                    "--apdu-port",
                    &apdu.to_string(),
                    "--api-port",
                    &api.to_string(),
                ]);
                c
            }
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the device process starts");
        let device = Device { child, apdu, api };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", api)).is_err()
            || TcpStream::connect(("127.0.0.1", apdu)).is_err()
        {
            assert!(
                start.elapsed() < READY_TIMEOUT,
                "the device did not open its ports"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        device
    }

    fn spec(&self) -> String {
        format!("speculos:127.0.0.1:{}", self.apdu)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP/1.1 request to the REST API; returns the body.
fn http(api: u16, method: &str, path: &str, body: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", api)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    let _ = s.read_to_string(&mut response);
    response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}

fn screen_text(api: u16) -> String {
    let body = http(api, "GET", "/events?currentscreenonly=true", "").unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| e["text"].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn press(api: u16, button: &str) {
    let _ = http(
        api,
        "POST",
        &format!("/button/{button}"),
        r#"{"action":"press-and-release"}"#,
    );
}

/// What the person at the emulator does with each review.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Choice {
    Approve,
    Reject,
}

/// A thread that watches the screen and approves (or rejects) every review, pressing right
/// through the review screens and both buttons on the decision screen. It never touches the
/// home screens, where pressing through would quit the app.
struct Approver {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<u32>>,
}

impl Approver {
    fn start(api: u16, choice: Choice) -> Approver {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut decisions = 0;
            while !flag.load(Ordering::Relaxed) {
                let text = screen_text(api);
                let home = text.is_empty()
                    || ["is ready", "Version", "About", "Quit", "Settings"]
                        .iter()
                        .any(|h| text.contains(h));
                let approve = [
                    "Sign message",
                    "Sign transaction",
                    "Confirm",
                    "Register account",
                    "Approve",
                    "Accept",
                ]
                .iter()
                .any(|a| text.starts_with(a));
                let reject = text.starts_with("Reject");
                if home {
                    std::thread::sleep(Duration::from_millis(20));
                } else if (approve && choice == Choice::Approve)
                    || (reject && choice == Choice::Reject)
                {
                    press(api, "both");
                    decisions += 1;
                    // The decision screen can stay up a moment after the press (the device
                    // is signing): a second press there is ignored by the device but would be
                    // counted here, so wait until the screen has moved on.
                    let deadline = std::time::Instant::now() + Duration::from_secs(10);
                    while screen_text(api) == text
                        && std::time::Instant::now() < deadline
                        && !flag.load(Ordering::Relaxed)
                    {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                } else {
                    press(api, "right");
                }
            }
            decisions
        });
        Approver {
            stop,
            handle: Some(handle),
        }
    }

    fn stop(mut self) -> u32 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .map(|h| h.join().unwrap_or(0))
            .unwrap_or(0)
    }
}

impl Drop for Approver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn porsign(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_porsign"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("porsign runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn address(signer: &SoftwareSigner, purpose: u32, coin: u32, index: u32) -> (String, String) {
    let p: DerivationPath = format!("m/{purpose}'/{coin}'/0'/0/{index}")
        .parse()
        .unwrap();
    let a = signer.address_at(&p, Network::Bitcoin).unwrap();
    (a.to_string(), format!("m/{p}"))
}

/// A reserves list of the first `n` P2WPKH addresses (m/84'/0'/0'/0/i) of the seed.
fn p2wpkh_list(signer: &SoftwareSigner, n: u32) -> String {
    let mut csv = String::from("chain,network,address,path\n");
    for i in 0..n {
        let (a, p) = address(signer, 84, 0, i);
        csv.push_str(&format!("bitcoin,mainnet,{a},{p}\n"));
    }
    csv
}

/// The recorded 2-of-3 `wsh(sortedmulti)` of three accounts of the Speculos seed.
fn multisig_descriptor() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/speculos/btc-register-wsh-sortedmulti-2of3.json");
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let keys: Vec<String> = t["result"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| format!("{}/0/0", k.as_str().unwrap()))
        .collect();
    format!("wsh(sortedmulti(2,{}))", keys.join(","))
}

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(reserves: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let o = porsign(
            &[
                "challenge",
                "new",
                "--audit",
                "LIVE",
                "--period",
                "2026-11",
                "-o",
                "challenge.json",
            ],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        std::fs::write(dir.path().join("reserves.csv"), reserves).unwrap();
        Workspace { dir }
    }

    fn sign(&self, device: &Device) -> Output {
        self.sign_waiting(device, "60")
    }

    /// `sign` waiting at most `timeout` seconds for each reply.
    fn sign_waiting(&self, device: &Device, timeout: &str) -> Output {
        self.sign_with(device, timeout, &[])
    }

    /// `sign` with extra flags.
    fn sign_with(&self, device: &Device, timeout: &str, extra: &[&str]) -> Output {
        let spec = device.spec();
        let mut args = vec![
            "sign",
            "--challenge",
            "challenge.json",
            "--reserves",
            "reserves.csv",
            "-o",
            "bundle.jsonl",
            "--device",
            &spec,
            "--timeout",
            timeout,
        ];
        args.extend_from_slice(extra);
        porsign(&args, self.dir.path())
    }

    fn verify(&self) -> Output {
        porsign(
            &["verify", "bundle.jsonl", "--challenge", "challenge.json"],
            self.dir.path(),
        )
    }

    fn addresses(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("bundle.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "entry")
            .map(|v| v["address"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

fn announce() {
    match real_speculos() {
        Some((btc, eth)) => eprintln!(
            "live lane: REAL Speculos with {} and {}",
            btc.display(),
            eth.display()
        ),
        None => eprintln!("live lane: porsign emulate (Speculos-compatible mode; set PORSIGN_BTC_ELF and PORSIGN_ETH_ELF to run real Speculos)"),
    }
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_mixed_list_with_multisig_signs_and_verifies() {
    announce();
    let s = SoftwareSigner::speculos_default();
    let mut csv = String::from("chain,network,address,path,descriptor,amount\n");
    for purpose in [44, 49, 84, 86] {
        let (a, p) = address(&s, purpose, 0, 0);
        csv.push_str(&format!("bitcoin,mainnet,{a},{p},,1\n"));
    }
    csv.push_str(&format!(
        "bitcoin,mainnet,bc1q5uaamedd6aj4g2ekdcgzmup8aksjatmaze9uzy2ua2ec89jtdr2skh08ej,,\"{}\",7\n",
        multisig_descriptor()
    ));
    csv.push_str(
        "ethereum,mainnet,0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D,m/44'/60'/0'/0/0,,3\n",
    );
    let ws = Workspace::new(&csv);

    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let o = ws.sign(&btc);
    let decisions = approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        decisions >= 5,
        "every signature was approved on screen ({decisions})"
    );
    assert!(
        text(&o).contains("1 Ethereum row still needs the Ethereum app"),
        "{}",
        text(&o)
    );

    let eth = Device::start(App::Ethereum);
    let approver = Approver::start(eth.api, Choice::Approve);
    let o = ws.sign(&eth);
    approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("bundle complete"), "{}", text(&o));

    let o = ws.verify();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("VALID"));
    assert_eq!(ws.addresses().len(), 6);
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_rejection_exits_4_and_a_resume_finishes() {
    let s = SoftwareSigner::speculos_default();
    let ws = Workspace::new(&p2wpkh_list(&s, 3));
    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Reject);
    let o = ws.sign(&btc);
    approver.stop();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let (first, _) = address(&s, 84, 0, 0);
    assert!(
        text(&o).contains(&first),
        "the rejected address is named: {}",
        text(&o)
    );

    let approver = Approver::start(btc.api, Choice::Approve);
    let o = ws.sign(&btc);
    approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(ws.verify().status.code(), Some(0));
    assert_eq!(ws.addresses().len(), 3);
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_refused_path_is_named() {
    let s = SoftwareSigner::speculos_default();
    // A Bitcoin key on Ethereum's coin type: the mainnet Bitcoin app may not derive it, so the
    // row is refused with the list, before the device is asked anything.
    let (a, p) = address(&s, 84, 60, 0);
    let ws = Workspace::new(&format!(
        "chain,network,address,path\nbitcoin,mainnet,{a},{p}\n"
    ));
    let btc = Device::start(App::Bitcoin);
    let o = ws.sign(&btc);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("line 2, column `path`: m/84'/60'/0'/0/0"),
        "{}",
        text(&o)
    );
    assert!(ws.addresses().is_empty());
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_review_left_pending_by_a_timed_out_run() {
    let s = SoftwareSigner::speculos_default();
    let ws = Workspace::new(&p2wpkh_list(&s, 2));
    let btc = Device::start(App::Bitcoin);
    let sign = |timeout: &str| ws.sign_waiting(&btc, timeout);
    // Nobody at the device: the run gives up, the review stays on the screen.
    let o = sign("3");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    // The device refuses the next run until the review is resolved on it.
    let o = sign("10");
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(
        text(&o).contains(
            "a review is still pending on the device: approve or reject it there, then run again"
        ),
        "{}",
        text(&o)
    );
    let rejecter = Approver::start(btc.api, Choice::Reject);
    let start = Instant::now();
    while !screen_text(btc.api).contains("is ready") {
        assert!(
            start.elapsed() < READY_TIMEOUT,
            "the review was not resolved"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    rejecter.stop();
    let approver = Approver::start(btc.api, Choice::Approve);
    let o = sign("60");
    approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(ws.addresses().len(), 2);
    assert_eq!(ws.verify().status.code(), Some(0));
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_wrong_app_open() {
    let s = SoftwareSigner::speculos_default();
    let (a, p) = address(&s, 84, 0, 0);
    let ws = Workspace::new(&format!(
        "chain,network,address,path\nbitcoin,mainnet,{a},{p}\n"
    ));
    let eth = Device::start(App::Ethereum);
    let o = ws.sign(&eth);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("Bitcoin app"), "{}", text(&o));
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_device_killed_mid_run_resumes_without_signing_twice() {
    let s = SoftwareSigner::speculos_default();
    let ws = Workspace::new(&p2wpkh_list(&s, 30));
    let mut btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let bundle = ws.dir.path().join("bundle.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_porsign"))
        .args([
            "sign",
            "--challenge",
            "challenge.json",
            "--reserves",
            "reserves.csv",
            "-o",
            "bundle.jsonl",
            "--device",
            &btc.spec(),
            "--timeout",
            "60",
            // Batches of five, so that the run is killed between batches and inside one.
            "--batch-size",
            "5",
        ])
        .current_dir(ws.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while ws.addresses().len() < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "signing made no progress"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    btc.kill();
    let status = child.wait().unwrap();
    approver.stop();
    assert_eq!(
        status.code(),
        Some(3),
        "a vanished device is a device error"
    );
    let before = ws.addresses().len();
    assert!(before < 30 && bundle.exists());

    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let o = ws.sign(&btc);
    approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let addresses = ws.addresses();
    let mut unique = addresses.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), addresses.len(), "no address signed twice");
    assert_eq!(addresses.len(), 30);
    assert_eq!(ws.verify().status.code(), Some(0));
}

#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_seconds_per_address_for_100() {
    let s = SoftwareSigner::speculos_default();
    let ws = Workspace::new(&p2wpkh_list(&s, 100));
    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let start = Instant::now();
    let o = ws.sign_with(&btc, "60", &["--no-batch"]);
    let seconds = start.elapsed().as_secs_f64();
    let decisions = approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(decisions, 100, "each signature approved on screen");
    assert_eq!(ws.verify().status.code(), Some(0));
    eprintln!(
        "live lane: 100 addresses signed one by one (--no-batch) with on-screen approval in {seconds:.2} s = {:.3} s per address",
        seconds / 100.0
    );
}

/// The batched scenario: 100 addresses of one account (receive and change) in one batch proof,
/// one approval given on screen after reading the OP_RETURN tag `sign` announced.
#[test]
#[ignore = "live lane: run with `bash .ci/live-lane`"]
fn live_batch_of_100_takes_one_approval() {
    let s = SoftwareSigner::speculos_default();
    let mut csv = String::from("chain,network,address,path\n");
    for i in 0..100u32 {
        let path: DerivationPath = format!("m/84'/0'/0'/{}/{}", i % 2, i / 2).parse().unwrap();
        let a = s.address_at(&path, Network::Bitcoin).unwrap();
        csv.push_str(&format!("bitcoin,mainnet,{a},m/{path}\n"));
    }
    let ws = Workspace::new(&csv);
    let btc = Device::start(App::Bitcoin);
    let approver = Approver::start(btc.api, Choice::Approve);
    let start = Instant::now();
    let o = ws.sign_with(&btc, "300", &["--seal", "m/84'/0'/0'/0/0"]);
    let seconds = start.elapsed().as_secs_f64();
    let decisions = approver.stop();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("batch of 100 addresses") && text(&o).contains("OP_RETURN 0x"),
        "the operator is told what the screen shows: {}",
        text(&o)
    );
    // One approval for the batch, one for the seal.
    assert_eq!(decisions, 2, "approvals on screen");
    let v = ws.verify();
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(text(&v).contains("seal: sealed by"), "{}", text(&v));
    assert_eq!(ws.addresses().len(), 100);
    eprintln!(
        "live lane: 100 addresses in one batch proof (+ seal), {decisions} approvals on screen, {seconds:.2} s = {:.3} s per address",
        seconds / 100.0
    );
}
