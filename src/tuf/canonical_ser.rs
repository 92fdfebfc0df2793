//! A serde `Serializer` that writes canonical JSON (see `canonical`) straight into a byte
//! buffer, without building a `serde_json::Value` tree first.
//!
//! Its output is byte for byte what `to_canonical(&serde_json::to_value(x))` gives (a
//! property test checks this): object members sorted byte-wise by key (struct fields
//! included, whatever their declaration order; a repeated key keeps its last value, as a
//! `serde_json::Map` would), integers only, `None`/unit as `null`, byte strings as arrays of
//! numbers, externally tagged enum variants. Objects are written in place; only an object
//! whose keys do not arrive in order (struct fields, mostly) is re-ordered at its end.
//!
//! Must not: escape anything but `"` and `\` (that is `go_html_escape`'s job, on the wire).

use std::ops::Range;

use serde::ser::{self, Serialize};

use super::canonical::{write_int, write_string};
use super::canonical_obj::Members;

/// Why serialisation stopped (mapped to `tuf::Error::Canonical` by the caller).
#[derive(Debug)]
pub(super) struct SerError(pub &'static str);

impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        SerError("value is not JSON")
    }
}

pub(super) const FLOAT: &str = "floating point numbers are not allowed";
/// What `serde_json::to_value` failures become (keys that are not strings, huge integers).
const KEY_NOT_STRING: &str = "value is not JSON";

/// Append the canonical form of `value` to `out`.
pub(super) fn write_canonical<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), SerError> {
    value.serialize(Ser { out })
}

struct Ser<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> ser::Serializer for Ser<'a> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Obj<'a>;
    type SerializeStruct = Obj<'a>;
    type SerializeStructVariant = Obj<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), SerError> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<(), SerError> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<(), SerError> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), SerError> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), SerError> {
        // serde_json::Value holds only 64-bit integers.
        if i64::try_from(v).is_err() && u64::try_from(v).is_err() {
            return Err(SerError(KEY_NOT_STRING));
        }
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), SerError> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), SerError> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), SerError> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), SerError> {
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), SerError> {
        if u64::try_from(v).is_err() {
            return Err(SerError(KEY_NOT_STRING));
        }
        write_int(self.out, v);
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result<(), SerError> {
        Err(SerError(FLOAT))
    }
    fn serialize_f64(self, _: f64) -> Result<(), SerError> {
        Err(SerError(FLOAT))
    }
    fn serialize_char(self, v: char) -> Result<(), SerError> {
        write_string(v.encode_utf8(&mut [0; 4]), self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        write_string(v, self.out);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerError> {
        self.out.push(b'[');
        for (i, b) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_int(self.out, *b);
        }
        self.out.push(b']');
        Ok(())
    }
    fn serialize_none(self) -> Result<(), SerError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), SerError> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerError> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), SerError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        open_variant(self.out, variant);
        value.serialize(Ser {
            out: &mut *self.out,
        })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, SerError> {
        self.out.push(b'[');
        Ok(Seq {
            out: self.out,
            first: true,
            variant: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Seq<'a>, SerError> {
        open_variant(self.out, variant);
        self.out.push(b'[');
        Ok(Seq {
            out: self.out,
            first: true,
            variant: true,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Obj<'a>, SerError> {
        Ok(Obj::open(self.out, false))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Obj<'a>, SerError> {
        Ok(Obj::open(self.out, false))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Obj<'a>, SerError> {
        open_variant(self.out, variant);
        Ok(Obj::open(self.out, true))
    }
}

/// `{"variant":` of an externally tagged enum value.
fn open_variant(out: &mut Vec<u8>, variant: &str) {
    out.push(b'{');
    write_string(variant, out);
    out.push(b':');
}

struct Seq<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    variant: bool,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Ser {
            out: &mut *self.out,
        })
    }
    fn close(self) -> Result<(), SerError> {
        self.out.push(b']');
        if self.variant {
            self.out.push(b'}');
        }
        Ok(())
    }
}

