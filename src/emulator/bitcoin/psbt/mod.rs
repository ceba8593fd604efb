//! SIGN_PSBT for the default single-key policies (`pkh`, `wpkh`, `sh(wpkh)`, `tr` key path) and
//! for registered ones, whose HMAC must be the one REGISTER_WALLET returned: multisig
//! (`multi`/`sortedmulti` under `wsh`, `sh(wsh)` or legacy `sh`), named single-key policies,
//! miniscript under `wsh` (ECDSA over the PSBT's witness script) and `tr(KEY,TREE)` with any
//! script tree (key path when our key is the internal one, else script path with the hash of
//! the leaf holding our key; one signature per key expression of ours, as the app).
//! BIP-322 proofs, single and batched, sign their `to_sign` transaction through this command.
//!
//! The app never holds the PSBT: it reads each map entry through client commands, often more
//! than once (it checks every map's key order each time it opens a map). The functions here
//! follow its passes in order — global map, inputs, outputs, transaction-wide hashes, review,
//! signing — so the requests match a real device's byte for byte. The digests themselves come
//! from the `bitcoin` crate's sighash code, over the transaction rebuilt from what was read.
//! Refusals carry the app's error codes ([`error_codes`]). MuSig2 key expressions are not
//! parsed (6A82, see `policy`).
//!
//! One file per concern, in the order of the passes:
//!
//! - this file: the command's entry and its limits;
//! - [`error_codes`]: the codes sent before a refusal's status word;
//! - [`fields`]: the PSBT key types the app reads and one reader per field (with its size limit);
//! - [`state`]: what every pass reads, from the global map and the wallet policy;
//! - [`policy_match`]: which policy keys are ours, and which inputs and outputs they derive;
//! - [`preprocess`]: the checks of every input and output before the review;
//! - [`tx_hashes`]: the pass over the whole transaction, and the unsigned transaction rebuilt
//!   from it;
//! - [`review`]: the screens the user approves;
//! - [`sign`]: the signing pass (which key signs which input, [`sign_input`]), handing each
//!   input to [`sign_ecdsa`] (legacy, segwit v0) or [`sign_schnorr`] (taproot).

mod error_codes;
mod fields;
mod policy_match;
mod preprocess;
mod review;
mod sign;
mod sign_ecdsa;
mod sign_input;
mod sign_schnorr;
mod state;
mod tx_hashes;

use firmware_msgs::btc::commands::SignPsbt;
use firmware_msgs::StatusWord;

use self::state::State;
use super::Ctx;
use crate::emulator::session::{Host, Outcome};

/// Most inputs or outputs the app signs for.
const MAX_IN_OUT: u64 = 512;

/// SIGN_PSBT: the passes in the order the app makes them, each reading what it needs from the host.
pub(super) async fn sign_psbt(ctx: &Ctx, host: &Host, command: SignPsbt) -> Outcome {
    if command.n_inputs > MAX_IN_OUT || command.n_outputs > MAX_IN_OUT {
        return Err(StatusWord::NotSupported.into());
    }
    let mut st = State::read(ctx, host, &command).await?;
    let (internal_inputs, total_in, warnings) = preprocess::inputs(&mut st, host).await?;
    let outputs = preprocess::outputs(&st, host, total_in).await?;
    let tx = tx_hashes::compute_tx_hashes(&st, host).await?;
    review::review(&st, &warnings, &outputs, total_in)?;
    sign::sign_transaction(&mut st, host, &internal_inputs, &tx).await?;
    Ok(Vec::new())
}
