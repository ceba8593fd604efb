//! Append-only bundle writer: every entry is on disk (written and fsynced) before the caller asks
//! the device for the next one, and a stopped run resumes from the file itself.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::model::{encode_line, Entry, Footer, Header, Line, Named};
use super::reader::{decode_line, LineReader};
use super::{BundleDigest, BundleError, BUNDLE_FORMAT, SUPPORTED_VERSIONS};
use crate::lines::FileError;
use crate::model::{Chain, Network};

/// The key under which an address counts as done: chain, network and the address as written.
pub type AddressKey = (Chain, Named<Network>, String);

/// What a resumed file already holds.
#[derive(Debug)]
pub struct ResumeState {
    pub header: Header,
    pub entries: u64,
    /// Addresses already signed; a resumed run must skip them.
    pub done: HashSet<AddressKey>,
    /// Bytes of a cut-off last line that were dropped (a crash mid-write).
    pub dropped_partial_bytes: u64,
}

/// Writes a bundle line by line, durably.
pub struct BundleWriter {
    path: PathBuf,
    file: BufWriter<File>,
    /// fsync after every line (signing), or only at the end (bulk conversion of a file that
    /// can simply be converted again).
    durable: bool,
    digest: BundleDigest,
    entries: u64,
    done: HashSet<AddressKey>,
}

impl BundleWriter {
    /// Starts a new bundle. Refuses to touch an existing file: that is finished or resumable work.
    pub fn create(path: &Path, header: &Header) -> Result<Self, BundleError> {
        Self::create_with(path, header, true)
    }

    /// Starts a new bundle that is synced to disk only when finished and does not track its
    /// addresses (the caller dedupes): for converting files in bulk, where a crash costs a rerun
    /// rather than a device's work.
    pub fn create_bulk(path: &Path, header: &Header) -> Result<Self, BundleError> {
        Self::create_with(path, header, false)
    }

