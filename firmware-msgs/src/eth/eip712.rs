//! EIP-712 in full mode: the struct definitions (INS `1A`), the struct implementations (INS
//! `1C`), the optional filtering (INS `1E`) and the final SIGN (INS `0C`, P2 = 01), both
//! directions.
//!
//! The framing follows app-ethereum 1.22.0 (`commands_712.c`, `typed_data.c`,
//! `field_hash.c`, `path.c`) and `@ledgerhq/hw-app-eth`'s `signEIP712Message`, which sends it.
//! A field definition is `TypeDesc ‖ [TypeSize | len ‖ TypeName] ‖ [levels] ‖ len ‖ KeyName`,
//! where `TypeDesc` is `array (bit 7) | has size (bit 6) | type (bits 0-3)`.

use super::*;
use crate::apdu::{ApduCommand, MAX_DATA_LEN};
use crate::path::Bip32Path;
use crate::reader::{ascii, Reader};

/// INS of EIP-712 STRUCT DEFINITION.
pub const INS_EIP712_STRUCT_DEF: u8 = 0x1a;
/// INS of EIP-712 STRUCT IMPLEMENTATION.
pub const INS_EIP712_STRUCT_IMPL: u8 = 0x1c;
/// INS of EIP-712 FILTERING.
pub const INS_EIP712_FILTERING: u8 = 0x1e;
/// P2 of a struct name (definition) or of the root struct (implementation).
pub const P2_EIP712_NAME: u8 = 0x00;
/// P2 of a field definition or of a field value.
pub const P2_EIP712_FIELD: u8 = 0xff;
/// P2 of an array size (implementation).
pub const P2_EIP712_ARRAY: u8 = 0x0f;
/// P1 of a value's last (or only) chunk.
pub const P1_EIP712_COMPLETE: u8 = 0x00;
/// P1 of a value's earlier chunks, as `hw-app-eth` sends it (the app reads any P1 but 00 so).
pub const P1_EIP712_PARTIAL: u8 = 0x01;

/// Bit 7 of `TypeDesc`: the field is an array.
const TYPEDESC_ARRAY: u8 = 0x80;
/// Bit 6 of `TypeDesc`: a `TypeSize` byte follows.
const TYPEDESC_SIZE: u8 = 0x40;
/// Bits 0-3 of `TypeDesc`: the type.
const TYPEDESC_TYPE: u8 = 0x0f;

/// A field's base type as the app numbers it (`e_type` in `typed_data.h`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Eip712Base {
    /// 0: a struct of the message, by name.
    Custom(String),
    /// 1: `intN`, with N/8 bytes.
    Int(u8),
    /// 2: `uintN`, with N/8 bytes.
    Uint(u8),
    /// 3: `address`.
    Address,
    /// 4: `bool`.
    Bool,
    /// 5: `string`.
    String,
    /// 6: `bytesN`, with N bytes.
    FixedBytes(u8),
    /// 7: `bytes`.
    Bytes,
    /// 8 to 15: no type. The app stores the definition and fails (6A80) once it needs the
    /// type's name, when the struct becomes a root.
    Unknown(u8),
}

/// One field of a struct definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eip712FieldDef {
    /// The base type.
    pub base: Eip712Base,
    /// The array levels as written left to right in the type (`uint8[2][]`: `[Some(2),
    /// None]`); `None` is a dynamic level. Empty: not an array.
    pub levels: Vec<Option<u8>>,
    /// The field's name.
    pub key: String,
}

