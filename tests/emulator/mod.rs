//! The built-in emulator: keys and signatures byte-identical to the real apps.
#![allow(clippy::indexing_slicing)] // tests index known fixtures; a panic is a test failure.

mod keys;
