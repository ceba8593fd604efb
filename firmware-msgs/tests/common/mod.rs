//! Shared test helpers: transcript loading, replay, and access to the research vectors.
#![allow(dead_code, clippy::indexing_slicing)]

use std::path::PathBuf;

use firmware_msgs::btc::exchange::Reply;
use firmware_msgs::btc::{Exchange, ExchangeError, Step};
use firmware_msgs::ApduResponse;
use serde_json::Value;

/// The repository's Speculos transcripts (ours, always present).
pub fn transcripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/speculos")
}

/// A file under the research folder next to the repository, if present. In CI it must be.
pub fn shared_file(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{} is missing, and CI requires it", path.display());
    }
    eprintln!("skipping: {} not found", path.display());
    None
}

pub fn read_json(path: &std::path::Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

pub fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text.replace(' ', "")).unwrap_or_else(|e| panic!("bad hex {text:?}: {e}"))
}

/// One recorded operation.
pub struct Transcript {
    pub name: String,
    pub description: String,
    /// `(command, response)` bytes, response including the status word.
    pub exchanges: Vec<(Vec<u8>, Vec<u8>)>,
    pub result: Value,
    /// The whole recorded file (for the fields only some transcripts have: `psbt`,
    /// `wallet_policy`, `hmac`).
    pub json: Value,
}

impl Transcript {
    pub fn load(name: &str) -> Self {
        let path = transcripts_dir().join(format!("{name}.json"));
        let json = read_json(&path);
        let exchanges = json["exchanges"]
            .as_array()
            .expect("exchanges array")
            .iter()
            .map(|e| {
                (
                    unhex(e["command"].as_str().expect("command hex")),
                    unhex(e["response"].as_str().expect("response hex")),
                )
            })
            .collect();
        Self {
            name: name.to_owned(),
            description: json["description"].as_str().unwrap_or_default().to_owned(),
            exchanges,
            result: json["result"].clone(),
            json,
        }
    }

    /// Every transcript name (file stem), sorted.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(transcripts_dir())
            .expect("fixtures/speculos exists")
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                (path.extension()? == "json")
                    .then(|| path.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect();
        names.sort();
        names
    }

    pub fn replay(&self) -> Replay<'_> {
        Replay {
            transcript: self,
            next: 0,
        }
    }
}

/// Feeds recorded responses to our exchanges, checking each command we send byte for byte.
pub struct Replay<'a> {
    transcript: &'a Transcript,
    next: usize,
}

impl Replay<'_> {
    pub fn run<R: Reply>(&mut self, mut exchange: Exchange<R>) -> Result<R, ExchangeError> {
        let mut command = exchange.first_command();
        loop {
            let Some((recorded_command, recorded_response)) =
                self.transcript.exchanges.get(self.next)
            else {
                panic!(
                    "{}: we sent {} after the last recorded exchange",
                    self.transcript.name,
                    hex::encode(command.encode())
                );
            };
            assert_eq!(
                hex::encode(command.encode()),
                hex::encode(recorded_command),
                "{}: exchange {} differs",
                self.transcript.name,
                self.next
            );
            self.next += 1;
            let response = ApduResponse::decode(recorded_response).expect("recorded response");
            match exchange.advance(&response)? {
                Step::Send(next) => command = next,
                Step::Done(reply) => return Ok(reply),
            }
        }
    }

    pub fn assert_finished(&self) {
        assert_eq!(
            self.next,
            self.transcript.exchanges.len(),
            "{}: recorded exchanges left over",
            self.transcript.name
        );
    }
}

pub mod sim;
