//! The client-command protocol: how the Bitcoin app fetches data from the host.
//!
//! Instead of taking large inputs in one APDU, the app answers a command with status `E000`
//! ("interrupted execution") and a request in the data: `u8 code ‖ request`. The host answers
//! with CONTINUE (`F8 01 00 01 Lc response`), and the app either asks again or finishes.
//!
//! - [`ClientCommand`] (`request.rs`): the requests (encoded by the device, decoded by the host);
//! - [`ClientResponse`] (`response.rs`): the answers (encoded by the host, decoded by the
//!   device);
//! - [`HostInterpreter`] (`host.rs`): the host's state (known preimages, Merkle trees, the queue
//!   of elements that did not fit one answer, the yielded values) that turns each request into
//!   its answer;
//! - [`device`]: the device's fetchers that send the requests and check the answers (for the
//!   emulator).
//!
//! Answer sizing follows Ledger's clients byte for byte, so recorded transcripts replay
//! exactly: a preimage answer carries at most `255 − len(varint) − 1` bytes, the rest queued as
//! 1-byte elements; a proof answer carries at most 6 hashes, the rest queued as 32-byte
//! elements; GET_MORE_ELEMENTS packs elements while the total stays at most 253 bytes.

pub mod device;
mod host;
mod request;
mod response;

pub use host::{HostInterpreter, InterpreterError};
pub use request::{ClientCommand, ClientCommandCode};
pub use response::ClientResponse;
