//! porsign's policy script interpreter (`scheme::script`): Bitcoin Core's script test vectors
//! and a differential test against libbitcoinconsensus.

mod core_vectors;
mod harness;
