//! The live lane's harness: a running device (real Speculos or `porsign emulate`), the on-screen
//! approver, and a workspace with a challenge and a reserves list.

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

pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum App {
    Bitcoin,
    /// The Bitcoin Test app (testnet); with real Speculos its ELF is `PORSIGN_BTC_TEST_ELF`.
    #[allow(dead_code)] // the wallet-clients lane's; the live lane runs mainnet only.
    BitcoinTest,
    Ethereum,
}

impl App {
    fn emulate_name(self) -> &'static str {
        match self {
            App::Bitcoin => "bitcoin",
            App::BitcoinTest => "bitcoin-test",
            App::Ethereum => "ethereum",
        }
    }
}

/// Which form of the lane runs.
pub(crate) fn real_speculos() -> Option<(PathBuf, PathBuf)> {
    let btc = std::env::var_os("PORSIGN_BTC_ELF")?;
    let eth = std::env::var_os("PORSIGN_ETH_ELF")?;
    Some((btc.into(), eth.into()))
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A running device: Speculos or `porsign emulate`, with its APDU and REST ports.
pub(crate) struct Device {
    child: Child,
    pub(crate) apdu: u16,
    pub(crate) api: u16,
}

impl Device {
    pub(crate) fn start(app: App) -> Device {
        Device::start_on(app, free_port())
    }

    /// Starts the device with its APDU port at `apdu` (wallet software that looks for an
    /// emulator, like HWI's `--emulators`, looks at Speculos's default port 9999).
    pub(crate) fn start_on(app: App, apdu: u16) -> Device {
        let api = free_port();
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
                    .arg(match app {
                        App::Bitcoin => btc,
                        App::BitcoinTest => std::env::var_os("PORSIGN_BTC_TEST_ELF")
                            .expect("PORSIGN_BTC_TEST_ELF: the Bitcoin Test app's ELF")
                            .into(),
                        App::Ethereum => eth,
                    });
                c
            }
            None => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_porsign"));
                c.args(["emulate", "--app", app.emulate_name()])
                    // The Ethereum app's setting that EIP-712 hashed mode and contract data
                    // need; with real Speculos it is turned on in the app's settings.
                    .args((app == App::Ethereum).then_some("--blind-signing"))
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

    pub(crate) fn spec(&self) -> String {
        format!("speculos:127.0.0.1:{}", self.apdu)
    }

    pub(crate) fn kill(&mut self) {
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
pub(crate) fn http(api: u16, method: &str, path: &str, body: &str) -> Option<String> {
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

pub(crate) fn screen_text(api: u16) -> String {
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

pub(crate) fn press(api: u16, button: &str) {
    let _ = http(
        api,
        "POST",
        &format!("/button/{button}"),
        r#"{"action":"press-and-release"}"#,
    );
}

/// What the person at the emulator does with each review.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Approve,
    Reject,
}

/// A thread that watches the screen and approves (or rejects) every review, pressing right
/// through the review screens and both buttons on the decision screen. It never touches the
/// home screens, where pressing through would quit the app.
pub(crate) struct Approver {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<u32>>,
}

impl Approver {
    pub(crate) fn start(api: u16, choice: Choice) -> Approver {
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

    pub(crate) fn stop(mut self) -> u32 {
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

pub(crate) fn porsign(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_porsign"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("porsign runs")
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub(crate) fn address(
    signer: &SoftwareSigner,
    purpose: u32,
    coin: u32,
    index: u32,
) -> (String, String) {
    let p: DerivationPath = format!("m/{purpose}'/{coin}'/0'/0/{index}")
        .parse()
        .unwrap();
    let a = signer.address_at(&p, Network::Bitcoin).unwrap();
    (a.to_string(), format!("m/{p}"))
}

/// A reserves list of the first `n` P2WPKH addresses (m/84'/0'/0'/0/i) of the seed.
pub(crate) fn p2wpkh_list(signer: &SoftwareSigner, n: u32) -> String {
    let mut csv = String::from("chain,network,address,path\n");
    for i in 0..n {
        let (a, p) = address(signer, 84, 0, i);
        csv.push_str(&format!("bitcoin,mainnet,{a},{p}\n"));
    }
    csv
}

/// The recorded 2-of-3 `wsh(sortedmulti)` of three accounts of the Speculos seed.
pub(crate) fn multisig_descriptor() -> String {
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

pub(crate) struct Workspace {
    pub(crate) dir: tempfile::TempDir,
}

impl Workspace {
    pub(crate) fn new(reserves: &str) -> Workspace {
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

    pub(crate) fn sign(&self, device: &Device) -> Output {
        self.sign_waiting(device, "60")
    }

    /// `sign` waiting at most `timeout` seconds for each reply.
    pub(crate) fn sign_waiting(&self, device: &Device, timeout: &str) -> Output {
        self.sign_with(device, timeout, &[])
    }

    /// `sign` with extra flags.
    pub(crate) fn sign_with(&self, device: &Device, timeout: &str, extra: &[&str]) -> Output {
        self.sign_command(device, timeout, extra)
            .output()
            .expect("porsign runs")
    }

    /// The `sign` command of this workspace on `device`, not started yet.
    pub(crate) fn sign_command(&self, device: &Device, timeout: &str, extra: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_porsign"));
        command
            .args([
                "sign",
                "--challenge",
                "challenge.json",
                "--reserves",
                "reserves.csv",
                "-o",
                "bundle.jsonl",
                "--device",
                &device.spec(),
                "--timeout",
                timeout,
            ])
            .args(extra)
            .current_dir(self.dir.path());
        command
    }

    pub(crate) fn verify(&self) -> Output {
        porsign(
            &["verify", "bundle.jsonl", "--challenge", "challenge.json"],
            self.dir.path(),
        )
    }

    pub(crate) fn addresses(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("bundle.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "entry")
            .map(|v| v["address"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

pub(crate) fn announce() {
    match real_speculos() {
        Some((btc, eth)) => eprintln!(
            "live lane: REAL Speculos with {} and {}",
            btc.display(),
            eth.display()
        ),
        None => eprintln!("live lane: porsign emulate (Speculos-compatible mode; set PORSIGN_BTC_ELF and PORSIGN_ETH_ELF to run real Speculos)"),
    }
}
