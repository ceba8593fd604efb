//! One input about to be signed with one of our keys: its index, what the signing pass read of
//! its map, the full derivation path of the key (checked against the paths the app may derive)
//! and its sighash type. The ECDSA and Schnorr signers take it as it is.

use firmware_msgs::StatusWord;

use super::fields::{incorrect, sighash_type};
use super::policy_match::Scan;
use super::state::{InternalKey, State};
use crate::emulator::session::Host;

/// One input to sign with one of our keys: what every digest and signature of it needs.
pub(super) struct InputToSign<'s> {
    /// The input's index, as the yielded signature names it.
    pub(super) index: u64,
    /// The same index, as the sighash code takes it.
    pub(super) input_index: usize,
    /// What the signing pass read of the input's map.
    pub(super) scan: &'s Scan,
    /// The full derivation path of the signing key.
    pub(super) path: Vec<u32>,
    /// The input's sighash type, when the PSBT gives one.
    pub(super) sighash_type: Option<u32>,
}

impl<'s> InputToSign<'s> {
    /// Reads the input's sighash type and builds the signing key's path from the derivation
    /// the scan matched; a path the app may not derive is refused.
    pub(super) async fn read(
        st: &State<'_>,
        host: &Host,
        key: &InternalKey,
        scan: &'s Scan,
        index: u64,
    ) -> Result<InputToSign<'s>, StatusWord> {
        let input_index = usize::try_from(index).map_err(incorrect)?;
        let sighash_type = if scan.sighash_type {
            Some(sighash_type(host, &scan.map).await?)
        } else {
            None
        };
        let (is_change, address_index) = scan.ours.ok_or(StatusWord::BadState)?;
        let mut path = key.origin.clone();
        path.push(if is_change {
            key.expr.change
        } else {
            key.expr.receive
        });
        path.push(address_index);
        if !st.ctx.chain.may_derive(&path) {
            return Err(StatusWord::BadState);
        }
        Ok(InputToSign {
            index,
            input_index,
            scan,
            path,
            sighash_type,
        })
    }
}
