//! `porsign emulate` as a process: it warns that it is not for real funds, prints its port and
//! fingerprint on stderr, and serves APDUs until stopped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use porsign::app::{btc, DeviceError};
use porsign::device::SpeculosTransport;

/// Kills the emulator process when the test ends, whatever happens.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn emulate_serves_until_stopped_and_warns_loudly() {
    let child = Command::new(env!("CARGO_BIN_EXE_porsign"))
        .args([
            "emulate",
            "--app",
            "bitcoin",
            "--apdu-port",
            "0",
            "--api-port",
            "0",
            "--auto-approve",
            "--reject-nth",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("porsign runs");
    let mut child = Child(child);
    let stderr = child.0.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let port = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("emulate exited; stderr: {seen:?}"))
            .expect("utf-8 stderr");
        if let Some(rest) = line.strip_prefix("porsign emulate: APDU port 127.0.0.1:") {
            break rest
                .split_whitespace()
                .next()
                .and_then(|p| p.parse::<u16>().ok())
                .expect("a port number");
        }
        seen.push(line);
    };
    let text = seen.join("\n");
    assert!(
        text.contains("EMULATOR") && text.contains("real funds"),
        "{text}"
    );
    assert!(text.contains("master fingerprint f5acc2fd"), "{text}");

    let mut transport =
        SpeculosTransport::connect(&format!("127.0.0.1:{port}"), Duration::from_secs(60))
            .expect("connects");
    assert_eq!(
        btc::master_fingerprint(&mut transport).unwrap(),
        [0xf5, 0xac, 0xc2, 0xfd]
    );
    let key = porsign::emulator::keys::path("m/84'/0'/0'/0/0");
    assert!(matches!(
        btc::sign_message(&mut transport, &key, b"x"),
        Err(DeviceError::Rejected)
    ));
    assert!(btc::sign_message(&mut transport, &key, b"x").is_ok());
}
