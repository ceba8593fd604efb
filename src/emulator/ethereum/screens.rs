//! What the Ethereum app's transaction review shows: amounts in ether with the chain's ticker,
//! the maximum fee, the network, and the blind-signing warning pages.
//!
//! No transcript of a transaction review was recorded; the texts follow app-ethereum 1.22.0's
//! source (`ui_approve_tx.c`, `logic_sign_tx.c`, `network.c`) and its Nano S Plus test
//! snapshots.

/// Wei per ether: the app shows every amount with 18 decimals.
const WEI_DECIMALS: usize = 18;

/// A few of the networks the app names (chain id, name, ticker); others show their chain id as
/// the network and `???` as the ticker, as the app does for chains it does not know. The app
/// knows many more: this emulator names only these.
const NETWORKS: [(u64, &str, &str); 14] = [
    (1, "Ethereum", "ETH"),
    (10, "OP Mainnet", "ETH"),
    (56, "BSC", "BNB"),
    (100, "Gnosis", "xDAI"),
    (137, "Polygon", "POL"),
    (324, "ZKsync Era", "ETH"),
    (8453, "Base", "ETH"),
    (17000, "Holesky", "ETH"),
    (42161, "Arbitrum", "ETH"),
    (43114, "Avalanche", "AVAX"),
    (59144, "Linea", "ETH"),
    (534352, "Scroll", "ETH"),
    (11155111, "Sepolia", "ETH"),
    (11155420, "OP Sepolia", "ETH"),
];

/// The app's own chain: Ethereum mainnet.
pub(super) const APP_CHAIN_ID: u64 = 1;

/// The network's name, or the chain id in decimal.
pub(super) fn network_name(chain_id: u64) -> String {
    NETWORKS
        .iter()
        .find(|(id, _, _)| *id == chain_id && chain_id != 0)
        .map_or_else(|| chain_id.to_string(), |(_, name, _)| (*name).to_owned())
}

/// The ticker amounts and fees are shown in.
pub(super) fn ticker(chain_id: u64) -> &'static str {
    NETWORKS
        .iter()
        .find(|(id, _, _)| *id == chain_id && chain_id != 0)
        .map_or("???", |(_, _, ticker)| ticker)
}

/// A big-endian integer as the app reads its chain id: the low 64 bits.
pub(super) fn u64_be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// The decimal digits of a big-endian unsigned integer of any length ("0" for zero).
pub(super) fn decimal(bytes: &[u8]) -> String {
    let mut number: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut digits = Vec::new();
    while !number.is_empty() {
        // Long division by 10; the remainder is the next digit from the right.
        let mut remainder = 0u16;
        for byte in number.iter_mut() {
            let current = (remainder << 8) | u16::from(*byte);
            // current < 2560, so the quotient fits a byte.
            *byte = u8::try_from(current / 10).unwrap_or(u8::MAX);
            remainder = current % 10;
        }
        digits.push(char::from(b'0' + u8::try_from(remainder).unwrap_or(0)));
        let zeros = number.iter().take_while(|b| **b == 0).count();
        number.drain(..zeros);
    }
    if digits.is_empty() {
        return "0".to_owned();
    }
    digits.iter().rev().collect()
}

/// `a × b` for big-endian integers, `None` past 256 bits (the app then answers 6A80).
pub(super) fn mul_256(a: &[u8], b: &[u8]) -> Option<Vec<u8>> {
    let mut product = vec![0u32; a.len() + b.len()];
    for (i, x) in a.iter().rev().enumerate() {
        let mut carry = 0u32;
        for (j, y) in b.iter().rev().enumerate() {
            let slot = product.get_mut(i + j)?;
            let sum = *slot + u32::from(*x) * u32::from(*y) + carry;
            *slot = sum & 0xff;
            carry = sum >> 8;
        }
        let mut k = i + b.len();
        while carry > 0 {
            let slot = product.get_mut(k)?;
            let sum = *slot + carry;
            *slot = sum & 0xff;
            carry = sum >> 8;
            k += 1;
        }
    }
    let bytes: Vec<u8> = product
        .iter()
        .rev()
        .map(|v| u8::try_from(*v).unwrap_or(u8::MAX))
        .skip_while(|b| *b == 0)
        .collect();
    (bytes.len() <= 32).then_some(bytes)
}

/// Wei as the app shows ether: the decimal point 18 digits from the right, trailing zeros of
/// the fraction (and a bare point) dropped, then a space and the ticker.
pub(super) fn ether(wei: &[u8], ticker: &str) -> String {
    let digits = decimal(wei);
    let shown = if digits == "0" {
        digits
    } else {
        let padded = format!("{digits:0>width$}", width = WEI_DECIMALS + 1);
        let (whole, fraction) = padded.split_at(padded.len() - WEI_DECIMALS);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            whole.to_owned()
        } else {
            format!("{whole}.{fraction}")
        }
    };
    format!("{shown} {ticker}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_like_the_app_snapshots() {
        // 0.31415 ether and 13 gwei × 21000 gas: the Nano S Plus snapshots of the app's own
        // `test_sign_simple` show "0.31415 ETH" and "0.000273 ETH".
        let amount = 314_150_000_000_000_000u64.to_be_bytes();
        assert_eq!(ether(&amount, "ETH"), "0.31415 ETH");
        let fee = mul_256(&13_000_000_000u64.to_be_bytes(), &21000u32.to_be_bytes()).unwrap();
        assert_eq!(ether(&fee, "ETH"), "0.000273 ETH");
        assert_eq!(ether(&[], "ETH"), "0 ETH");
        assert_eq!(
            ether(&1_000_000_000_000_000_000u64.to_be_bytes(), "BNB"),
            "1 BNB"
        );
        assert_eq!(decimal(&[0xff; 32]).len(), 78);
        assert_eq!(mul_256(&[0xff; 32], &[2]), None);
        assert_eq!(network_name(112233445566), "112233445566");
        assert_eq!(ticker(112233445566), "???");
    }
}