/// The four sequence traits, all `element` then `close`.
macro_rules! seq_impl {
    ($($tr:ident::$f:ident),*) => {$(
        impl ser::$tr for Seq<'_> {
            type Ok = ();
            type Error = SerError;
            fn $f<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
                self.element(value)
            }
            fn end(self) -> Result<(), SerError> {
                self.close()
            }
        }
    )*};
}
seq_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// An object (map, struct or struct variant) being written.
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    members: Members,
    /// Where the pending map key was written, and where its member starts.
    pending: Option<(Range<usize>, usize)>,
    variant: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut Vec<u8>, variant: bool) -> Obj<'a> {
        out.push(b'{');
        let members = Members::new(out.len());
        Obj {
            out,
            members,
            pending: None,
            variant,
        }
    }

    /// Write the separator and the key (through `KeySer`); returns the key's range and
    /// where the member starts.
    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(Range<usize>, usize), SerError> {
        if !self.members.is_empty() {
            self.out.push(b',');
        }
        let whole = self.out.len();
        key.serialize(KeySer {
            out: &mut *self.out,
        })?;
        let range = whole..self.out.len();
        self.out.push(b':');
        Ok((range, whole))
    }

    fn value<T: Serialize + ?Sized>(
        &mut self,
        (key, whole): (Range<usize>, usize),
        value: &T,
    ) -> Result<(), SerError> {
        value.serialize(Ser {
            out: &mut *self.out,
        })?;
        self.members.push(self.out, key, whole);
        Ok(())
    }

    fn close(self) -> Result<(), SerError> {
        self.members.finish(self.out, |_| Ok::<(), SerError>(()))?;
        self.out.push(b'}');
        if self.variant {
            self.out.push(b'}');
        }
        Ok(())
    }
}

impl ser::SerializeMap for Obj<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.pending = Some(self.key(key)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let pending = self.pending.take().ok_or(SerError("value without key"))?;
        self.value(pending, value)
    }
    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

/// Structs and struct variants: objects whose keys are field names.
macro_rules! fields_as_members {
    ($($trait:ident),+) => {$(
        impl ser::$trait for Obj<'_> {
            type Ok = ();
            type Error = SerError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), SerError> {
                let k = self.key(key)?;
                self.value(k, value)
            }
            fn end(self) -> Result<(), SerError> {
                self.close()
            }
        }
    )+};
}
fields_as_members!(SerializeStruct, SerializeStructVariant);

/// Map keys, written quoted where they stand: strings, and what serde_json turns into
/// strings (chars, integers, booleans, unit variants, newtypes of those).
struct KeySer<'a> {
    out: &'a mut Vec<u8>,
}

impl KeySer<'_> {
    fn quoted(self, v: impl std::fmt::Display) -> Result<(), SerError> {
        use std::io::Write;
        // Writing to a Vec cannot fail.
        let _ = write!(self.out, "\"{v}\"");
        Ok(())
    }
}

macro_rules! key_display {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), SerError> {
            self.quoted(v)
        }
    )*};
}

macro_rules! key_refused {
    ($($f:ident($($a:ty),*)),*) => {$(
        fn $f(self, $(_: $a),*) -> Result<(), SerError> {
            Err(SerError(KEY_NOT_STRING))
        }
    )*};
}

type NoKey = ser::Impossible<(), SerError>;

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = NoKey;
    type SerializeTuple = NoKey;
    type SerializeTupleStruct = NoKey;
    type SerializeTupleVariant = NoKey;
    type SerializeMap = NoKey;
    type SerializeStruct = NoKey;
    type SerializeStructVariant = NoKey;

    key_display!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_bool: bool);
    key_refused!(
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str)
    );

    fn serialize_char(self, v: char) -> Result<(), SerError> {
        write_string(v.encode_utf8(&mut [0; 4]), self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        write_string(v, self.out);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), SerError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        value.serialize(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<NoKey, SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
    fn serialize_tuple(self, _: usize) -> Result<NoKey, SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<NoKey, SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<NoKey, SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<NoKey, SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<NoKey, SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<NoKey, SerError> {
        Err(SerError(KEY_NOT_STRING))
    }
}
