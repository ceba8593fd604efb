//! Which rows list the same address: the key of a row's (coin, address), for the verifier's
//! duplicate check and for `import okx`.
//!
//! The coin part is OKX's coin name as OKX reads it (upper-cased), with `-` and `_` the same
//! (OKX's table spells some networks both ways: `ETH-ARBITRUM` / `ETH_ARBITRUM`) and OKX's
//! synonyms of one chain merged (`TRON` = `TRX`, `RIPPLE` = `XRP`, ...). The address part is
//! the account the address encodes wherever one account has several spellings: letter case
//! of hex and bech32 (see `crate::address_key`), CashAddr and legacy, TON's raw, bounceable
//! and non-bounceable forms, Aptos/Sui short forms, OKT's `ex1…` and `0x…`, Filecoin's `f`/`t`
//! network letter and FIL-EVM's `0x…` / `f410f…`. Base58 (TRON, Bitcoin legacy, Solana, XRP,
//! aelf) is case-sensitive and decoded to its payload. An address that does not decode keys on
//! its canonical text (the row fails on its own anyway).
//!
//! Only the listed `address` is the key: owner columns (eoa1/eoa2) are not, because one owner
//! may legitimately control many contracts or validators; each listed address holds its own
//! balance and is counted once.

use std::borrow::Cow;

use super::address as addr;
use super::coins::{self, EcdsaAddress, Ed25519Address, EvmAddress, Family};
use super::utxo::{self, UtxoAddress};
use crate::address_key::{self, AddressKey};
use crate::scheme::EthAddress;

/// OKX's names of one chain: (synonym, the name it is merged into).
const SYNONYMS: [(&str, &str); 7] = [
    ("TRON", "TRX"),
    ("BCHN", "BCH"),
    ("RIPPLE", "XRP"),
    ("ZCASH", "ZEC"),
    ("APT", "APTOS"),
    ("BCHSV", "BSV"),
    ("HEDERA", "HBAR"),
];

/// The canonical form of a coin or network name: trimmed, upper-cased, `_` written `-`,
/// synonyms merged.
pub fn canonical_coin(name: &str) -> String {
    let upper: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '_' => '-',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    match SYNONYMS.iter().find(|(alias, _)| *alias == upper) {
        Some((_, name)) => (*name).to_owned(),
        None => upper,
    }
}

/// The namespace of a row: its coin (detail layouts) or asset and network (auditor layout).
pub fn namespace(asset: &str, network: Option<&str>) -> String {
    match network {
        Some(n) => format!("{}/{}", canonical_coin(asset), canonical_coin(n)),
        None => canonical_coin(asset),
    }
}

/// The key of (`namespace`, `address`); `rule_coin` is the name that chooses the coin's rule
/// (it decides how the address is decoded).
pub fn row_key(namespace: &str, rule_coin: &str, address: &str) -> AddressKey {
    let address = address.trim();
    let family = coins::lookup(rule_coin.trim());
    match family.and_then(|f| decoded(f, address)) {
        Some(id) => address_key::key(namespace, &id),
        None => {
            let text = address_key::canonical_text(address);
            // Tag 0: text. Decoded identities start with a non-zero tag, so the two never meet.
            let mut id = Vec::with_capacity(text.len() + 1);
            id.push(0);
            id.extend_from_slice(text.as_bytes());
            address_key::key(namespace, &id)
        }
    }
}

/// Tags of decoded identities (the first byte), so equal bytes of different kinds differ.
const ACCOUNT: u8 = 1;
const P2PKH: u8 = 2;
const P2SH: u8 = 3;
const P2WPKH: u8 = 4;
const P2WSH: u8 = 5;
const TEXT_FORM: u8 = 6;

fn tagged(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.push(tag);
    v.extend_from_slice(bytes);
    v
}

/// The 20-byte account of a `0x` address, whatever its letter case (EIP-55 or not).
fn eth(address: &str) -> Option<[u8; 20]> {
    address
        .to_ascii_lowercase()
        .parse::<EthAddress>()
        .ok()
        .map(|a| a.0)
}

/// The account `address` encodes under the coin's rule, or None where it does not decode (or
/// the rule has one spelling per account and the text is the identity).
fn decoded(family: Family, address: &str) -> Option<Vec<u8>> {
    match family {
        Family::Utxo(params) => Some(match utxo::decode_address(params, address).ok()? {
            UtxoAddress::P2pkh(h) => tagged(P2PKH, &h),
            UtxoAddress::P2sh(h) => tagged(P2SH, &h),
            UtxoAddress::P2wpkh(h) => tagged(P2WPKH, &h),
            UtxoAddress::P2wsh(h) => tagged(P2WSH, &h),
        }),
        Family::Evm(EvmAddress::Hex) => eth(address).map(|a| tagged(ACCOUNT, &a)),
        Family::Evm(EvmAddress::Filecoin) => {
            // Both spellings become the delegated form without its network letter.
            let text: Cow<'_, str> = if address.starts_with("0x") {
                Cow::Owned(addr::filecoin_f410(&eth(address)?))
            } else {
                Cow::Owned(address.to_ascii_lowercase())
            };
            filecoin_without_network(&text)
        }
        Family::Evm(EvmAddress::PlatOn) => addr::bech32_payload(address, "lat", "platon")
            .ok()
            .map(|p| tagged(ACCOUNT, &p)),
        Family::Tron => addr::tron_account(address)
            .ok()
            .map(|a| tagged(ACCOUNT, &a)),
        Family::OkxEcdsa(kind) => ecdsa(kind, address),
        Family::Ed25519(kind) => ed25519(kind, address),
        Family::Eos | Family::Unsupported(_) => None,
    }
}

