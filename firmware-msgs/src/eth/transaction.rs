//! SIGN ETH TRANSACTION (`E0 04`): the chunks and the device's reassembly.
//!
//! The first chunk carries `path ‖ [type byte] ‖ RLP…`, later chunks more RLP; the chunks may cut
//! the RLP anywhere. The app reads it as a stream of fields, in the order of the transaction
//! type (app-ethereum 1.22.0, `eth_ustream.c`):
//!
//! - legacy (first byte `C0`–`FF`): `[nonce, gasPrice, gas, to, value, data, v, r, s]`, where
//!   `v` is the chain id (EIP-155) or empty, and `r`, `s` are empty;
//! - EIP-2930 (`01`): `[chainId, nonce, gasPrice, gas, to, value, data, accessList]`;
//! - EIP-1559 (`02`): `[chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data,
//!   accessList]`.
//!
//! It hashes every byte it reads (type byte included) up to the end of the last field and
//! ignores anything after it; the outer list's declared length is read but not enforced. A
//! transaction that ends early is not an error: the app answers `9000` and waits for more.

use super::rlp::{Cursor, Header, Read, RlpError};
use super::EthError;
use crate::path::Bip32Path;

/// The most bytes the emulator buffers for one transaction (the app streams and keeps none; a
/// bound keeps a host from growing the buffer without end).
const MAX_TX_BYTES: usize = 1 << 20;

/// The EIP-2718 transaction types the app signs here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxType {
    /// No type byte; the RLP list starts at once.
    Legacy,
    /// Type `01`: access list, gas price.
    Eip2930,
    /// Type `02`: access list, priority fee and max fee.
    Eip1559,
}

impl TxType {
    /// The type byte that precedes the RLP (none for legacy).
    pub fn type_byte(self) -> Option<u8> {
        match self {
            TxType::Legacy => None,
            TxType::Eip2930 => Some(0x01),
            TxType::Eip1559 => Some(0x02),
        }
    }
}

/// One SIGN ETH TRANSACTION APDU (P2 = 00, the plain signing mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionChunk {
    /// P1 = 00: `path ‖ the first transaction bytes`.
    First {
        /// The signing key.
        path: Bip32Path,
        /// Transaction bytes in this APDU (type byte, RLP).
        data: Vec<u8>,
    },
    /// P1 = 80: more transaction bytes.
    More {
        /// Transaction bytes in this APDU.
        data: Vec<u8>,
    },
}

/// A transaction as the app reads it. Integers are big-endian bytes as sent (no leading-zero
/// rule is enforced, like the app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthTransaction {
    /// Its type.
    pub tx_type: TxType,
    /// Typed transactions: the chain id field; legacy: the `v` field (empty before EIP-155).
    pub chain_id: Vec<u8>,
    /// The nonce.
    pub nonce: Vec<u8>,
    /// Gas price (EIP-1559: the max fee per gas, which the fee screen uses).
    pub gas_price: Vec<u8>,
    /// Gas limit.
    pub gas_limit: Vec<u8>,
    /// Recipient (20 bytes), empty for a contract creation.
    pub to: Vec<u8>,
    /// Value in wei.
    pub value: Vec<u8>,
    /// Call data.
    pub data: Vec<u8>,
    /// What the app hashes and signs: the type byte and the RLP up to the end of the last field.
    pub signed_bytes: Vec<u8>,
}

/// What a chunk led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxStep {
    /// More bytes are needed (answer `9000`). `to_len` and `data_len` are the lengths of the
    /// recipient and data fields once their headers have arrived: the app refuses contract data
    /// (without blind signing) as soon as it reaches the data field.
    NeedMore {
        /// Length of `to`, once read.
        to_len: Option<usize>,
        /// Length of `data`, once its header is read.
        data_len: Option<usize>,
    },
    /// The whole transaction: review and sign it.
    Complete {
        /// The signing key.
        path: Bip32Path,
        /// The transaction.
        tx: EthTransaction,
    },
}

#[derive(Debug, Clone)]
struct Pending {
    path: Bip32Path,
    tx_type: TxType,
    bytes: Vec<u8>,
}

/// Device side: collects transaction chunks until the last field is complete.
#[derive(Debug, Clone, Default)]
pub struct TransactionAssembler {
    pending: Option<Pending>,
}

