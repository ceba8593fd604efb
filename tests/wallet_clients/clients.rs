//! The wallet software the lane drives: HWI's command line and Ledger's `ledger_bitcoin` Python
//! client (through `ledger_bitcoin_driver.py`), both from the virtual environment that
//! `.ci/wallet-clients-lane` installs; and the recorded transcripts they are compared with.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// The virtual environment with `hwi` and `ledger_bitcoin` installed.
fn venv() -> PathBuf {
    std::env::var_os("PORSIGN_CLIENTS_VENV")
        .map(PathBuf::from)
        .expect(
            "PORSIGN_CLIENTS_VENV names the virtual environment with hwi and ledger_bitcoin; \
             run the lane with `bash .ci/wallet-clients-lane`",
        )
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One recorded transcript from `fixtures/speculos/`.
pub(crate) fn transcript(name: &str) -> Value {
    let path = repo()
        .join("fixtures/speculos")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every transcript whose name starts with `prefix`, by name.
pub(crate) fn transcripts(prefix: &str) -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("fixtures/speculos"))
        .expect("fixtures/speculos")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let t = transcript(&n);
            (n, t)
        })
        .collect()
}

/// Runs `hwi` against the device at `tcp:127.0.0.1:<apdu>` (or without a device for
/// `enumerate`) and returns its JSON answer. HWI reports device errors as
/// `{"error": "...", "code": N}` on stdout.
pub(crate) fn hwi(args: &[&str]) -> Value {
    let output = Command::new(venv().join("bin/hwi"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("hwi runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "hwi {args:?} printed no JSON ({e}): {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `hwi` with the device at `apdu` and the chain of `app`.
pub(crate) fn hwi_at(apdu: u16, testnet: bool, args: &[&str]) -> Value {
    let path = format!("tcp:127.0.0.1:{apdu}");
    let mut all = vec!["-t", "ledger", "-d", path.as_str()];
    if testnet {
        all.extend(["--chain", "test"]);
    }
    all.extend_from_slice(args);
    hwi(&all)
}

/// One `ledger_bitcoin` operation (see `ledger_bitcoin_driver.py`): `{"ok": answer}` or
/// `{"error": class, "sw": hex, "error_code": hex}`.
pub(crate) fn ledger_bitcoin(apdu: u16, testnet: bool, mut request: Value) -> Value {
    request["port"] = json!(apdu);
    request["chain"] = json!(if testnet { "test" } else { "main" });
    python_driver("ledger_bitcoin_driver.py", &request, &[])
}

/// One `ledgereth` operation (see `ledgereth_driver.py`), the device found through
/// `LEDGER_PROXY_ADDRESS` / `LEDGER_PROXY_PORT` as `ledgerblue` tools find Speculos.
pub(crate) fn ledgereth(apdu: u16, request: Value) -> Value {
    let port = apdu.to_string();
    python_driver(
        "ledgereth_driver.py",
        &request,
        &[
            ("LEDGER_PROXY_ADDRESS", "127.0.0.1"),
            ("LEDGER_PROXY_PORT", port.as_str()),
        ],
    )
}

/// Runs `tests/wallet_clients/<driver>` in the venv with `request` on stdin; its JSON answer.
fn python_driver(driver: &str, request: &Value, env: &[(&str, &str)]) -> Value {
    let mut child = Command::new(venv().join("bin/python"))
        .arg(repo().join("tests/wallet_clients").join(driver))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the venv's python runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("request written");
    let output = child.wait_with_output().expect("the driver ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "{driver} printed no JSON ({e}): {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
