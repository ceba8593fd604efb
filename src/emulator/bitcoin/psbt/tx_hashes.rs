//! The pass over the whole transaction that the app hashes once for every input's digest:
//! outpoints and sequences, outputs, then spent amounts and scripts; and the unsigned
//! transaction rebuilt from what it read, which the `bitcoin` crate's sighash code digests.

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use firmware_msgs::StatusWord;

use super::fields::{
    from_non_witness_utxo, from_witness_utxo, open_map, outpoint, read_output, sequence,
};
use super::state::State;
use crate::emulator::session::Host;

/// The transaction as read in the hashing pass.
#[derive(Default)]
pub(super) struct TxData {
    pub(super) inputs: Vec<(Txid, u32, u32)>,
    pub(super) outputs: Vec<TxOut>,
    pub(super) spent: Vec<TxOut>,
}

impl TxData {
    /// The unsigned transaction the digests are computed over.
    pub(super) fn unsigned(&self, version: u32, locktime: u32) -> Transaction {
        Transaction {
            version: Version(i32::from_le_bytes(version.to_le_bytes())),
            lock_time: LockTime::from_consensus(locktime),
            input: self
                .inputs
                .iter()
                .map(|(txid, vout, seq)| TxIn {
                    previous_output: OutPoint::new(*txid, *vout),
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence(*seq),
                    witness: Witness::new(),
                })
                .collect(),
            output: self.outputs.clone(),
        }
    }
}

/// The pass that computes the transaction-wide hashes: outpoints and sequences, outputs, then
/// spent amounts and scripts.
pub(super) async fn compute_tx_hashes(st: &State<'_>, host: &Host) -> Result<TxData, StatusWord> {
    let mut tx = TxData::default();
    for i in 0..st.n_inputs {
        let map = open_map(host, st.inputs_root, st.n_inputs, i).await?;
        let (txid, vout) = outpoint(host, &map).await?;
        let seq = sequence(host, &map).await;
        tx.inputs.push((txid, vout, seq));
    }
    for j in 0..st.n_outputs {
        tx.outputs.push(hash_output(st, host, j).await?);
    }
    for i in 0..st.n_inputs {
        let map = open_map(host, st.inputs_root, st.n_inputs, i).await?;
        // The app falls back to the previous transaction when the witness UTXO is absent or
        // unreadable.
        let spent = match from_witness_utxo(host, &map).await.ok().flatten() {
            Some(out) => out,
            None => from_non_witness_utxo(host, &map, None).await?,
        };
        tx.spent.push(spent);
    }
    Ok(tx)
}

pub(super) async fn hash_output(
    st: &State<'_>,
    host: &Host,
    index: u64,
) -> Result<TxOut, StatusWord> {
    let map = open_map(host, st.outputs_root, st.n_outputs, index).await?;
    read_output(host, &map).await
}

pub(super) async fn hash_all_outputs(st: &State<'_>, host: &Host) -> Result<(), StatusWord> {
    for j in 0..st.n_outputs {
        hash_output(st, host, j).await?;
    }
    Ok(())
}