/// `f1…`/`t1…`, `f410f…`/`t410f…`: the same account on Filecoin's two networks letters is
/// read as one (the verifier accepts either letter).
fn filecoin_without_network(lower: &str) -> Option<Vec<u8>> {
    let rest = lower
        .strip_prefix('f')
        .or_else(|| lower.strip_prefix('t'))?;
    Some(tagged(TEXT_FORM, rest.as_bytes()))
}

fn ecdsa(kind: EcdsaAddress, address: &str) -> Option<Vec<u8>> {
    let account = match kind {
        EcdsaAddress::EthOrEx if address.to_ascii_lowercase().starts_with("ex1") => {
            addr::bech32_payload(&address.to_ascii_lowercase(), "ex", "okt").ok()?
        }
        EcdsaAddress::EthOrEx => eth(address)?.to_vec(),
        EcdsaAddress::Cosmos(hrp) | EcdsaAddress::KeccakBech32(hrp) => {
            addr::bech32_payload(&address.to_ascii_lowercase(), hrp, "bech32").ok()?
        }
        EcdsaAddress::FilecoinF1 => return filecoin_without_network(&address.to_ascii_lowercase()),
        EcdsaAddress::Elf => addr::base58check(address, "aelf").ok()?,
        EcdsaAddress::Icon => {
            return Some(tagged(TEXT_FORM, address.to_ascii_lowercase().as_bytes()))
        }
        EcdsaAddress::Ripple => addr::ripple_account(address).ok()?.to_vec(),
    };
    Some(tagged(ACCOUNT, &account))
}

fn ed25519(kind: Ed25519Address, address: &str) -> Option<Vec<u8>> {
    let account: Vec<u8> = match kind {
        Ed25519Address::Solana => {
            let raw = bitcoin::base58::decode(address).ok()?;
            (raw.len() == 32).then_some(raw)?
        }
        Ed25519Address::Aptos | Ed25519Address::Sui => {
            addr::hex32(address, "aptos/sui").ok()?.to_vec()
        }
        Ed25519Address::Ton => addr::ton_account(address).ok()?.to_vec(),
        // One spelling per account (SS58 per network, strkey, bech32, hex, names): the
        // canonical text is the identity.
        Ed25519Address::Substrate(_)
        | Ed25519Address::Stellar
        | Ed25519Address::Cardano
        | Ed25519Address::Near
        | Ed25519Address::SignatureOnly(_) => return None,
    };
    Some(tagged(ACCOUNT, &account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coin_names_as_okx_reads_them() {
        assert_eq!(canonical_coin(" btc "), "BTC");
        assert_eq!(
            canonical_coin("ETH_ARBITRUM"),
            canonical_coin("eth-arbitrum")
        );
        assert_eq!(canonical_coin("TRON"), "TRX");
        assert_ne!(canonical_coin("ETH"), canonical_coin("ETH-ARBITRUM"));
    }

    #[test]
    fn spellings_of_one_account_share_a_key() {
        let k = |coin: &str, a: &str| row_key(&canonical_coin(coin), coin, a);
        // EVM hex case.
        assert_eq!(
            k("ETH", "0xe7d5f0677dbc8f27fe57bc8289c0450abd198533"),
            k("eth", "0xE7D5F0677DBC8F27FE57BC8289C0450ABD198533")
        );
        // Bech32 case.
        let wsh = "bc1qxmaqqg9az39uj8pxf6qckqhu2awquhlg24zg4897mv6wnj8aw97svxgu3r";
        assert_eq!(k("BTC", wsh), k("BTC", &wsh.to_ascii_uppercase()));
        // TRON base58 is case-sensitive: another case is another (invalid) string.
        let trx = "TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR";
        assert_ne!(k("TRX", trx), k("TRX", &trx.to_ascii_lowercase()));
        assert_eq!(k("TRX", trx), k("TRON", trx));
        // Aptos short and full forms.
        assert_eq!(
            k("APTOS", "0x1"),
            k(
                "APTOS",
                "0x0000000000000000000000000000000000000000000000000000000000000001"
            )
        );
        // TON: the raw form of a user-friendly address (OKX's real USDT-TON row).
        let ton = "UQB1CKrUWm7qf41Z1GeEE6AgVVj5cH6y6x1aRmWe6q4mj1fn";
        let raw = format!(
            "0:{}",
            hex::encode(addr::ton_account(ton).unwrap_or_default())
        );
        assert_eq!(k("USDT-TON", ton), k("USDT-TON", &raw));
        // Bitcoin Cash: CashAddr with and without its prefix, and legacy (the CashAddr
        // specification's test vector); BCHN is OKX's other name of the chain.
        let legacy = "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu";
        let cash = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a";
        assert_eq!(k("BCH", legacy), k("BCH", cash));
        assert_eq!(
            k("BCH", cash),
            k("BCHN", cash.trim_start_matches("bitcoincash:"))
        );
        // OKT's ex1 bech32 and 0x spellings of one account; FIL-EVM's 0x and f410f.
        let account = [0x11u8; 20];
        let hex_form = format!("0x{}", hex::encode(account));
        assert_eq!(
            k("OKT", &hex_form),
            k("OKT", &addr::bech32_encode("ex", &account))
        );
        assert_eq!(
            k("FIL-EVM", &hex_form),
            k("FIL-EVM", &addr::filecoin_f410(&account))
        );
        // Other coins, same address: different keys.
        assert_ne!(
            k("ETH", "0xe7d5f0677dbc8f27fe57bc8289c0450abd198533"),
            k("USDT-ERC20", "0xe7d5f0677dbc8f27fe57bc8289c0450abd198533")
        );
    }
}
