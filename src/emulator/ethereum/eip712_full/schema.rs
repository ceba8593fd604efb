//! The struct definitions the host sent, and what EIP-712 derives from them: `encodeType` and
//! `typeHash`.

use firmware_msgs::eth::{Eip712Base, Eip712FieldDef};
use firmware_msgs::StatusWord;
use sha3::{Digest, Keccak256};

/// One struct as defined by INS `1A`.
pub(super) struct StructDef {
    pub(super) name: String,
    pub(super) fields: Vec<Eip712FieldDef>,
}

/// The definitions, in the order received.
#[derive(Default)]
pub(super) struct Schema {
    structs: Vec<StructDef>,
}

impl Schema {
    pub(super) fn add_struct(&mut self, name: String) {
        self.structs.push(StructDef {
            name,
            fields: Vec::new(),
        });
    }

    /// Adds a field to the last struct named; a field before any struct name is 6A80, as in
    /// the app (`set_struct_field`).
    pub(super) fn add_field(&mut self, field: Eip712FieldDef) -> Result<(), StatusWord> {
        let last = self.structs.last_mut().ok_or(StatusWord::IncorrectData)?;
        last.fields.push(field);
        Ok(())
    }

    /// The struct of that name (6A80 if none, like the app's `get_structn`).
    pub(super) fn get(&self, name: &str) -> Result<&StructDef, StatusWord> {
        self.structs
            .iter()
            .find(|s| s.name == name)
            .ok_or(StatusWord::IncorrectData)
    }

    /// `keccak256(encodeType(name))`.
    pub(super) fn type_hash(&self, name: &str) -> Result<[u8; 32], StatusWord> {
        Ok(Keccak256::digest(self.encode_type(name)?.as_bytes()).into())
    }

    /// EIP-712's `encodeType`: the struct, then the structs it references (directly or not),
    /// sorted by name.
    pub(super) fn encode_type(&self, name: &str) -> Result<String, StatusWord> {
        let mut referenced: Vec<String> = Vec::new();
        let mut pending = vec![name.to_owned()];
        while let Some(next) = pending.pop() {
            for field in &self.get(&next)?.fields {
                if let Eip712Base::Custom(custom) = &field.base {
                    if custom != name && !referenced.contains(custom) {
                        referenced.push(custom.clone());
                        pending.push(custom.clone());
                    }
                }
            }
        }
        referenced.sort();
        let mut out = self.struct_type(name)?;
        for custom in &referenced {
            out.push_str(&self.struct_type(custom)?);
        }
        Ok(out)
    }

    /// `Name(type1 key1,type2 key2)`.
    fn struct_type(&self, name: &str) -> Result<String, StatusWord> {
        let fields = self
            .get(name)?
            .fields
            .iter()
            .map(|f| Ok(format!("{} {}", type_name(f)?, f.key)))
            .collect::<Result<Vec<_>, StatusWord>>()?;
        Ok(format!("{name}({})", fields.join(",")))
    }
}

/// The field's type as EIP-712 writes it (`uint256`, `Person[]`, `bytes4[2][]`); 6A80 for a
/// type the app has no name for (`get_struct_field_sol_typename`).
pub(super) fn type_name(field: &Eip712FieldDef) -> Result<String, StatusWord> {
    let base = match &field.base {
        Eip712Base::Custom(name) => name.clone(),
        Eip712Base::Int(bytes) => format!("int{}", u16::from(*bytes) * 8),
        Eip712Base::Uint(bytes) => format!("uint{}", u16::from(*bytes) * 8),
        Eip712Base::Address => "address".to_owned(),
        Eip712Base::Bool => "bool".to_owned(),
        Eip712Base::String => "string".to_owned(),
        Eip712Base::FixedBytes(n) => format!("bytes{n}"),
        Eip712Base::Bytes => "bytes".to_owned(),
        _ => return Err(StatusWord::IncorrectData),
    };
    let levels: String = field
        .levels
        .iter()
        .map(|level| level.map_or_else(|| "[]".to_owned(), |n| format!("[{n}]")))
        .collect();
    Ok(base + &levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_example_encode_type() {
        // EIP-712's example: `Mail(Person from,Person to,string contents)Person(...)`.
        let mut schema = Schema::default();
        for (name, fields) in [
            (
                "Mail",
                &[("from", "Person"), ("to", "Person"), ("contents", "string")][..],
            ),
            ("Person", &[("name", "string"), ("wallet", "address")][..]),
        ] {
            schema.add_struct(name.to_owned());
            for (key, ty) in fields {
                schema
                    .add_field(Eip712FieldDef::from_type(key, ty).unwrap())
                    .unwrap();
            }
        }
        assert_eq!(
            schema.encode_type("Mail").unwrap(),
            "Mail(Person from,Person to,string contents)Person(string name,address wallet)"
        );
        // EIP-712 publishes this typeHash for Mail.
        assert_eq!(
            hex::encode(schema.type_hash("Mail").unwrap()),
            "a0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2"
        );
        assert_eq!(schema.get("Nobody").err(), Some(StatusWord::IncorrectData));
    }
}
