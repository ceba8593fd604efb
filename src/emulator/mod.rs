//! porsign's built-in emulator of the Ledger Bitcoin and Ethereum apps (for tests and rehearsals only).

pub mod keys;