    fn create_with(path: &Path, header: &Header, durable: bool) -> Result<Self, BundleError> {
        let shown = path.display().to_string();
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    BundleError::Exists {
                        path: shown.clone(),
                    }
                } else {
                    BundleError::File(FileError::Open {
                        path: shown.clone(),
                        source,
                    })
                }
            })?;
        let mut writer = BundleWriter {
            path: path.to_owned(),
            file: BufWriter::new(file),
            durable,
            digest: BundleDigest::default(),
            entries: 0,
            done: HashSet::new(),
        };
        let header_line = encode_line(&Line::Header(header.clone()));
        writer.write_durably(&header_line)?;
        writer.digest.update(&header_line);
        // Make the new file's directory entry durable too, so a crash cannot lose the file.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(writer)
    }

    /// Reopens a bundle that a stopped run left without a footer. A cut-off last line (the run
    /// died mid-write, before that entry was acknowledged) is dropped; everything complete is kept.
    pub fn resume(path: &Path) -> Result<(Self, ResumeState), BundleError> {
        let shown = path.display().to_string();
        let resume_err = |reason: String| BundleError::Resume {
            path: shown.clone(),
            reason,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|source| FileError::Open {
                path: shown.clone(),
                source,
            })?;
        let mut reader = LineReader::new(BufReader::new(&mut file));
        let mut header = None;
        let mut digest = BundleDigest::default();
        let mut entries = 0u64;
        let mut done = HashSet::new();
        let mut good_len = 0u64;
        let mut dropped = 0u64;
        // The batch the last entries belong to, with the state from before its first entry: a
        // batch is written whole, so one whose entries do not make up its declared batch (a run
        // that died while writing it) is dropped as a whole.
        let mut open_batch: Option<OpenBatch> = None;
        while let Some(raw) = reader.next_line()? {
            if !raw.complete {
                dropped = raw.text.len() as u64;
                break;
            }
            match decode_line(raw.number, &raw.text)? {
                Line::Header(h) if raw.number == 1 => {
                    check_header_kind(&h)?;
                    digest.update(&raw.text);
                    header = Some(h);
                }
                Line::Header(_) => {
                    return Err(resume_err(format!("line {}: a second header", raw.number)))
                }
                Line::Entry(e) => {
                    if header.is_none() {
                        return Err(resume_err("the first line is not a header".into()));
                    }
                    if e.index != entries {
                        return Err(resume_err(format!(
                            "line {}: entry index {} where {} was expected",
                            raw.number, e.index, entries
                        )));
                    }
                    match (&e.batch, &mut open_batch) {
                        (Some(id), Some(open)) if &open.id == id => {}
                        (Some(id), _) => {
                            open_batch = Some(OpenBatch {
                                id: id.clone(),
                                start_len: good_len,
                                digest: digest.clone(),
                                entries,
                                members: Vec::new(),
                            })
                        }
                        (None, _) => open_batch = None,
                    }
                    if let Some(open) = open_batch.as_mut() {
                        open.members.push(e.clone());
                    }
                    if !done.insert(address_key(&e)) {
                        return Err(resume_err(format!(
                            "line {}: address {} is listed twice",
                            raw.number, e.address
                        )));
                    }
                    digest.update(&raw.text);
                    entries += 1;
                }
                Line::Footer(_) | Line::Seal(_) => {
                    return Err(BundleError::Finished { path: shown })
                }
            }
            good_len += raw.text.len() as u64 + 1;
        }
        drop(reader);
        let header = header.ok_or(BundleError::Empty)?;
        if let Some(open) = open_batch.filter(|b| !b.is_whole(header.challenge.as_bytes())) {
            dropped += good_len - open.start_len;
            good_len = open.start_len;
            digest = open.digest;
            entries = open.entries;
            for e in &open.members {
                done.remove(&address_key(e));
            }
        }
        let write_err = |source| FileError::Write {
            path: shown.clone(),
            source,
        };
        if dropped > 0 {
            file.set_len(good_len).map_err(write_err)?;
            file.sync_all().map_err(write_err)?;
        }
        file.seek(SeekFrom::End(0)).map_err(write_err)?;
        let state = ResumeState {
            header,
            entries,
            done: done.clone(),
            dropped_partial_bytes: dropped,
        };
        let writer = BundleWriter {
            path: path.to_owned(),
            file: BufWriter::new(file),
            durable: true,
            digest,
            entries,
            done,
        };
        Ok((writer, state))
    }

    /// Whether an address is already in the bundle.
    pub fn contains(&self, chain: Chain, network: Network, address: &str) -> bool {
        self.done
            .contains(&(chain, Named::Known(network), address.to_owned()))
    }

    /// Number of entries written so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Appends an entry (its `index` is set here) and returns only once it is on disk.
    pub fn append(&mut self, mut entry: Entry) -> Result<u64, BundleError> {
        // Bulk conversions of exchange files dedupe on their own, in less memory than a set of
        // whole addresses; a signing run keeps the set, so nothing is ever signed twice.
        let key = self.durable.then(|| address_key(&entry));
        if key.as_ref().is_some_and(|k| self.done.contains(k)) {
            return Err(BundleError::Resume {
                path: self.path.display().to_string(),
                reason: format!("address {} is already in the bundle", entry.address),
            });
        }
        entry.index = self.entries;
        let line = encode_line(&Line::Entry(entry));
        self.write_durably(&line)?;
        self.digest.update(&line);
        if let Some(key) = key {
            self.done.insert(key);
        }
        self.entries += 1;
        Ok(self.entries - 1)
    }

    /// Appends the entries of one batch proof (their `index` is set here) and returns once all
    /// of them are on disk: a batch is all or nothing, and `resume` drops a batch that a crash
    /// cut short. Returns the index of the first.
    pub fn append_batch(&mut self, batch: Vec<Entry>) -> Result<u64, BundleError> {
        let first = self.entries;
        for entry in &batch {
            if self.durable && self.done.contains(&address_key(entry)) {
                return Err(BundleError::Resume {
                    path: self.path.display().to_string(),
                    reason: format!("address {} is already in the bundle", entry.address),
                });
            }
        }
        let durable = std::mem::replace(&mut self.durable, false);
        let written = batch.into_iter().try_for_each(|mut entry| {
            entry.index = self.entries;
            let key = address_key(&entry);
            let line = encode_line(&Line::Entry(entry));
            self.write_durably(&line)?;
            self.digest.update(&line);
            if durable {
                self.done.insert(key);
            }
            self.entries += 1;
            Ok::<(), BundleError>(())
        });
        self.durable = durable;
        written?;
        if durable {
            let path = self.path.display().to_string();
            self.file
                .flush()
                .and_then(|()| self.file.get_ref().sync_data())
                .map_err(|source| FileError::Write { path, source })?;
        }
        Ok(first)
    }

    /// Writes the footer. After this the file is complete and read-only to porsign.
    pub fn finish(mut self) -> Result<Footer, BundleError> {
        let footer = Footer {
            entries: self.entries,
            sha256: self.digest.hex(),
        };
        self.write_durably(&encode_line(&Line::Footer(footer.clone())))?;
        let path = self.path.display().to_string();
        self.file
            .flush()
            .and_then(|()| self.file.get_ref().sync_all())
            .map_err(|source| FileError::Write { path, source })?;
        Ok(footer)
    }

    /// Writes the whole line and its newline, then (durable mode) flushes and fsyncs: a crash
    /// leaves either the full line or a cut-off one that `resume` drops, never a line that reads
    /// as complete.
    fn write_durably(&mut self, line: &str) -> Result<(), BundleError> {
        let result = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.write_all(b"\n"));
        let result = if self.durable {
            result
                .and_then(|()| self.file.flush())
                .and_then(|()| self.file.get_ref().sync_data())
        } else {
            result
        };
        result.map_err(|source| {
            FileError::Write {
                path: self.path.display().to_string(),
                source,
            }
            .into()
        })
    }
}

