//! Unknown fields of a JSON body, explained. Request structs refuse fields
//! they do not know (`#[serde(deny_unknown_fields)]`); serde's message only
//! lists what it expected, so the answer names the field, suggests the
//! close one (as load files do) and lists the fields the body takes.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::tokens::did_you_mean;

/// Names the rest of flowauth uses for a body field: the token view shows
/// a token's `inputs`, the command line takes `--input`.
const SYNONYMS: &[(&str, &str)] = &[("inputs", "additional"), ("input", "additional")];

/// The sentence for serde's "unknown field" error `text` about a body of
/// type `T`; `None` for any other error.
pub fn unknown_field<'de, T: Deserialize<'de>>(text: &str) -> Option<String> {
    let (_, after) = text.split_once("unknown field `")?;
    let (field, _) = after.split_once('`')?;
    let known = names::<T>();
    let synonym = SYNONYMS.iter().find(|(other, ours)| field.eq_ignore_ascii_case(other) && known.contains(ours));
    let hint = match synonym {
        Some((_, ours)) => format!(" (did you mean {ours:?}?)"),
        None => did_you_mean(field, known.iter().copied()),
    };
    Some(format!("unknown field {field:?}{hint}: this body takes {}", known.join(", ")))
}

/// The field names of a struct: serde's derive hands them to
/// `deserialize_struct`, which this deserializer catches and stops at.
fn names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(Names(&mut names));
    names
}

struct Names<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for Names<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only a struct's field names are read"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("only a struct's field names are read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Start {
        name: String,
        scopes: Vec<String>,
        additional: Option<String>,
    }

    fn refused(json: &str) -> String {
        let error = serde_json::from_str::<Start>(json).err().expect("refused");
        unknown_field::<Start>(&error.to_string()).expect("an unknown field")
    }

    #[test]
    fn names_the_field_suggests_and_lists() {
        assert_eq!(
            refused(r#"{"name": "a", "scopse": []}"#),
            r#"unknown field "scopse" (did you mean "scopes"?): this body takes name, scopes, additional"#
        );
        assert!(refused(r#"{"inputs": {}}"#).starts_with(r#"unknown field "inputs" (did you mean "additional"?)"#));
        assert!(refused(r#"{"colour": 1}"#).starts_with(r#"unknown field "colour": this body takes"#));
        assert_eq!(unknown_field::<Start>("invalid type: integer `1`, expected a string"), None);
    }
}
