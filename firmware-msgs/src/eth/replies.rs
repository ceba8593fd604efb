//! Replies of the Ethereum app: addresses, `v ‖ r ‖ s` signatures and the app configuration.

use crate::error::DecodeError;
use crate::reader::{ascii, Reader};

/// GET_ADDRESS reply: `u8 65 ‖ 04‖X‖Y ‖ u8 40 ‖ hex address ‖ [32 chain code]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressReply {
    /// The uncompressed public key (65 bytes, `04 ‖ X ‖ Y`).
    pub public_key: Vec<u8>,
    /// The address as 40 hex characters, no `0x`, in the app's EIP-55 mixed case.
    pub address: String,
    /// The chain code, when requested.
    pub chain_code: Option<[u8; 32]>,
}

impl AddressReply {
    /// Reply data (device side).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for field in [self.public_key.as_slice(), self.address.as_bytes()] {
            let field = field.get(..255).unwrap_or(field);
            out.push(u8::try_from(field.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(field);
        }
        if let Some(chain_code) = &self.chain_code {
            out.extend_from_slice(chain_code);
        }
        out
    }

    /// Parses reply data (host side).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let key_len = r.u8("public key length")?;
        if key_len != 65 {
            return Err(DecodeError::InvalidValue {
                what: "public key length",
                value: u64::from(key_len),
            });
        }
        let public_key = r.take(65, "public key")?.to_vec();
        let address_len = r.u8("address length")?;
        if address_len != 40 {
            return Err(DecodeError::InvalidValue {
                what: "address length",
                value: u64::from(address_len),
            });
        }
        let address_bytes = r.take(40, "address")?;
        if !address_bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(DecodeError::NotAscii {
                what: "address (hex)",
            });
        }
        let address = ascii(address_bytes, "address")?;
        let chain_code = if r.is_empty() {
            None
        } else {
            Some(r.array("chain code")?)
        };
        r.finish("get_address reply")?;
        Ok(Self {
            public_key,
            address,
            chain_code,
        })
    }
}

/// SIGN_PERSONAL_MESSAGE reply: `v ‖ r ‖ s` (v first, 27 or 28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthSignature {
    /// `27 + recovery id`.
    pub v: u8,
    /// `r`, big-endian.
    pub r: [u8; 32],
    /// `s`, big-endian.
    pub s: [u8; 32],
}

impl EthSignature {
    /// Reply data (device side).
    pub fn encode(&self) -> Vec<u8> {
        [&[self.v][..], &self.r, &self.s].concat()
    }

    /// The usual `r ‖ s ‖ v` order of ethers/web3 signatures.
    pub fn to_rsv(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        for (dst, src) in out
            .iter_mut()
            .zip(self.r.iter().chain(&self.s).chain([&self.v]))
        {
            *dst = *src;
        }
        out
    }

    /// Parses reply data (exactly 65 bytes).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let sig = Self {
            v: r.u8("signature v")?,
            r: r.array("signature r")?,
            s: r.array("signature s")?,
        };
        r.finish("personal message signature")?;
        Ok(sig)
    }
}

/// GET_APP_CONFIGURATION reply: `flags ‖ major ‖ minor ‖ patch`, plus anything a newer app
/// appends (kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfiguration {
    /// `01` blind signing enabled, `02` ERC-20 info external, `10`/`20` transaction checks.
    pub flags: u8,
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch version.
    pub patch: u8,
    /// Bytes after the four defined ones.
    pub extra: Vec<u8>,
}

impl AppConfiguration {
    /// Reply data (device side).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.flags, self.major, self.minor, self.patch];
        out.extend_from_slice(&self.extra);
        out
    }

    /// Parses reply data (host side).
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        Ok(Self {
            flags: r.u8("app flags")?,
            major: r.u8("app major version")?,
            minor: r.u8("app minor version")?,
            patch: r.u8("app patch version")?,
            extra: r.rest().to_vec(),
        })
    }

    /// `major.minor.patch`.
    pub fn version(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.patch)
    }
}
