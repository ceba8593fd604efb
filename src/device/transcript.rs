//! Transcripts: every APDU of a session and its reply, in the JSON form of
//! `fixtures/speculos/*.json` (`exchanges: [{command, response}]`, hex). Recorded with
//! `--record`, replayed by [`super::ReplayTransport`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Transport, TransportError};

/// One APDU and its reply, hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptExchange {
    pub command: String,
    pub response: String,
}

/// A recorded session. Fields other than `exchanges` are descriptive and kept as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Transcript {
    #[serde(default)]
    pub description: String,
    pub exchanges: Vec<TranscriptExchange>,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub result: serde_json::Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screens: Vec<serde_json::Value>,
}

impl Transcript {
    pub fn load(path: &Path) -> Result<Self, TransportError> {
        let err = |reason: String| TransportError::Transcript {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let transcript: Transcript = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        for (i, x) in transcript.exchanges.iter().enumerate() {
            for (what, value) in [("command", &x.command), ("response", &x.response)] {
                hex::decode(value)
                    .map_err(|e| err(format!("exchange {i}: {what} is not hex: {e}")))?;
            }
        }
        Ok(transcript)
    }

    /// Writes the transcript atomically (temp file + rename), so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> Result<(), TransportError> {
        let err = |e: std::io::Error| TransportError::Transcript {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, self.to_text()).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }

    /// Writes the transcript to a file that must not exist yet: a recording never replaces
    /// another one.
    pub fn save_new(&self, path: &Path) -> Result<(), TransportError> {
        use std::io::Write;
        let err = |reason: String| TransportError::Transcript {
            path: path.display().to_string(),
            reason,
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    err("the file exists; a recording is never overwritten".into())
                }
                _ => err(e.to_string()),
            })?;
        file.write_all(self.to_text().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| err(e.to_string()))
    }

    fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).expect("transcripts serialize") + "\n"
    }
}

/// Wraps a transport and records every exchange, so that a session that dies still leaves its
/// transcript: the file is saved after the first exchange, then whenever
/// [`Recorder::SAVE_EVERY`] has passed since the last save (a batch proof is thousands of
/// exchanges, and rewriting the file after each would make recording quadratic), and when the
/// recorder is dropped. The file must not exist before: a recording is never overwritten.
pub struct Recorder<T: Transport> {
    inner: T,
    path: PathBuf,
    transcript: Transcript,
    created: bool,
    last_save: Option<std::time::Instant>,
    unsaved: bool,
}

impl<T: Transport> Recorder<T> {
    /// The longest a recorded exchange waits to reach the file.
    pub const SAVE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

    pub fn new(inner: T, path: &Path, description: &str) -> Self {
        Recorder {
            inner,
            path: path.to_owned(),
            transcript: Transcript {
                description: description.to_owned(),
                ..Transcript::default()
            },
            created: false,
            last_save: None,
            unsaved: false,
        }
    }

    fn save(&mut self) -> Result<(), TransportError> {
        if self.created {
            self.transcript.save(&self.path)?;
        } else {
            self.transcript.save_new(&self.path)?;
            self.created = true;
        }
        self.last_save = Some(std::time::Instant::now());
        self.unsaved = false;
        Ok(())
    }

    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let reply = self.inner.exchange(apdu)?;
        self.transcript.exchanges.push(TranscriptExchange {
            command: hex::encode(apdu),
            response: hex::encode(&reply),
        });
        self.unsaved = true;
        if self
            .last_save
            .map_or(true, |at| at.elapsed() >= Self::SAVE_EVERY)
        {
            self.save()?;
        }
        Ok(reply)
    }
}

impl<T: Transport> Drop for Recorder<T> {
    fn drop(&mut self) {
        if self.unsaved {
            // Nothing to report an error to here; the last periodic save stays on disk.
            let _ = self.save();
        }
    }
}