impl Eip712FieldDef {
    /// A definition from an EIP-712 JSON type (`"uint256"`, `"Person[]"`, `"bytes32[2]"`), as
    /// `hw-app-eth` maps it; `None` for a size that does not fit the app's byte.
    pub fn from_type(key: &str, type_name: &str) -> Option<Self> {
        let (name, arrays) = type_name
            .find('[')
            .map_or((type_name, ""), |i| type_name.split_at(i));
        let mut levels = Vec::new();
        let mut rest = arrays;
        while let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']')?;
            let (size, tail) = inner.split_at(end);
            levels.push(if size.is_empty() {
                None
            } else {
                Some(size.parse().ok()?)
            });
            rest = tail.get(1..)?;
        }
        if !rest.is_empty() {
            return None;
        }
        // `None`: not this prefix; `Some(None)`: a size past the app's byte.
        let bits = |prefix: &str| -> Option<Option<u8>> {
            let digits = name.strip_prefix(prefix)?;
            if digits.is_empty() {
                return Some(Some(32));
            }
            let bits: u16 = digits.parse().ok()?;
            Some(u8::try_from(bits / 8).ok())
        };
        let base = if let Some(size) = bits("uint") {
            Eip712Base::Uint(size?)
        } else if let Some(size) = bits("int") {
            Eip712Base::Int(size?)
        } else if name == "address" {
            Eip712Base::Address
        } else if name == "bool" {
            Eip712Base::Bool
        } else if name == "string" {
            Eip712Base::String
        } else if name == "bytes" {
            Eip712Base::Bytes
        } else if let Some(n) = name.strip_prefix("bytes") {
            Eip712Base::FixedBytes(n.parse().ok()?)
        } else {
            Eip712Base::Custom(name.to_owned())
        };
        Some(Eip712FieldDef {
            base,
            levels,
            key: key.to_owned(),
        })
    }

    /// The definition's bytes (the data of INS `1A`, P2 = FF).
    pub fn encode(&self) -> Vec<u8> {
        let (kind, size) = match &self.base {
            Eip712Base::Custom(_) => (0, None),
            Eip712Base::Int(n) => (1, Some(*n)),
            Eip712Base::Uint(n) => (2, Some(*n)),
            Eip712Base::Address => (3, None),
            Eip712Base::Bool => (4, None),
            Eip712Base::String => (5, None),
            Eip712Base::FixedBytes(n) => (6, Some(*n)),
            Eip712Base::Bytes => (7, None),
            Eip712Base::Unknown(t) => (*t & TYPEDESC_TYPE, None),
        };
        let array = if self.levels.is_empty() {
            0
        } else {
            TYPEDESC_ARRAY
        };
        let sized = if size.is_some() { TYPEDESC_SIZE } else { 0 };
        let mut out = vec![array | sized | kind];
        if let Some(size) = size {
            out.push(size);
        }
        if let Eip712Base::Custom(name) = &self.base {
            push_name(&mut out, name);
        }
        if !self.levels.is_empty() {
            out.push(u8::try_from(self.levels.len()).unwrap_or(u8::MAX));
            for level in &self.levels {
                match level {
                    None => out.push(0),
                    Some(n) => out.extend_from_slice(&[1, *n]),
                }
            }
        }
        push_name(&mut out, &self.key);
        out
    }

    /// Parses a definition (device side); every length is checked as the app does (6A80).
    pub fn decode(data: &[u8]) -> Result<Self, EthError> {
        let mut r = Reader::new(data);
        let desc = r.u8("type descriptor")?;
        let kind = desc & TYPEDESC_TYPE;
        let size = if desc & TYPEDESC_SIZE != 0 {
            // A size and a custom type exclude each other (`set_struct_field`).
            if kind == 0 {
                return Err(DecodeError::InvalidValue {
                    what: "type descriptor",
                    value: u64::from(desc),
                }
                .into());
            }
            r.u8("type size")?
        } else {
            0
        };
        let base = match kind {
            0 => {
                let len = r.u8("type name length")?;
                Eip712Base::Custom(ascii(r.take(usize::from(len), "type name")?, "type name")?)
            }
            1 => Eip712Base::Int(size),
            2 => Eip712Base::Uint(size),
            3 => Eip712Base::Address,
            4 => Eip712Base::Bool,
            5 => Eip712Base::String,
            6 => Eip712Base::FixedBytes(size),
            7 => Eip712Base::Bytes,
            other => Eip712Base::Unknown(other),
        };
        let mut levels = Vec::new();
        if desc & TYPEDESC_ARRAY != 0 {
            let count = r.u8("array level count")?;
            for _ in 0..count {
                levels.push(match r.u8("array level type")? {
                    0 => None,
                    1 => Some(r.u8("array level size")?),
                    other => {
                        return Err(DecodeError::InvalidValue {
                            what: "array level type",
                            value: u64::from(other),
                        }
                        .into())
                    }
                });
            }
        }
        let len = r.u8("key name length")?;
        let key = ascii(r.take(usize::from(len), "key name")?, "key name")?;
        r.finish("field definition")?;
        Ok(Eip712FieldDef { base, levels, key })
    }
}

