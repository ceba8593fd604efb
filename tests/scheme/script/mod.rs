//! porsign's policy script interpreter (`scheme::script`): Bitcoin Core's script test vectors
//! and a differential test against libbitcoinconsensus.

pub(crate) mod consensus;
mod core_vectors;
mod harness;
mod random_scripts;
mod signed_spends;