impl TransactionAssembler {
    /// An idle assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets a transaction in progress (another command took over).
    pub fn reset(&mut self) {
        self.pending = None;
    }

    /// Adds a chunk. A first chunk restarts; an error ends the transaction.
    pub fn push(&mut self, chunk: TransactionChunk) -> Result<TxStep, EthError> {
        let result = self.push_inner(chunk);
        if !matches!(result, Ok(TxStep::NeedMore { .. })) {
            self.pending = None;
        }
        result
    }

    fn push_inner(&mut self, chunk: TransactionChunk) -> Result<TxStep, EthError> {
        match chunk {
            TransactionChunk::First { path, data } => {
                self.pending = None;
                let (&first, _) =
                    data.split_first()
                        .ok_or(EthError::Rlp(RlpError::ExpectedList(
                            "transaction (no bytes after the path)",
                        )))?;
                let tx_type = match first {
                    0x01 => TxType::Eip2930,
                    0x02 => TxType::Eip1559,
                    0x00..=0x7f => return Err(EthError::TxTypeNotSupported(first)),
                    _ => TxType::Legacy,
                };
                self.pending = Some(Pending {
                    path,
                    tx_type,
                    bytes: data,
                });
            }
            TransactionChunk::More { data } => {
                let pending = self.pending.as_mut().ok_or(EthError::NotAllowed)?;
                if pending.bytes.len() + data.len() > MAX_TX_BYTES {
                    return Err(EthError::Rlp(RlpError::FieldTooLong {
                        field: "transaction",
                        len: pending.bytes.len() + data.len(),
                        max: MAX_TX_BYTES,
                    }));
                }
                pending.bytes.extend_from_slice(&data);
            }
        }
        let pending = self.pending.as_ref().ok_or(EthError::NotAllowed)?;
        match parse(pending.tx_type, &pending.bytes)? {
            Parsed::Partial { to_len, data_len } => Ok(TxStep::NeedMore { to_len, data_len }),
            Parsed::Complete(tx) => Ok(TxStep::Complete {
                path: pending.path.clone(),
                tx,
            }),
        }
    }
}

enum Parsed {
    Partial {
        to_len: Option<usize>,
        data_len: Option<usize>,
    },
    Complete(EthTransaction),
}

