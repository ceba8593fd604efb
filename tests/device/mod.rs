//! Device code on recorded transcripts: the host drivers must send exactly what Ledger's own
#![allow(clippy::indexing_slicing)] // tests index known fixtures; a panic is a test failure.
//! client sent to the real apps, and decode what the apps answered.

mod replay;
