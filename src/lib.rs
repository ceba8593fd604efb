//! porsign: proof-of-reserves address ownership.
//!
//! Custody teams sign an audit challenge with the key of every reserve address and bundle the
//! signatures into one attestation file; auditors verify such bundles, and the
//! proof-of-reserves files exchanges publish (OKX's CSV). The verifiers fail closed: anything
//! they cannot check is a failure, never a pass.
//!
//! This library is what the `porsign` command runs, for exchanges and auditors who run the same
//! checks inside their own pipelines:
//!
//! | job | call | with | result |
//! |---|---|---|---|
//! | verify a bundle from a reader | [`bundle::verify_bundle`], or [`bundle::verify::verify_bundle_streaming`] for every entry's result as it is decided | [`bundle::VerifyOptions`] | [`bundle::Report`] |
//! | verify an OKX proof-of-reserves file | [`okx::verify_stream`], or [`okx::Verification`] to see the layout before the rows | [`okx::VerifyOptions`] | [`okx::Report`] |
//! | sign a reserves list over any [`device::Transport`] | [`sign::open_sessions`], [`sign::open_bundle`], [`sign::sign_all`] | rows from [`sign::reserves::parse_csv`], a [`challenge::Challenge`] | a bundle file and a [`sign::SignSummary`] |
//!
//! Inputs are read as streams: memory stays bounded for bundles of millions of entries and OKX
//! files of millions of rows. An `Err` means the input is unusable (malformed, unreadable,
//! unsupported); a readable input with bad entries or rows gives a report that says which, and
//! `all_valid()` is true only when everything was proven. Reports carry strings from the input
//! (addresses, reasons quoting fields): print them through [`escape::for_terminal`], so that a
//! crafted address cannot rewrite a terminal line.
//!
//! # Verify a bundle
//!
//! ```
//! use porsign::bundle::verify::{verify_bundle_streaming, Verdict};
//! use porsign::bundle::{verify_bundle, VerifyOptions};
//!
//! // A bundle of real Ledger signatures (Bitcoin 2.4.6 and Ethereum 1.22.0 apps in Speculos).
//! // Any `BufRead` will do, e.g. `BufReader::new(File::open(path)?)`.
//! let bundle = include_str!("../fixtures/bundles/ledger-speculos.jsonl");
//!
//! // The message every entry must have signed: the challenge's `message`.
//! let options = VerifyOptions::new("porsign test challenge");
//! let report = verify_bundle(bundle.as_bytes(), &options)?;
//! assert!(report.all_valid());
//! assert_eq!((report.entries, report.valid), (6, 6));
//!
//! // Every entry's result, in file order, as soon as it is decided (nothing kept per entry).
//! let mut invalid = Vec::new();
//! let report = verify_bundle_streaming(
//!     bundle.as_bytes(),
//!     &VerifyOptions::new("another audit's challenge"),
//!     &mut |result| {
//!         if result.verdict == Verdict::Invalid {
//!             invalid.push(result.address.to_owned());
//!         }
//!     },
//! )?;
//! // Signatures of another message prove nothing for this audit.
//! assert!(!report.all_valid());
//! assert_eq!(invalid.len(), 6);
//! # Ok::<(), porsign::bundle::BundleError>(())
//! ```
//!
//! # Verify an OKX file
//!
//! ```
//! use porsign::okx::{verify_stream, RowEvent, Verification, VerifyOptions};
//!
//! // Two rows of OKX's published example (9-column layout) with their summary block.
//! let file = "\
//! coin,snapshot height,amount
//! ETH,763861,0.0583
//! ETH-OPTIMISM,763861,0.09005464570702736
//!
//! coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key
//! ETH,ETH,763861,0xe7d5f0677dbc8f27fe57bc8289c0450abd198533,0.0583,I am an OKX address,0xe0f0c7b5dec044d33ee4dadbd4202cc8969db26d63f354e1125a9da9792b68b41bce03596eee243cc23de23b49ba6f7e16d434e9d435877fb150b2497d926edd1c,\\N,null
//! ETH-OPTIMISM,OPTIMISM,763861,0x5920eba609799658b05c5d82b4f9046a479145a9,0.09005464570702736,I am an OKX address,0xd5e670b357a446a2a720eae5561bf2059e5d3c695511526b78b8799bbef9a77c3deef328a3ee77bc8448c4cb2d9bdebeb9c92d2e267b257e519c9e7bdb1b5ee41b,null,null
//! ";
//! let options = VerifyOptions {
//!     expected_message: Some("I am an OKX address".into()),
//!     ..VerifyOptions::default()
//! };
//! // `on_row` sees every row that is not plainly proven (failed, owner-attested, excluded).
//! let report = verify_stream(file.as_bytes(), &options, &mut |_event: RowEvent<'_>| {})?;
//! assert!(report.all_valid());
//! assert_eq!((report.rows, report.proven), (2, 2));
//!
//! // The same in two steps: the format and rules are known before the rows are read.
//! let verification = Verification::start(file.as_bytes(), &options)?;
//! assert_eq!(
//!     verification.report_head().format,
//!     "OKX proof-of-reserves CSV, 9-column layout"
//! );
//! let mut failed_lines = Vec::new();
//! let report = verification.run(&mut |event| {
//!     if let RowEvent::Failure(failure) = event {
//!         failed_lines.push(failure.line);
//!     }
//! })?;
//! assert!(report.all_valid() && failed_lines.is_empty());
//! # Ok::<(), porsign::okx::OkxError>(())
//! ```
//!
//! # Sign a reserves list
//!
//! Signing runs over any [`device::Transport`]: a Ledger on USB, a Speculos emulator, a
//! recorded transcript, or a transport of your own. Each proof is re-verified on the host
//! before it is appended to the bundle and synced, so a run that stops for any reason resumes
//! from the file without signing anything twice. With the `emulator` feature this example runs
//! against porsign's built-in emulator.
//!
//! ```
//! use std::path::Path;
//!
//! use porsign::challenge::Challenge;
//! use porsign::device::Transport;
//! use porsign::sign::{self, progress::Quiet, reserves, SignSummary};
//!
//! /// Signs every row of a reserves list (CSV) that the devices hold into the bundle at
//! /// `output`: a new one, or the one a stopped run left.
//! fn sign_reserves(
//!     mut devices: Vec<Box<dyn Transport + Send>>,
//!     challenge: &Challenge,
//!     reserves_csv: &[u8],
//!     output: &Path,
//! ) -> Result<SignSummary, Box<dyn std::error::Error>> {
//!     // Every row is checked (address, path, what the app can sign) before any device traffic.
//!     let rows = reserves::parse_csv(reserves_csv)?;
//!     // Checks which app each device runs.
//!     let mut sessions = sign::open_sessions(&mut devices)?;
//!     let (bundle, _entries_already_there) = sign::open_bundle(output, challenge, "Example")?;
//!     Ok(sign::sign_all(&mut sessions, &rows, challenge, bundle, &Quiet)?)
//! }
//! # #[cfg(feature = "emulator")]
//! # {
//! # use porsign::challenge::ChallengeParams;
//! # use porsign::emulator::{AppMode, Emulator, EmulatorConfig, InProcessTransport};
//! # let emulated = Emulator::new(EmulatorConfig::new(AppMode::Bitcoin))?;
//! # let devices: Vec<Box<dyn Transport + Send>> = vec![Box::new(InProcessTransport::new(emulated))];
//! # let challenge = Challenge::new(ChallengeParams {
//! #     audit: "AUD-1".into(),
//! #     period: "2026-11".into(),
//! #     auditor: None,
//! #     anchor: None,
//! # })?;
//! # let dir = tempfile::tempdir()?;
//! # let output = dir.path().join("bundle.jsonl");
//! // A key of the emulator's (Speculos's) public test seed.
//! let reserves = "chain,network,address,path\n\
//!     bitcoin,mainnet,bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg,m/84'/0'/0'/0/0\n";
//! let summary = sign_reserves(devices, &challenge, reserves.as_bytes(), &output)?;
//! assert_eq!((summary.signed, summary.finished), (1, true));
//! # let file = std::io::BufReader::new(std::fs::File::open(&output)?);
//! # let options = porsign::bundle::VerifyOptions::new(challenge.message.clone());
//! # assert!(porsign::bundle::verify_bundle(file, &options)?.all_valid());
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Real Ledgers are named as on the command line ([`device::DeviceSpec`]) and opened by
//! [`app::open`] (which finds `hid:fpr=<fingerprint>` devices by asking their Bitcoin app):
//!
//! ```no_run
//! use porsign::device::{DeviceSpec, Transport, DEFAULT_USER_TIMEOUT};
//!
//! let ledger = porsign::app::open(&"hid".parse::<DeviceSpec>()?, DEFAULT_USER_TIMEOUT)?;
//! let devices: Vec<Box<dyn Transport + Send>> = vec![ledger];
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cargo features
//!
//! - `emulator` (default): porsign's built-in emulator of the Ledger Bitcoin and Ethereum apps
//!   (software keys from a BIP-39 mnemonic; tests and rehearsals only), and the commands that
//!   need software keys (`porsign emulate`, `demo`, `bench`). It is no part of the library API.
//!   Without it (`default-features = false`) the crate verifies, and signs over real devices,
//!   with no software signer and no BIP-39 code in it.
//!
//! # Layers
//!
//! Each module uses only the ones below it: [`sign`] drives [`app`], which speaks the Ledger
//! apps' protocol (the `firmware-msgs` crate) over [`device`]; [`bundle`] and [`okx`] verify
//! with the pure signature [`scheme`]s; [`model`] holds what signing and verifying share
//! (chains, networks, address spelling, amounts); [`challenge`] and [`escape`] stand alone. The command
//! line sits on top and is not part of this API.

pub mod app;
pub mod bundle;
pub mod challenge;
pub mod device;
pub mod escape;
pub mod lines;
pub mod model;
pub mod okx;
pub mod report;
pub mod scheme;
pub mod sign;

// Helpers with no API of their own.
mod address_key;
mod sync;

// The command line: the binary's, not the library's (see `src/main.rs`).
mod cli;

// The built-in emulator: for porsign's own tests, `porsign emulate` and the demo; not part of
// the library API.
#[cfg(feature = "emulator")]
#[doc(hidden)]
pub mod emulator;

/// Runs the `porsign` command line (parse, run, print, exit code): the binary's entry point.
#[doc(hidden)]
pub fn cli_main() -> std::process::ExitCode {
    cli::main()
}

/// The command line is the binary's, not the library's: its modules cannot be reached.
///
/// ```compile_fail,E0603
/// let _ = porsign::cli::main;
/// ```
#[cfg(doctest)]
pub struct CliIsNoLibraryApi;

/// Without the `emulator` feature there is no emulator (no software signer) in the library.
///
/// ```compile_fail,E0433
/// let _ = porsign::emulator::Emulator::new;
/// ```
#[cfg(all(doctest, not(feature = "emulator")))]
pub struct NoEmulatorWithoutTheFeature;