/// How the app stores a field: a byte string of at most `max` bytes (`None`: any length),
/// a list it skips, or a byte string it discards.
#[derive(Clone, Copy)]
enum Field {
    Int(&'static str, usize),
    Bytes(&'static str, Option<usize>),
    List(&'static str),
}

const INT: usize = 32;

fn fields(tx_type: TxType) -> &'static [Field] {
    use Field::*;
    match tx_type {
        TxType::Legacy => &[
            Int("nonce", INT),
            Int("gas price", INT),
            Int("gas limit", INT),
            Bytes("to", Some(20)),
            Int("value", INT),
            Bytes("data", None),
            // `v` is 8 bytes in the app's transaction context; `r` and `s` are discarded.
            Int("v", 8),
            Bytes("r", None),
            Bytes("s", None),
        ],
        TxType::Eip2930 => &[
            Int("chain id", INT),
            Int("nonce", INT),
            Int("gas price", INT),
            Int("gas limit", INT),
            Bytes("to", Some(20)),
            Int("value", INT),
            Bytes("data", None),
            List("access list"),
        ],
        TxType::Eip1559 => &[
            Int("chain id", INT),
            Int("nonce", INT),
            Bytes("max priority fee", Some(INT)),
            Int("max fee per gas", INT),
            Int("gas limit", INT),
            Bytes("to", Some(20)),
            Int("value", INT),
            Bytes("data", None),
            List("access list"),
        ],
    }
}

/// Checks a field's header against what the app accepts there.
fn check(field: Field, h: Header) -> Result<(), RlpError> {
    let (name, max, want_list) = match field {
        Field::Int(name, max) => (name, Some(max), false),
        Field::Bytes(name, max) => (name, max, false),
        Field::List(name) => (name, None, true),
    };
    if h.list != want_list {
        return Err(if h.list {
            RlpError::UnexpectedList(name)
        } else {
            RlpError::ExpectedList(name)
        });
    }
    match max {
        Some(max) if h.payload_len > max => Err(RlpError::FieldTooLong {
            field: name,
            len: h.payload_len,
            max,
        }),
        _ => Ok(()),
    }
}

fn parse(tx_type: TxType, bytes: &[u8]) -> Result<Parsed, RlpError> {
    let rlp = match tx_type.type_byte() {
        Some(_) => bytes.get(1..).unwrap_or_default(),
        None => bytes,
    };
    let mut c = Cursor::new(rlp);
    let mut to_len = None;
    let mut data_len = None;
    let partial = |to_len, data_len| Ok(Parsed::Partial { to_len, data_len });
    match c.header()? {
        Read::More => return partial(to_len, data_len),
        Read::Done(h) if !h.list => return Err(RlpError::ExpectedList("transaction")),
        Read::Done(_) => {}
    }
    let mut values: Vec<(&'static str, Vec<u8>)> = Vec::new();
    for field in fields(tx_type) {
        let Read::Done(h) = c.header()? else {
            return partial(to_len, data_len);
        };
        check(*field, h)?;
        let name = match field {
            Field::Int(name, _) | Field::Bytes(name, _) | Field::List(name) => *name,
        };
        if name == "data" {
            data_len = Some(h.payload_len);
        }
        let Read::Done(payload) = c.payload(h) else {
            return partial(to_len, data_len);
        };
        if name == "to" {
            to_len = Some(payload.len());
        }
        values.push((name, payload.to_vec()));
    }
    let take = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let prefix = usize::from(tx_type.type_byte().is_some());
    let signed_len = prefix + c.position();
    Ok(Parsed::Complete(EthTransaction {
        tx_type,
        chain_id: match tx_type {
            TxType::Legacy => take("v"),
            _ => take("chain id"),
        },
        nonce: take("nonce"),
        gas_price: match tx_type {
            TxType::Eip1559 => take("max fee per gas"),
            _ => take("gas price"),
        },
        gas_limit: take("gas limit"),
        to: take("to"),
        value: take("value"),
        data: take("data"),
        signed_bytes: bytes.get(..signed_len).unwrap_or(bytes).to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EIP-155's example transaction (nonce 9, 20 gwei, 21000 gas, to 0x3535…, 1 ether,
    /// chain id 1), as signed: `v` = 1, `r` = `s` = empty.
    const EIP155_EXAMPLE: &str = "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080";

    fn first(hex_tx: &str) -> TransactionChunk {
        TransactionChunk::First {
            path: Bip32Path::master(),
            data: hex::decode(hex_tx).expect("hex"),
        }
    }

    #[test]
    fn eip155_example_parses_in_any_cut() {
        let bytes = hex::decode(EIP155_EXAMPLE).expect("hex");
        for cut in 1..bytes.len() {
            let mut a = TransactionAssembler::new();
            let (head, tail) = bytes.split_at(cut);
            let step = a.push(TransactionChunk::First {
                path: Bip32Path::master(),
                data: head.to_vec(),
            });
            assert!(matches!(step, Ok(TxStep::NeedMore { .. })), "cut {cut}");
            let Ok(TxStep::Complete { tx, .. }) = a.push(TransactionChunk::More {
                data: tail.to_vec(),
            }) else {
                panic!("cut {cut}: not complete");
            };
            assert_eq!(tx.signed_bytes, bytes);
            assert_eq!(tx.chain_id, [1]);
            assert_eq!(tx.nonce, [9]);
            assert_eq!(tx.to, [0x35; 20]);
            assert_eq!(hex::encode(&tx.value), "0de0b6b3a7640000");
        }
    }

    #[test]
    fn malformed_transactions_are_refused() {
        let mut a = TransactionAssembler::new();
        // A byte string where the list should be.
        assert!(matches!(a.push(first("8180")), Err(EthError::Rlp(_))));
        // `to` of 21 bytes.
        let long_to = format!("e5098504a817c80082520895{}", "35".repeat(21));
        assert!(matches!(a.push(first(&long_to)), Err(EthError::Rlp(_))));
        // A length of 5 bytes.
        assert!(matches!(a.push(first("c0bc")), Err(EthError::Rlp(_))));
        // Type 3 (blob transactions) and a later chunk with nothing started.
        assert_eq!(a.push(first("03c0")), Err(EthError::TxTypeNotSupported(3)));
        assert_eq!(
            a.push(TransactionChunk::More { data: vec![0] }),
            Err(EthError::NotAllowed)
        );
    }
}
