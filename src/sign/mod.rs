//! `porsign sign`: work through a reserves list on a signer and append every proof to the bundle.

pub mod reserves;
