//! The checks of every input and output before the review: each input's spent output (from
//! the previous transaction and the witness UTXO, which must agree), whether it is ours, its
//! sighash type; each output's amount and whether it is our change. What they find becomes the
//! warnings and the outputs the review shows.

use bitcoin::TxOut;
use firmware_msgs::StatusWord;

use super::error_codes;
use super::fields::{
    from_non_witness_utxo, from_witness_utxo, read_output, sighash_type, IN_PREVIOUS_TXID,
    SIGHASH_ALL, SIGHASH_DEFAULT, SIGHASH_SINGLE,
};
use super::policy_match::{internal_keys, is_ours, scan_map, Callback};
use super::state::State;
use crate::emulator::session::{Host, Refusal};

/// A 6A80 refusal with the app's error code.
fn coded(error_code: u16) -> Refusal {
    Refusal::coded(StatusWord::IncorrectData, error_code)
}

/// Largest value any amount may have.
const MAX_MONEY: u64 = 21_000_000 * 100_000_000;

#[derive(Default)]
pub(super) struct Warnings {
    pub(super) external_inputs: bool,
    pub(super) missing_non_witness_utxo: bool,
    pub(super) non_default_sighash: bool,
}

pub(super) async fn inputs(
    st: &mut State<'_>,
    host: &Host,
) -> Result<(Vec<bool>, u64, Warnings), Refusal> {
    st.internal = internal_keys(st, host).await?;
    if st.internal.is_empty() {
        return Err(coded(error_codes::WALLET_POLICY_HAS_NO_INTERNAL_KEY));
    }
    let mut internal_inputs = Vec::new();
    let mut total_in = 0u64;
    let mut warnings = Warnings::default();
    for i in 0..st.n_inputs {
        internal_inputs.push(false);
        let scan = scan_map(
            &mut st.internal,
            host,
            st.inputs_root,
            st.n_inputs,
            i,
            Callback::Input,
        )
        .await?;
        if scan.bad_pubkey {
            return Err(StatusWord::IncorrectData.into());
        }
        if !scan.non_witness_utxo && !scan.witness_utxo {
            return Err(coded(error_codes::MISSING_NONWITNESSUTXO_AND_WITNESSUTXO));
        }
        let mut spent: Option<TxOut> = None;
        if scan.non_witness_utxo {
            let txid = host
                .required_value(&scan.map, &[IN_PREVIOUS_TXID], 32)
                .await?;
            let out = from_non_witness_utxo(host, &scan.map, Some(&txid))
                .await
                .map_err(|_| coded(error_codes::NONWITNESSUTXO_CHECK_FAILED))?;
            total_in = total_in.saturating_add(out.value.to_sat());
            spent = Some(out);
        }
        if scan.witness_utxo {
            let out = from_witness_utxo(host, &scan.map)
                .await?
                .ok_or(StatusWord::IncorrectData)?;
            match &spent {
                Some(known) if *known != out => {
                    return Err(coded(error_codes::NONWITNESSUTXO_AND_WITNESSUTXO_MISMATCH))
                }
                Some(_) => {}
                None => {
                    total_in = total_in.saturating_add(out.value.to_sat());
                    spent = Some(out);
                }
            }
        }
        let spent = spent.ok_or(StatusWord::IncorrectData)?;
        if spent.value.to_sat() > MAX_MONEY {
            return Err(StatusWord::IncorrectData.into());
        }
        if !is_ours(st, host, scan.ours, &spent.script_pubkey).await? {
            warnings.external_inputs = true;
            continue;
        }
        if let Some(flag) = internal_inputs.last_mut() {
            *flag = true;
        }
        let segwit = st.template.segwit_version();
        match segwit {
            None if !scan.non_witness_utxo || scan.witness_utxo => {
                return Err(coded(
                    error_codes::MISSING_NONWITNESSUTXO_OR_UNEXPECTED_WITNESSUTXO_FOR_LEGACY,
                ))
            }
            Some(_) if !scan.witness_utxo => {
                return Err(coded(error_codes::MISSING_WITNESSUTXO_FOR_SEGWIT))
            }
            Some(0) if !scan.non_witness_utxo => warnings.missing_non_witness_utxo = true,
            _ => {}
        }
        if !scan.sighash_type {
            continue;
        }
        let sighash = sighash_type(host, &scan.map).await?;
        let plain =
            (segwit.is_some_and(|v| v > 0) && sighash == SIGHASH_DEFAULT) || sighash == SIGHASH_ALL;
        if plain {
        } else if segwit.is_some() && matches!(sighash, 0x02 | 0x03 | 0x81 | 0x82 | 0x83) {
            warnings.non_default_sighash = true;
        } else {
            return Err(StatusWord::NotSupported.into());
        }
        if sighash & SIGHASH_SINGLE == SIGHASH_SINGLE && i >= st.n_outputs {
            return Err(Refusal::coded(
                StatusWord::NotSupported,
                error_codes::UNALLOWED_SIGHASH_SINGLE,
            ));
        }
    }
    if !internal_inputs.contains(&true) {
        return Err(StatusWord::IncorrectData.into());
    }
    Ok((internal_inputs, total_in, warnings))
}

/// The outputs the user must review (not our change), with amounts.
pub(super) struct Outputs {
    pub(super) external: Vec<TxOut>,
    pub(super) total: u64,
}

pub(super) async fn outputs(
    st: &State<'_>,
    host: &Host,
    total_in: u64,
) -> Result<Outputs, Refusal> {
    // Output scans only read our derivations; they never change which keys sign.
    let mut internal = st.internal.clone();
    let mut outputs = Outputs {
        external: Vec::new(),
        total: 0,
    };
    let mut n_change = 0u32;
    for j in 0..st.n_outputs {
        let scan = scan_map(
            &mut internal,
            host,
            st.outputs_root,
            st.n_outputs,
            j,
            Callback::Output,
        )
        .await?;
        if scan.bad_pubkey {
            return Err(StatusWord::IncorrectData.into());
        }
        let out = read_output(host, &scan.map).await?;
        if out.value.to_sat() > MAX_MONEY {
            return Err(StatusWord::IncorrectData.into());
        }
        outputs.total = outputs.total.saturating_add(out.value.to_sat());
        let change = match scan.ours {
            Some((true, _)) => is_ours(st, host, scan.ours, &out.script_pubkey).await?,
            _ => false,
        };
        if change {
            n_change += 1;
        } else {
            outputs.external.push(out);
        }
    }
    if total_in < outputs.total {
        return Err(StatusWord::IncorrectData.into());
    }
    if n_change > 10 {
        return Err(Refusal::coded(
            StatusWord::NotSupported,
            error_codes::TOO_MANY_CHANGE_OUTPUTS,
        ));
    }
    Ok(outputs)
}
