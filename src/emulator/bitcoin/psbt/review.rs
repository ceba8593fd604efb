//! The screens the user approves before anything is signed: the security warnings the earlier
//! passes raised, then each external output (amount and address, or OP_RETURN data) and the fee,
//! written as the app writes them.

use bitcoin::ScriptBuf;
use firmware_msgs::StatusWord;

use super::preprocess::{Outputs, Warnings};
use super::state::State;
use crate::emulator::bitcoin::approved;
use crate::emulator::screens::ReviewBuilder;
use crate::emulator::ui::ReviewKind;

/// The title of the app's warning screens on a Nano (`GA_SECURITY_RISK_TITLE`).
const SECURITY_RISK: &str = "Security risk";

/// Outputs reviewed one by one in the simplified flow.
const MAX_SIMPLIFIED_OUTPUTS: usize = 16;

/// How the app writes an amount: `0.0001 BTC`, `0 BTC`.
fn format_amount(sats: u64, ticker: &str) -> String {
    let whole = sats / 100_000_000;
    let fraction = sats % 100_000_000;
    if fraction == 0 {
        return format!("{whole} {ticker}");
    }
    let digits = format!("{fraction:08}");
    format!("{whole}.{} {ticker}", digits.trim_end_matches('0'))
}

/// How the app names an output: its address, or `OP_RETURN` with the pushed data.
fn describe_output(script: &ScriptBuf, st: &State<'_>) -> Result<String, StatusWord> {
    let bytes = script.as_bytes();
    if bytes.first() == Some(&0x6a) {
        return describe_op_return(bytes).ok_or(StatusWord::NotSupported);
    }
    crate::emulator::bitcoin::policy::address(script, st.ctx.chain)
        .map_err(|_| StatusWord::NotSupported)
}

fn describe_op_return(script: &[u8]) -> Option<String> {
    if script.len() > 83 {
        return None;
    }
    let mut parts = vec!["OP_RETURN".to_owned()];
    let mut rest = script.get(1..)?;
    while let Some((&op, tail)) = rest.split_first() {
        let (len, tail) = match op {
            0x00 => {
                parts.push("0".into());
                (0, tail)
            }
            1..=75 => (usize::from(op), tail),
            0x4c => {
                let (&len, tail) = tail.split_first()?;
                if len <= 75 {
                    return None;
                }
                (usize::from(len), tail)
            }
            0x4f => {
                parts.push("-1".into());
                (0, tail)
            }
            0x51..=0x60 => {
                parts.push((op - 0x50).to_string());
                (0, tail)
            }
            _ => return None,
        };
        if len > 0 {
            let data = tail.get(..len)?;
            parts.push(format!("0x{}", hex::encode(data)));
            rest = tail.get(len..)?;
        } else {
            rest = tail;
        }
        if parts.len() > 6 {
            return None;
        }
    }
    Some(parts.join(" "))
}

pub(super) fn review(
    st: &State<'_>,
    warnings: &Warnings,
    outputs: &Outputs,
    total_in: u64,
) -> Result<(), StatusWord> {
    let ui = &st.ctx.ui;
    let ticker = st.ctx.chain.ticker();
    let fee = total_in.saturating_sub(outputs.total);
    for (on, text) in [
        (warnings.non_default_sighash, "Non-default sighash"),
        (
            warnings.external_inputs,
            "There are external inputs\nReject if not sure",
        ),
        (
            warnings.missing_non_witness_utxo,
            "Unverified inputs\nUpdate your wallet software",
        ),
    ] {
        if on {
            // The SDK's choice flow on a Nano, with an icon and a sub-message: a title page,
            // then the title again above the sub-message, then the two choices
            // (`displayChoicePage` in ledger-secure-sdk; the app passes its warning icon).
            let warning = ReviewBuilder::intro(SECURITY_RISK)
                .info(&format!("{SECURITY_RISK}\n{text}"))
                .finish(
                    "Continue anyway",
                    "Back to safety",
                    "Transaction\nsigning",
                    "Transaction rejected",
                );
            approved(ui.review(&warning, ReviewKind::Other))?;
        }
    }
    let mut builder = ReviewBuilder::intro("Review transaction\nto send bitcoin");
    if !st.is_default {
        builder = builder.pair("From", &st.header.name);
    }
    let count = outputs.external.len();
    if count == 0 {
        builder = builder.pair("Amount", &format!("0 {ticker} (self-transfer)"));
    }
    for (k, out) in outputs.external.iter().enumerate() {
        if count > 1 {
            builder = builder.pair("Transaction output", &format!("{} of {count}", k + 1));
        }
        builder = builder
            .pair("Amount", &format_amount(out.value.to_sat(), ticker))
            .pair("To", &describe_output(&out.script_pubkey, st)?);
        if k + 1 == MAX_SIMPLIFIED_OUTPUTS && count > MAX_SIMPLIFIED_OUTPUTS {
            // The device streams long lists; the emulator shows the first ones.
            break;
        }
    }
    if 10 * u128::from(fee) >= u128::from(total_in) && total_in > 100_000 {
        builder = builder.pair("High fees warning", "Fees are above 10%\n of total amount");
    }
    let review = builder.pair("Fees", &format_amount(fee, ticker)).finish(
        "Sign transaction",
        "Reject transaction",
        "Transaction signed",
        "Transaction rejected",
    );
    approved(ui.review(&review, ReviewKind::Signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_op_return() {
        assert_eq!(format_amount(0, "BTC"), "0 BTC");
        assert_eq!(format_amount(12_345, "BTC"), "0.00012345 BTC");
        assert_eq!(format_amount(150_000_000, "TEST"), "1.5 TEST");
        assert_eq!(describe_op_return(&[0x6a]).as_deref(), Some("OP_RETURN"));
        assert_eq!(
            describe_op_return(&[0x6a, 0x02, 0xab, 0xcd]).as_deref(),
            Some("OP_RETURN 0xabcd")
        );
        assert_eq!(describe_op_return(&[0x6a, 0x02, 0xab]), None);
    }
}
