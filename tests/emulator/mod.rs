//! The built-in emulator: keys and signatures byte-identical to the real apps.

mod keys;
