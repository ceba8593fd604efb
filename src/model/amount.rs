//! How an amount is written: the reserves list and the bundle take the same form.

/// An amount that is not a plain non-negative decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{amount:?} is not a non-negative decimal with at most 18 decimals")]
pub struct AmountError {
    pub amount: String,
}

/// A non-negative decimal with at most 18 fractional digits (wei precision), no sign, no
/// exponent: amounts are summed by auditors and must not be ambiguous.
pub fn check_amount(amount: &str) -> Result<(), AmountError> {
    let bad = || AmountError {
        amount: amount.to_owned(),
    };
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 30 || !digits(int) || !digits(frac) || frac.len() > 18 {
        return Err(bad());
    }
    if amount.contains('.') && frac.is_empty() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_plain_decimals() {
        for good in ["0", "1.5", "10.000000000000000001", "123456789"] {
            assert!(check_amount(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-1",
            "1.",
            ".5",
            "1e3",
            "1.0000000000000000001",
            "1,5",
            " 1",
        ] {
            assert!(check_amount(bad).is_err(), "{bad}");
        }
    }
}
