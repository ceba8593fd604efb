//! The walk through a root struct's fields in definition order, as the app follows it (the
//! APDUs do not say which field a value is for): each value or array size goes to the next
//! field, nested structs open without an APDU, and every struct or array closes into its hash.

use firmware_msgs::eth::{Eip712Base, Eip712FieldDef};
use firmware_msgs::StatusWord;
use sha3::{Digest, Keccak256};

use super::schema::Schema;

/// How deep structs and arrays may nest: bounds a struct that contains itself. The app's own
/// limit (`MAX_PATH_DEPTH`) is smaller still for most messages.
const MAX_DEPTH: usize = 16;

enum Frame {
    /// A struct: its fields, the next one's index, and `typeHash ‖ encoded fields` so far.
    Struct {
        fields: Vec<Eip712FieldDef>,
        next: usize,
        encoded: Vec<u8>,
    },
    /// An array: the element's definition, how many elements are still to come, and their
    /// encodings so far.
    Array {
        element: Eip712FieldDef,
        remaining: usize,
        encoded: Vec<u8>,
    },
}

/// What the next APDU must be.
pub(super) enum Expect<'a> {
    /// A value for this field.
    Value(&'a Eip712FieldDef),
    /// The size of this field's outermost (remaining) array level.
    ArraySize(&'a Eip712FieldDef),
    /// Nothing: the root struct is complete.
    Done,
}

pub(super) struct Walk {
    frames: Vec<Frame>,
    hash: Option<[u8; 32]>,
}

impl Walk {
    /// Starts `hashStruct(root)`.
    pub(super) fn start(schema: &Schema, root: &str) -> Result<Self, StatusWord> {
        let mut walk = Walk {
            frames: Vec::new(),
            hash: None,
        };
        walk.open_struct(schema, root)?;
        walk.settle(schema)?;
        Ok(walk)
    }

    /// `hashStruct(root)` once every field is in.
    pub(super) fn hash(&self) -> Option<[u8; 32]> {
        self.hash
    }

    pub(super) fn expect(&self) -> Expect<'_> {
        match self.current() {
            None => Expect::Done,
            Some(field) if !field.levels.is_empty() => Expect::ArraySize(field),
            Some(field) => Expect::Value(field),
        }
    }

    /// The field the next item is for.
    fn current(&self) -> Option<&Eip712FieldDef> {
        match self.frames.last()? {
            Frame::Struct { fields, next, .. } => fields.get(*next),
            Frame::Array {
                element, remaining, ..
            } => (*remaining > 0).then_some(element),
        }
    }

    /// Moves past the current item.
    fn consume(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::Struct { next, .. }) => *next += 1,
            Some(Frame::Array { remaining, .. }) => *remaining = remaining.saturating_sub(1),
            None => {}
        }
    }

    /// Appends a word to the innermost open struct or array, or ends the walk with it.
    fn feed(&mut self, word: &[u8; 32]) {
        match self.frames.last_mut() {
            Some(Frame::Struct { encoded, .. } | Frame::Array { encoded, .. }) => {
                encoded.extend_from_slice(word)
            }
            None => self.hash = Some(*word),
        }
    }

    fn open_struct(&mut self, schema: &Schema, name: &str) -> Result<(), StatusWord> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(StatusWord::IncorrectData);
        }
        let fields = schema.get(name)?.fields.clone();
        let encoded = schema.type_hash(name)?.to_vec();
        self.frames.push(Frame::Struct {
            fields,
            next: 0,
            encoded,
        });
        Ok(())
    }

    /// Closes what is complete and opens nested structs, until a value or an array size is
    /// needed (or the root is done).
    fn settle(&mut self, schema: &Schema) -> Result<(), StatusWord> {
        loop {
            let complete = match self.frames.last() {
                None => return Ok(()),
                Some(Frame::Struct { fields, next, .. }) => *next >= fields.len(),
                Some(Frame::Array { remaining, .. }) => *remaining == 0,
            };
            if complete {
                if let Some(Frame::Struct { encoded, .. } | Frame::Array { encoded, .. }) =
                    self.frames.pop()
                {
                    let hash: [u8; 32] = Keccak256::digest(&encoded).into();
                    self.feed(&hash);
                }
                continue;
            }
            let nested = match self.current() {
                Some(Eip712FieldDef {
                    base: Eip712Base::Custom(name),
                    levels,
                    ..
                }) if levels.is_empty() => name.clone(),
                _ => return Ok(()),
            };
            self.consume();
            self.open_struct(schema, &nested)?;
        }
    }

    /// An array size for the current field: its outermost level, which EIP-712 writes last
    /// (`T[2][]` is a dynamic array of `T[2]`), as the app's `check_and_add_array_depth` reads
    /// it. A fixed level must get its size (else 6A80).
    pub(super) fn array_size(&mut self, schema: &Schema, size: u8) -> Result<(), StatusWord> {
        let Expect::ArraySize(field) = self.expect() else {
            return Err(StatusWord::IncorrectData);
        };
        let mut element = field.clone();
        match element.levels.pop() {
            Some(Some(fixed)) if fixed != size => return Err(StatusWord::IncorrectData),
            _ => {}
        }
        if self.frames.len() >= MAX_DEPTH {
            return Err(StatusWord::IncorrectData);
        }
        self.consume();
        self.frames.push(Frame::Array {
            element,
            remaining: usize::from(size),
            encoded: Vec::new(),
        });
        self.settle(schema)
    }

    /// The encoded word of the current field's value.
    pub(super) fn value(&mut self, schema: &Schema, word: &[u8; 32]) -> Result<(), StatusWord> {
        if !matches!(self.expect(), Expect::Value(_)) {
            return Err(StatusWord::IncorrectData);
        }
        self.consume();
        self.feed(word);
        self.settle(schema)
    }
}