/// The batch the last entries of a resumed file belong to.
struct OpenBatch {
    id: String,
    /// File length, digest and entry count before its first entry.
    start_len: u64,
    digest: BundleDigest,
    entries: u64,
    members: Vec<Entry>,
}

impl OpenBatch {
    /// Whether the entries are the whole batch their id names: inputs 0, 1, ... in order, and
    /// their addresses (with the challenge) rebuild the id.
    fn is_whole(&self, message: &[u8]) -> bool {
        let in_order = self
            .members
            .iter()
            .enumerate()
            .all(|(i, e)| e.input.and_then(|n| usize::try_from(n).ok()) == Some(i));
        let spks: Option<Vec<bitcoin::ScriptBuf>> = self
            .members
            .iter()
            .map(|e| {
                let network = e.network.known()?;
                crate::scheme::parse_btc_address(&e.address, network)
                    .ok()
                    .map(|a| a.script_pubkey())
            })
            .collect();
        in_order
            && spks.is_some_and(|spks| {
                crate::scheme::bip322::batch::batch_id(message, &spks).to_string() == self.id
            })
    }
}

/// The done-set key of an entry.
pub fn address_key(entry: &Entry) -> AddressKey {
    (entry.chain, entry.network.clone(), entry.address.clone())
}

/// Format and version checks shared by the writer's resume and the verifier.
pub fn check_header_kind(header: &Header) -> Result<(), BundleError> {
    if header.format != BUNDLE_FORMAT {
        return Err(BundleError::Format {
            found: header.format.clone(),
        });
    }
    if !SUPPORTED_VERSIONS.contains(&header.version) {
        return Err(BundleError::Version {
            found: header.version,
        });
    }
    if header.custodian.is_empty() {
        return Err(BundleError::Field {
            line: 1,
            field: "custodian".into(),
            reason: "is empty: a bundle names who holds the reserves".into(),
        });
    }
    Ok(())
}
