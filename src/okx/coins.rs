//! The coin table: which rule verifies a coin (or network) name of an OKX file.
//!
//! Names and families follow OKX's `common/coin.go` (`PorCoinTypeMap`,
//! `PorCoinAddressTypeMap`). Where OKX checks a signature without tying the key to the
//! address, the family says so and the row fails here (see [`Ed25519Address::SignatureOnly`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::utxo::{self, UtxoParams};

/// How an EVM-family address is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvmAddress {
    /// `0x` + 40 hex digits.
    Hex,
    /// Filecoin EVM: `0x…` or the delegated `f410f…` form.
    Filecoin,
    /// PlatON: bech32 `lat1…` of the 20-byte account.
    PlatOn,
}

/// How an "OKX ECDSA" chain derives its address from the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcdsaAddress {
    /// `0x…` Ethereum account, or OKT's `ex1…` bech32 of it.
    EthOrEx,
    /// bech32(hrp, RIPEMD160(SHA256(compressed key))).
    Cosmos(&'static str),
    /// bech32(hrp, keccak account): Injective, Harmony.
    KeccakBech32(&'static str),
    FilecoinF1,
    Elf,
    Icon,
    Ripple,
}

/// How an Ed25519 chain derives its address from the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ed25519Address {
    Solana,
    Aptos,
    Sui,
    Substrate(u16),
    Stellar,
    Cardano,
    /// TON: wallet v3r2 or highload v3 contract of the key.
    Ton,
    /// NEAR: implicit accounts are the key in hex; named accounts are not derived from keys.
    Near,
    /// The address is not derived from the key (or porsign does not derive it yet): the
    /// signature can be checked, the ownership of the address cannot.
    SignatureOnly(&'static str),
}

/// The verification rule of a coin.
#[derive(Clone, Copy, Debug)]
pub enum Family {
    Utxo(&'static UtxoParams),
    Evm(EvmAddress),
    Tron,
    OkxEcdsa(EcdsaAddress),
    Ed25519(Ed25519Address),
    Eos,
    Unsupported(&'static str),
}

const EVM: &[&str] = &[
    "ETH",
    "ETH-ARBITRUM",
    "ETH-OPTIMISM",
    "USDT-ERC20",
    "USDG-ERC20",
    "USDT-POLY",
    "USDT-AVAXC",
    "USDT-ARBITRUM",
    "USDT-OPTIMISM",
    "USDC",
    "POLY-USDC",
    "USDC-AVAXC",
    "USDC-ARBITRUM",
    "USDC-OPTIMISM",
    "ETC",
    "BABYDOGE-BSC",
    "SHIB",
    "UNI",
    "LINK",
    "ETHW",
    "BLUR",
    "MATIC",
    "PEOPLE",
    "OKB",
    "OPTIMISM",
    "ETH-LINEA",
    "BASE",
    "ETH-BASE",
    "ETH-ZKSYNC2",
    "OKB-X1",
    "OKB-X1-ETH",
    "OKB-X1-USDT",
    "OKB-X1-USDC",
    "POLY-USDC-3359",
    "USDC-OPTIMISM-FF85",
    "USDC-ARBITRUM-NATIVE",
    "USDC-BASE",
    "ZKSYNC2",
    "CORE",
    "BERA",
    "ARBITRUM",
    "ETH_ARBITRUM",
    "ETH_OPTIMISM",
    "ETH_UNICHAIN",
    "XLAYER",
    "USDG-XLAYER",
    "AVAXC",
    "POLYGON",
    "UNICHAIN",
    "CFX_EVM",
    "BSC",
    "STORY",
    "ETH_LINEA",
    "MERLIN_BTC",
    "CHZ",
    "RONIN",
    "KAIA",
    "ACE",
    "MOONBEAM",
    "METIS",
    "FLR",
    "MOVR",
    "SCROLL",
    "THETA",
    "SONIC",
    "CELO",
    "G",
    "SOPHON",
    "MERLIN",
    "OASYS",
    "ZETA",
    "BNB_BSC",
    "OKB_X1",
    "OKB_X1_TEST",
    "POLY_OPERA",
    "METIS_MAINNET",
    "FLARE",
    "KLAY",
    "G_GRAVITY",
    "GLRM",
    "CHILIZ",
    "IP_STORY",
    "S_SONIC",
    "ETH_LSK",
    "FTM_OPERA",
    "RON",
    "CRONOS",
    "OAS",
    "MXC_MXC",
    "XPL",
    "SEI_EVM",
    "MONAD",
    "HYPEREVM",
    "GUSDT_STABLE",
    "ETH_KATANA",
    "FRAX_EVM",
    "ABSTRACT",
    "CTXC",
    "ACE_MAIN",
    "ETH_WORLD",
    "SENTIENT",
    "ETH_MEGA",
    "ETH_ZKSYNC",
    "POLYGON_ZKEVM",
    "PLS",
    "OP_BNB",
    "HT_HECO",
    "ETH_BLAST",
    "APE_APECHAIN",
    "MANTA2",
    "TAIKO",
    "KCC",
    "ISLM",
    "HOO",
    "FITFI_STEP",
    "FAN",
    "ASTR_ASTAREVM",
    "ARBITRUM_NOVA",
    "TFUEL",
    "YOU",
    "XETA",
    "WTC",
    "WEMIX3",
    "TRUE",
    "OMN",
    "LINKEYE",
    "INT_NEW",
    "FSN",
    "EVMOS",
    "CMT",
    "AAC_NEW",
    "ETHF",
    "ETH_MODE",
    "STC_EVM",
    "OVER",
    "DYM",
    "WIN",
    "VNT",
    "LTK",
    "IOTX",
    "DYM_TEST",
];

const OKC_TOKENS: &[&str] = &[
    "OKB-OKC20",
    "LTCK-OKC20",
    "FILK-OKC20",
    "USDC-OKC20",
    "SHIBK-KIP20",
    "DOTK-OKC20",
    "ETCK-KIP20",
    "XRPK-KIP20",
    "UNIK-OKC20",
    "BCHK-KIP20",
    "BABYDOGE-KIP20",
    "LINKK-OKC20",
    "TRXK-KIP20",
    "OKT",
    "USDT-OKC20",
    "ETHK-OKC20",
    "OKC",
];

const SIGNATURE_ONLY: &str =
    "the chain's account is not derived from the key, so the key cannot be bound to it offline";

fn table() -> &'static HashMap<&'static str, Family> {
    static TABLE: OnceLock<HashMap<&'static str, Family>> = OnceLock::new();
    TABLE.get_or_init(build)
}

fn build() -> HashMap<&'static str, Family> {
    use Ed25519Address as Ed;
    use Family::*;
    let mut t: HashMap<&'static str, Family> = HashMap::new();
    for name in EVM {
        t.insert(name, Evm(EvmAddress::Hex));
    }
    for name in ["FIL-EVM", "FEVM", "FIL_EVM"] {
        t.insert(name, Evm(EvmAddress::Filecoin));
    }
    t.insert("LAT", Evm(EvmAddress::PlatOn));
    let utxo: [(&str, &'static UtxoParams); 19] = [
        ("BTC", &utxo::BTC),
        ("USDT-OMNI", &utxo::BTC),
        ("USDT", &utxo::BTC),
        ("BSV", &utxo::BTC),
        ("BCHSV", &utxo::BTC),
        ("BCD", &utxo::BCD),
        ("BCHN", &utxo::BCH),
        ("BCH", &utxo::BCH),
        ("BCHA", &utxo::XEC),
        ("XEC", &utxo::XEC),
        ("LTC", &utxo::LTC),
        ("DOGE", &utxo::DOGE),
        ("DASH", &utxo::DASH),
        ("BTG", &utxo::BTG),
        ("DGB", &utxo::DGB),
        ("QTUM", &utxo::QTUM),
        ("RVN", &utxo::RVN),
        ("ZEC", &utxo::ZEC),
        ("ZCASH", &utxo::ZEC),
    ];
    for (name, params) in utxo {
        t.insert(name, Utxo(params));
    }
    // OKX checks ZEN and DCR against Bitcoin's address parameters, which their addresses never
    // decode under (and OKX then passes the row). Their own encodings are not implemented here.
    t.insert(
        "ZEN",
        Unsupported("horizen addresses (zn…/zs…) are not decoded by porsign"),
    );
    t.insert(
        "DCR",
        Unsupported("decred addresses and message signing (blake256) are not implemented"),
    );
    for name in ["USDT-TRC20", "USDC-TRC", "TRX", "TRON"] {
        t.insert(name, Tron);
    }
    for name in OKC_TOKENS {
        t.insert(name, OkxEcdsa(EcdsaAddress::EthOrEx));
    }
    let ecdsa: [(&str, EcdsaAddress); 15] = [
        ("FIL", EcdsaAddress::FilecoinF1),
        ("ELF", EcdsaAddress::Elf),
        ("LUNC", EcdsaAddress::Cosmos("terra")),
        ("TERRA", EcdsaAddress::Cosmos("terra")),
        ("LUNA_TERRA", EcdsaAddress::Cosmos("terra")),
        ("ATOM", EcdsaAddress::Cosmos("cosmos")),
        ("TIA", EcdsaAddress::Cosmos("celestia")),
        ("CRO", EcdsaAddress::Cosmos("cro")),
        ("DORA", EcdsaAddress::Cosmos("dora")),
        ("DYDX", EcdsaAddress::Cosmos("dydx")),
        ("INJ", EcdsaAddress::KeccakBech32("inj")),
        ("ONE", EcdsaAddress::KeccakBech32("one")),
        ("HARMONY_ONE", EcdsaAddress::KeccakBech32("one")),
        ("ICX", EcdsaAddress::Icon),
        ("XRP", EcdsaAddress::Ripple),
    ];
    for (name, a) in ecdsa {
        t.insert(name, OkxEcdsa(a));
    }
    t.insert("RIPPLE", OkxEcdsa(EcdsaAddress::Ripple));
    t.insert(
        "CFX",
        Unsupported("conflux base32 addresses (cfx:…) are not implemented"),
    );
    t.insert(
        "STX",
        Unsupported("stacks c32check addresses are not implemented"),
    );
    t.insert(
        "NULS",
        Unsupported("okx has no address rule for it (its own verifier always fails it)"),
    );
    t.insert(
        "FLOW",
        Unsupported("flow account addresses are not derived from keys"),
    );
    let ed: [(&str, Ed); 41] = [
        ("SOL", Ed::Solana),
        ("USDC-SPL", Ed::Solana),
        ("USDT-SPL", Ed::Solana),
        ("USDG", Ed::Solana),
        ("FOGO", Ed::Solana),
        ("APTOS", Ed::Aptos),
        ("APTOS-FA", Ed::Aptos),
        ("USDT-APTOS", Ed::Aptos),
        ("USDC-APTOS", Ed::Aptos),
        ("APT", Ed::Aptos),
        ("SUI", Ed::Sui),
        ("USDC-SUI", Ed::Sui),
        ("DOT", Ed::Substrate(0)),
        ("ASSET-HUB", Ed::Substrate(0)),
        ("ASSET_HUB", Ed::Substrate(0)),
        ("ASSET_HUB_KSM", Ed::Substrate(2)),
        ("KSM", Ed::Substrate(2)),
        ("ENJIN", Ed::Substrate(2135)),
        ("PHA_KHA", Ed::Substrate(30)),
        ("PHALA", Ed::Substrate(30)),
        ("CLV", Ed::Substrate(42)),
        ("AVAIL", Ed::Substrate(42)),
        ("SDN", Ed::Substrate(5)),
        ("CFG_DOT", Ed::Substrate(36)),
        ("EFI_DOT", Ed::Substrate(1110)),
        ("KARU", Ed::Substrate(8)),
        ("XLM", Ed::Stellar),
        ("PI", Ed::Stellar),
        ("STELLAR", Ed::Stellar),
        ("ADA", Ed::Cardano),
        ("NEAR", Ed::Near),
        ("TON", Ed::Ton),
        ("TONCOIN-NEW", Ed::Ton),
        ("TONCOIN_NEW", Ed::Ton),
        ("USDT-TON", Ed::Ton),
        (
            "VENOM",
            Ed::SignatureOnly("venom wallet addresses are not derived by porsign"),
        ),
        ("HBAR", Ed::SignatureOnly(SIGNATURE_ONLY)),
        ("HEDERA", Ed::SignatureOnly(SIGNATURE_ONLY)),
        (
            "ICP",
            Ed::SignatureOnly("icp principals are not derived by porsign"),
        ),
        (
            "ACA",
            Ed::SignatureOnly("okx has no address rule for acala"),
        ),
        (
            "LSK",
            Ed::SignatureOnly("lisk addresses are not derived by porsign"),
        ),
    ];
    for (name, a) in ed {
        t.insert(name, Ed25519(a));
    }
    for name in [
        "SC",
        "IOTA",
        "CSPR",
        "TEZOS",
        "KDA",
        "EGLD",
        "ENJ",
        "ALGO",
        "ASTR",
        "IOST",
        "ERD",
        "IOTA_STARDUST",
        "IOTA_NEW",
        "CC_CANTON",
        "XTZ",
        "KLY",
        "POKT",
    ] {
        t.insert(
            name,
            Ed25519(Ed::SignatureOnly(
                "okx checks only the signature for this chain; porsign does not derive its addresses",
            )),
        );
    }
    for name in ["EOS", "A", "VAULTA", "WAX", "WAXP"] {
        t.insert(name, Eos);
    }
    for name in ["STARKNET-ETH", "STARKNET", "STARK"] {
        t.insert(
            name,
            Unsupported("stark-curve (snip-12) signatures are not implemented"),
        );
    }
    t.insert(
        "BETH",
        Unsupported("bls12-381 signatures are not implemented"),
    );
    t.insert(
        "USDT-ALGO",
        Unsupported("okx has no verifier for it either (it skips the coin)"),
    );
    t
}

/// The rule for a coin or network name (case-insensitive, as OKX upper-cases it). None for a
/// name porsign does not know.
pub fn lookup(name: &str) -> Option<Family> {
    let t = table();
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return t.get(name).copied();
    }
    let mut buf = [0u8; 64];
    let upper = buf.get_mut(..name.len())?;
    upper.copy_from_slice(name.as_bytes());
    upper.make_ascii_uppercase();
    std::str::from_utf8(upper)
        .ok()
        .and_then(|u| t.get(u).copied())
}

/// Decimals of a coin's base unit, for the 2022 layout whose amounts are integers in base
/// units (satoshi, wei, sun). None where porsign does not know the unit.
pub fn decimals(coin: &str) -> Option<u32> {
    let upper = coin.to_ascii_uppercase();
    if upper == "USDT-OMNI" {
        return Some(8);
    }
    if upper.starts_with("USDT") || upper.starts_with("USDC") {
        return Some(6);
    }
    if upper == "ETH" || upper.starts_with("ETH-") || upper.starts_with("ETH_") {
        return Some(18);
    }
    match lookup(&upper) {
        Some(Family::Utxo(_)) => Some(8),
        Some(Family::Tron) => Some(6),
        _ => None,
    }
}
