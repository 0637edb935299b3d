//! Internally tagged enums (`{"action": "accept", "line": "7"}`) read so that a fault in a
//! variant's field is located at that field.
//!
//! serde's derive (`#[serde(tag = "…")]`) reads the whole object into a buffer before it knows
//! the variant, and the variant's fields from that buffer, where a deserializer that follows
//! the path cannot see: axum's `Json` (through `serde_path_to_error`) answered `"line": 5` with
//! `action: invalid type …`, not `action.line: …`. [`deserialize`] reads the tag, then the
//! variant's fields straight from the deserializer, through the enum's externally tagged form
//! ([`InternallyTagged::deserialize_external`], a `#[serde(remote = "…")]` twin of the enum).
//!
//! Fields written before the tag are read before the variant is known: they are held as JSON
//! values, and a fault in one is located at the enum, with the field named in the message
//! (`action: line: invalid type …`). What is accepted and refused is otherwise the derive's
//! (unknown variant, unknown field, missing field, duplicate tag), except that a unit variant
//! refuses fields (`{"action": "pay_and_close", "line": "3"}`), which the derive ignored.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, VariantAccess,
    Visitor,
};
use serde_json::Value;

/// An enum written as one object, its variant named by the field [`InternallyTagged::TAG`].
pub(crate) trait InternallyTagged: Sized {
    /// The field naming the variant (`action`).
    const TAG: &'static str;
    /// The enum's name, for messages.
    const NAME: &'static str;
    /// Reads the enum from a deserializer of its externally tagged form
    /// (`{"accept": {"line": "7"}}`).
    fn deserialize_external<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// Reads `T` from its internally tagged form, each field of the variant from `deserializer`.
pub(crate) fn deserialize<'de, T: InternallyTagged, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(Tagged(PhantomData))
}

struct Tagged<T>(PhantomData<T>);

impl<'de, T: InternallyTagged> Visitor<'de> for Tagged<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "internally tagged enum {}", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut before = Vec::new();
        let variant = loop {
            let Some(key) = map.next_key::<String>()? else {
                return Err(de::Error::missing_field(T::TAG));
            };
            if key == T::TAG {
                break map.next_value_seed(VariantName(variants::<T>()))?;
            }
            before.push((key, map.next_value::<Value>()?));
        };
        T::deserialize_external(Variant {
            name: variant,
            fields: Fields {
                before: before.into_iter(),
                held: None,
                map,
                tag: T::TAG,
            },
        })
    }
}

/// The tag's value: one of the variants' names, refused where it is written otherwise.
struct VariantName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for VariantName {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        let name = String::deserialize(deserializer)?;
        if self.0.contains(&name.as_str()) {
            Ok(name)
        } else {
            Err(de::Error::unknown_variant(&name, self.0))
        }
    }
}

/// The names of `T`'s variants, as its externally tagged derive hands them to
/// `deserialize_enum`.
fn variants<T: InternallyTagged>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not an enum"))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = variants;
            Err(de::Error::custom("only its variants were asked for"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
            ignored_any
        }
    }

    let mut variants: &'static [&'static str] = &[];
    let _ = T::deserialize_external(Probe(&mut variants));
    variants
}

/// The externally tagged form of what was read: the variant's name, then its fields.
struct Variant<A> {
    name: String,
    fields: Fields<A>,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Variant<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Variant<A> {
    type Error = A::Error;
    type Variant = Fields<A>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Fields<A>), A::Error> {
        let name: de::value::StringDeserializer<A::Error> = self.name.into_deserializer();
        Ok((seed.deserialize(name)?, self.fields))
    }
}

/// The variant's fields: those held from before the tag, then the rest of the object, read
/// from the deserializer itself.
struct Fields<A> {
    before: std::vec::IntoIter<(String, Value)>,
    held: Option<(String, Value)>,
    map: A,
    tag: &'static str,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Fields<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let key = match self.before.next() {
            Some((key, value)) => {
                self.held = Some((key.clone(), value));
                key
            }
            None => match self.map.next_key::<String>()? {
                Some(key) if key == self.tag => return Err(de::Error::duplicate_field(self.tag)),
                Some(key) => key,
                None => return Ok(None),
            },
        };
        let key: de::value::StringDeserializer<A::Error> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.held.take() {
            Some((key, value)) => seed
                .deserialize(value)
                .map_err(|e| de::Error::custom(format_args!("{key}: {e}"))),
            None => self.map.next_value_seed(seed),
        }
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Fields<A> {
    type Error = A::Error;

    fn unit_variant(mut self) -> Result<(), A::Error> {
        match self.next_key::<String>()? {
            Some(key) => Err(de::Error::unknown_field(&key, &[])),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        seed.deserialize(de::value::MapAccessDeserializer::new(self))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, A::Error> {
        Err(de::Error::invalid_type(de::Unexpected::Map, &visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }
}