/// `len ‖ name`, the name cut at 255 bytes (the app's length is one byte).
fn push_name(out: &mut Vec<u8>, name: &str) {
    let bytes = name.as_bytes();
    let bytes = bytes.get(..usize::from(u8::MAX)).unwrap_or(bytes);
    out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(bytes);
}

/// An EIP-712 full-mode command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Eip712Command {
    /// `1A`, P2 = 00: a new struct definition starts.
    StructName(String),
    /// `1A`, P2 = FF: a field of the last struct named.
    StructField(Eip712FieldDef),
    /// `1C`, P2 = 00: the values of this struct follow (`EIP712Domain`, then the primary
    /// type).
    Root(String),
    /// `1C`, P2 = 0F: the next array's number of elements.
    ArraySize(u8),
    /// `1C`, P2 = FF: a chunk of a field value; the first starts with the value's length (u16
    /// BE). `partial`: more chunks follow (P1 ≠ 00).
    FieldValue {
        /// More chunks follow.
        partial: bool,
        /// The chunk.
        data: Vec<u8>,
    },
    /// `1E`: filtering, not modelled beyond its framing.
    Filtering {
        /// P1.
        p1: u8,
        /// P2 (00: activate).
        p2: u8,
        /// The data.
        data: Vec<u8>,
    },
    /// `0C`, P2 = 01: sign what was sent, with this key.
    Sign(Bip32Path),
}

impl Eip712Command {
    /// The APDU (host side).
    pub fn encode(&self) -> Result<ApduCommand, EthError> {
        let (ins, p1, p2, data) = match self {
            Self::StructName(name) => (
                INS_EIP712_STRUCT_DEF,
                0,
                P2_EIP712_NAME,
                name.as_bytes().to_vec(),
            ),
            Self::StructField(def) => (INS_EIP712_STRUCT_DEF, 0, P2_EIP712_FIELD, def.encode()),
            Self::Root(name) => (
                INS_EIP712_STRUCT_IMPL,
                0,
                P2_EIP712_NAME,
                name.as_bytes().to_vec(),
            ),
            Self::ArraySize(n) => (INS_EIP712_STRUCT_IMPL, 0, P2_EIP712_ARRAY, vec![*n]),
            Self::FieldValue { partial, data } => (
                INS_EIP712_STRUCT_IMPL,
                if *partial {
                    P1_EIP712_PARTIAL
                } else {
                    P1_EIP712_COMPLETE
                },
                P2_EIP712_FIELD,
                data.clone(),
            ),
            Self::Filtering { p1, p2, data } => (INS_EIP712_FILTERING, *p1, *p2, data.clone()),
            Self::Sign(path) => (INS_SIGN_EIP712, 0, P2_EIP712_FULL, path.encode()),
        };
        Ok(ApduCommand::new(CLA_ETHEREUM, ins, p1, p2, data)?)
    }

