//! Batch entries (`bip322-batch`, bundle version 2) are proven together: one input of one
//! transaction each, every signature committing to every input. The in-order pass collects a
//! batch's consecutive entries (at most one more than the app's 512 inputs, so memory stays
//! bounded) and settles them here at once; the batch's inputs are checked on all cores.

use bitcoin::Address;

use super::entry::Verified;
use super::report::EntryFailure;
use crate::bundle::model::Entry;
use crate::scheme::bip322::batch::{self, MAX_INPUTS};

/// One entry of a batch, as read, with what its own fields showed (`precheck_batch_entry`).
pub(super) struct Member {
    pub line: u64,
    pub entry: Entry,
    pub address: Result<Address, EntryFailure>,
}

/// The consecutive entries naming one batch id, waiting for the batch's end.
pub(super) struct PendingBatch {
    pub id: String,
    pub members: Vec<Member>,
}

impl PendingBatch {
    pub fn new(id: String) -> Self {
        PendingBatch {
            id,
            members: Vec::new(),
        }
    }

    /// Whether `entry` continues this batch. A batch already one past the app's limit takes no
    /// more: it fails as too large, and what follows starts a new (failing) group, so a crafted
    /// file cannot make the verifier hold an unbounded batch.
    pub fn continues_with(&self, entry: &Entry) -> bool {
        entry.batch.as_deref() == Some(self.id.as_str()) && self.members.len() <= MAX_INPUTS
    }
}

/// Every member's result, in order. Anything that keeps the batch from being rebuilt exactly
/// (a member with a bad field, inputs out of order, mixed networks, another batch id) fails
/// every member: a batch proves all of its addresses or none.
pub(super) fn settle(batch: &PendingBatch, message: &[u8]) -> Vec<Result<Verified, EntryFailure>> {
    let all_fail = |reason: String| -> Vec<Result<Verified, EntryFailure>> {
        batch
            .members
            .iter()
            .map(|m| match &m.address {
                Err(own) => Err(own.clone()),
                Ok(_) => Err(EntryFailure::Batch {
                    batch: batch.id.clone(),
                    reason: reason.clone(),
                }),
            })
            .collect()
    };
    if let Some(bad) = batch.members.iter().find(|m| m.address.is_err()) {
        return all_fail(format!(
            "entry {} of this batch is invalid, so the batch cannot be checked",
            bad.entry.index
        ));
    }
    for (position, member) in batch.members.iter().enumerate() {
        if member.entry.input != u32::try_from(position).ok() {
            return all_fail(format!(
                "its entries must carry inputs 0, 1, … in order; entry {} has input {} at position {position} (an entry was added, dropped, moved or reordered)",
                member.entry.index,
                member.entry.input.map_or("none".into(), |i| i.to_string()),
            ));
        }
    }
    if let Some(first) = batch.members.first() {
        if let Some(other) = batch
            .members
            .iter()
            .find(|m| m.entry.network != first.entry.network)
        {
            return all_fail(format!(
                "entry {} is on {}, the batch's first entry on {}",
                other.entry.index, other.entry.network, first.entry.network
            ));
        }
    }
    let addresses: Vec<Address> = batch
        .members
        .iter()
        .filter_map(|m| m.address.as_ref().ok().cloned())
        .collect();
    let proofs: Vec<&str> = batch
        .members
        .iter()
        .map(|m| m.entry.signatures.first().map_or("", String::as_str))
        .collect();
    let n = addresses.len();
    match batch::verify(message, &batch.id, &addresses, &proofs) {
        Err(e) => all_fail(e.to_string()),
        Ok(results) => results
            .into_iter()
            .zip(&addresses)
            .enumerate()
            .map(|(i, (result, address))| {
                result.map_err(EntryFailure::Signature).map(|()| Verified {
                    detail: format!(
                        "bip322-batch {} input {i} of {n}",
                        address
                            .address_type()
                            .map_or("script".into(), |t| t.to_string())
                    ),
                    time_lock: None,
                })
            })
            .collect(),
    }
}
