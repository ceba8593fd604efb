//! Exact decimal amounts: fixed point with 18 decimals (wei precision) in an i128, so sums of a
//! million rows are exact and comparable with the summary block.

/// Decimals kept.
pub const SCALE: u32 = 18;

/// An amount in units of 10^-18.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(pub i128);

impl Amount {
    /// Parses a non-negative decimal (`123`, `0.5`, ` 5.2834`) with at most 18 decimals.
    /// Returns the amount and how many decimals were written.
    pub fn parse_decimal(text: &str) -> Option<(Amount, u32)> {
        let t = text.trim();
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) if !f.is_empty() => (i, f),
            Some(_) => return None,
            None => (t, ""),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || (!frac.is_empty() && !digits(frac)) || frac.len() > SCALE as usize {
            return None;
        }
        if int.len() > 20 {
            return None;
        }
        let whole: i128 = int.parse().ok()?;
        let decimals = frac.len() as u32;
        let frac_value: i128 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        let value = whole
            .checked_mul(10i128.pow(SCALE))?
            .checked_add(frac_value.checked_mul(10i128.pow(SCALE - decimals))?)?;
        Some((Amount(value), decimals))
    }

    /// Parses an integer in base units of a coin with `decimals` decimals (the 2022 layout).
    pub fn parse_base_units(text: &str, decimals: u32) -> Option<Amount> {
        let t = text.trim();
        if t.is_empty()
            || t.len() > 38
            || !t.bytes().all(|b| b.is_ascii_digit())
            || decimals > SCALE
        {
            return None;
        }
        let v: i128 = t.parse().ok()?;
        v.checked_mul(10i128.pow(SCALE - decimals)).map(Amount)
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// One unit of the last of `decimals` written digits.
    pub fn ulp(decimals: u32) -> Amount {
        Amount(10i128.pow(SCALE - decimals.min(SCALE)))
    }

    /// |a - b|.
    pub fn abs_diff(self, other: Amount) -> Amount {
        Amount((self.0 - other.0).abs())
    }
}

impl std::fmt::Display for Amount {
    /// Plain decimal without trailing zeros (`5.2834`, `6`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = 10i128.pow(SCALE);
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.abs();
        let whole = v / unit;
        let frac = v % unit;
        if frac == 0 {
            return write!(f, "{sign}{whole}");
        }
        let frac = format!("{frac:018}");
        write!(f, "{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_show() {
        let (a, d) = Amount::parse_decimal(" 5.2834").unwrap();
        assert_eq!(d, 4);
        assert_eq!(a.to_string(), "5.2834");
        let (b, _) = Amount::parse_decimal("0.058959708849230328").unwrap();
        assert_eq!(b.to_string(), "0.058959708849230328");
        assert_eq!(Amount::parse_decimal("1.").map(|x| x.0), None);
        assert_eq!(Amount::parse_decimal("-1"), None);
        assert_eq!(Amount::parse_decimal("1e5"), None);
        assert_eq!(
            Amount::parse_base_units("17263933", 8).unwrap().to_string(),
            "0.17263933"
        );
    }
}