    /// Parses an APDU of INS `1A`, `1C`, `1E` or (`0C`, P2 = 01) (device side); `None` for
    /// other instructions.
    pub fn decode(apdu: &ApduCommand) -> Option<Result<Self, EthError>> {
        let (ins, p1, p2, data) = (apdu.ins(), apdu.p1(), apdu.p2(), apdu.data());
        let name = |what| ascii(data, what).map_err(EthError::from);
        let command = match (ins, p2) {
            (INS_EIP712_STRUCT_DEF, P2_EIP712_NAME) => name("struct name").map(Self::StructName),
            (INS_EIP712_STRUCT_DEF, P2_EIP712_FIELD) => {
                Eip712FieldDef::decode(data).map(Self::StructField)
            }
            (INS_EIP712_STRUCT_IMPL, P2_EIP712_NAME) => name("root struct").map(Self::Root),
            (INS_EIP712_STRUCT_IMPL, P2_EIP712_ARRAY) => match data {
                [n] => Ok(Self::ArraySize(*n)),
                _ => Err(DecodeError::InvalidValue {
                    what: "array size length",
                    value: u64::try_from(data.len()).unwrap_or(u64::MAX),
                }
                .into()),
            },
            (INS_EIP712_STRUCT_IMPL, P2_EIP712_FIELD) => Ok(Self::FieldValue {
                partial: p1 != P1_EIP712_COMPLETE,
                data: data.to_vec(),
            }),
            (INS_EIP712_STRUCT_DEF | INS_EIP712_STRUCT_IMPL, _) => {
                Err(EthError::WrongP1P2 { p1, p2 })
            }
            (INS_EIP712_FILTERING, _) => Ok(Self::Filtering {
                p1,
                p2,
                data: data.to_vec(),
            }),
            // The app reads the path and ignores what follows it.
            (INS_SIGN_EIP712, P2_EIP712_FULL) if p1 == 0 => Bip32Path::decode_prefix(data)
                .map(|(path, _)| Self::Sign(path))
                .map_err(EthError::from),
            _ => return None,
        };
        Some(command)
    }
}

/// The APDUs of one field value (host side): `len (u16 BE) ‖ value` cut into 255-byte
/// chunks, P1 = 01 for all but the last, as `hw-app-eth` sends them.
pub fn eip712_field_value(value: &[u8]) -> Result<Vec<ApduCommand>, EthError> {
    let len =
        u16::try_from(value.len()).map_err(|_| EthError::MessageTooLong { len: value.len() })?;
    let payload = [&len.to_be_bytes()[..], value].concat();
    let count = payload.chunks(MAX_DATA_LEN).count();
    payload
        .chunks(MAX_DATA_LEN)
        .enumerate()
        .map(|(i, chunk)| {
            Eip712Command::FieldValue {
                partial: i + 1 < count,
                data: chunk.to_vec(),
            }
            .encode()
        })
        .collect()
}

/// SIGN ETH EIP-712 in full mode (host side): the last APDU, after the values.
pub fn sign_eip712_full(path: &Bip32Path) -> Result<ApduCommand, EthError> {
    Eip712Command::Sign(path.clone()).encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_definitions_round_trip_like_hw_app_eth() {
        // `Person[] to`: custom, array, one dynamic level (hw-app-eth's `makeTypeEntryStructBuffer`).
        let def = Eip712FieldDef::from_type("to", "Person[]").unwrap();
        assert_eq!(hex::encode(def.encode()), "8006506572736f6e010002746f");
        assert_eq!(Eip712FieldDef::decode(&def.encode()).unwrap(), def);
        // `uint256 chainId`: size byte 32.
        let def = Eip712FieldDef::from_type("chainId", "uint256").unwrap();
        assert_eq!(hex::encode(def.encode()), "422007636861696e4964");
        let def = Eip712FieldDef::from_type("m", "bytes4[2][]").unwrap();
        assert_eq!(def.levels, [Some(2), None]);
        assert_eq!(Eip712FieldDef::decode(&def.encode()).unwrap(), def);
        // Truncated key name, trailing byte, custom type with a size: all refused.
        assert!(Eip712FieldDef::decode(&[0x05, 0x03, b'a']).is_err());
        assert!(Eip712FieldDef::decode(&[0x05, 0x01, b'a', 0]).is_err());
        assert!(Eip712FieldDef::decode(&[0x40, 0x01, 0x01, b'a']).is_err());
        assert_eq!(
            Eip712FieldDef::decode(&[0x0b, 0x01, b'a']).unwrap().base,
            Eip712Base::Unknown(0x0b)
        );
    }

    #[test]
    fn long_values_are_chunked_with_their_length_first() {
        let apdus = eip712_field_value(&[0xaa; 300]).unwrap();
        let [first, last] = apdus.as_slice() else {
            panic!("{} apdus", apdus.len());
        };
        assert_eq!(first.p1(), P1_EIP712_PARTIAL);
        assert!(first.data().starts_with(&[0x01, 0x2c, 0xaa]));
        assert_eq!(last.p1(), P1_EIP712_COMPLETE);
        assert_eq!(last.data().len(), 302 - 255);
    }
}
