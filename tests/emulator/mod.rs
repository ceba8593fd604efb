//! The built-in emulator: keys and signatures byte-identical to the real apps, every recorded
//! APDU answered byte for byte, the Speculos-compatible servers, and fault injection.

/// Home pages and the security-warning flow, as the app and the SDK draw them.
mod app_screens;
/// The Bitcoin app beyond the transcripts: BIP-322 for every default policy, registered
/// wallets, error answers.
mod bitcoin;
/// `porsign emulate` as a process.
mod cli;
/// The digests, the verifier's and the emulator's own, pinned to independent known answers.
mod digests;
/// The Ethereum app: transactions, EIP-712, blind signing, refusals.
mod ethereum;
/// EIP-712 in full mode, driven like `hw-app-eth`'s `signEIP712Message`.
mod ethereum_eip712;
/// Each fault and the host error it produces.
mod faults;
/// A plain HTTP/1.1 client for the REST API tests.
mod http_client;
mod keys;
/// A review nobody answers stays on screen; the device answers 6901 until it is resolved.
mod pending_review;
/// Miniscript and taproot-script policies against the real app's known answers.
mod policy_known_answers;
/// SIGN_PSBT under registered policies of every script type, checked by consensus.
mod registered;
/// The Speculos REST API: each endpoint's shapes and status codes, the event stream, the
/// screenshot, approval while an APDU waits, hostile requests.
mod rest;
/// The TCP APDU port and the REST API, driven by porsign's host code.
mod server;
/// Every recorded transcript, replayed against the emulator.
mod transcripts;
