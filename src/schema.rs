//! [`Fingerprint`]: what a payload type looks like to postcard, as 8 bytes.
//!
//! postcard carries no field names, so a value opens as any type whose byte
//! shape happens to match. Every sealed value therefore carries the
//! fingerprint of the type it was sealed as (FORMAT.md §4), and opening
//! compares it with the fingerprint of the type asked for before decoding.
//!
//! The fingerprint is the first 8 bytes of SHA-256 over a domain-separation
//! prefix and a canonical description of the type's serde shape
//! (FORMAT.md §4.1). The description is traced from the type's own
//! `Deserialize` implementation by a deserializer that produces no data: it
//! answers every request with a placeholder value and writes down what was
//! asked for. Enums are traced once per variant (the trace is run again until
//! every variant of every enum has been seen), and a named type met again
//! inside itself becomes a reference by name, so recursive types end.
//! Types that need a self-describing format (`deserialize_any`: untagged,
//! internally tagged or flattened serde attributes) cannot be encoded by
//! postcard either; they get a [`SchemaError`] and need a schema name
//! ([`Fingerprint::from_name`]).
//!
//! Tracing runs once per type per process; the result is kept in a table
//! whose reads take no lock and allocate nothing.

use core::any::TypeId;
use core::fmt;
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use sha2::{Digest, Sha256};

use crate::error::SchemaError;

/// The length of a [`Fingerprint`] in bytes.
pub const FINGERPRINT_LEN: usize = 8;

/// The prefix hashed before a shape description (FORMAT.md §4.1).
pub const SCHEMA_SHAPE_PREFIX: &[u8] = b"sealed-session/schema/shape\0";

/// The prefix hashed before a schema name (FORMAT.md §4.2).
pub const SCHEMA_NAME_PREFIX: &[u8] = b"sealed-session/schema/name\0";

/// How many times a trace is run at most before the type is declared too
/// complex (each run explores at least one more enum variant or picks
/// another placeholder variant).
const MAX_PASSES: usize = 4096;

/// 8 bytes that identify the shape of a payload type, sealed with every
/// value (FORMAT.md §4) and compared before the payload is decoded.
///
/// Two types get the same fingerprint when postcard would read one as the
/// other's bytes *and* their field names, variant names and type names are
/// the same; any other change (fields reordered or renamed, a field added,
/// an integer widened, a variant added) changes it, so a value of the old
/// type is refused as [`OpenError::SchemaMismatch`](crate::OpenError::SchemaMismatch)
/// instead of being misread.
///
/// ```
/// use serde::Deserialize;
/// use sealed_session::Fingerprint;
///
/// # #[allow(dead_code)]
/// #[derive(Deserialize)]
/// struct V1 { user_id: u64, org_id: u64 }
/// # #[allow(dead_code)]
/// #[derive(Deserialize)]
/// #[serde(rename = "V1")]
/// struct Swapped { org_id: u64, user_id: u64 }
///
/// assert_eq!(
///     Fingerprint::description_of::<V1>()?,
///     "\"V1\"\n\"V1\" = struct{\"user_id\":u64,\"org_id\":u64}\n"
/// );
/// assert_ne!(Fingerprint::of::<V1>()?, Fingerprint::of::<Swapped>()?);
/// # Ok::<(), sealed_session::SchemaError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; FINGERPRINT_LEN]);

impl Fingerprint {
    /// The fingerprint of `T`'s shape, traced from its `Deserialize`
    /// implementation the first time it is asked for in this process and
    /// remembered from then on.
    ///
    /// # Errors
    ///
    /// A [`SchemaError`] if the type cannot be traced (see there); give it
    /// a name with [`Fingerprint::from_name`] (through
    /// [`SealerBuilder::with_schema_name`](crate::SealerBuilder::with_schema_name))
    /// instead.
    pub fn of<T: DeserializeOwned + 'static>() -> Result<Self, SchemaError> {
        cached(TypeId::of::<T>(), || {
            Ok(Self::from_description(&describe::<T>()?))
        })
    }

    /// The canonical description of `T`'s shape (FORMAT.md §4.1), whose
    /// hash is [`Fingerprint::of`]. Traced anew on every call: for tests,
    /// logs and documentation.
    ///
    /// # Errors
    ///
    /// As [`Fingerprint::of`].
    pub fn description_of<T: DeserializeOwned>() -> Result<String, SchemaError> {
        describe::<T>()
    }

    /// The fingerprint of a shape description: the first 8 bytes of
    /// `SHA-256("sealed-session/schema/shape" || 0x00 || description)`.
    #[must_use]
    pub fn from_description(description: &str) -> Self {
        Self::hash(SCHEMA_SHAPE_PREFIX, description.as_bytes())
    }

    /// The fingerprint of an application-chosen schema name, for a type
    /// that cannot be traced or whose shape the application prefers to
    /// version by hand: the first 8 bytes of
    /// `SHA-256("sealed-session/schema/name" || 0x00 || name)`.
    ///
    /// # Security
    ///
    /// The name replaces the check: change it whenever the type changes,
    /// or old values are misread as the new type.
    ///
    /// ```
    /// use sealed_session::Fingerprint;
    ///
    /// assert_eq!(Fingerprint::from_name("example/session v1").to_string(), "ec432efb9e73d1c6");
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        Self::hash(SCHEMA_NAME_PREFIX, name.as_bytes())
    }

    /// A fingerprint from its 8 bytes, for an implementation that carries
    /// configured bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; FINGERPRINT_LEN]) -> Self {
        Self(bytes)
    }

    /// The 8 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; FINGERPRINT_LEN] {
        self.0
    }

    fn hash(prefix: &[u8], text: &[u8]) -> Self {
        let digest = Sha256::new()
            .chain_update(prefix)
            .chain_update(text)
            .finalize();
        let mut out = [0u8; FINGERPRINT_LEN];
        for (o, d) in out.iter_mut().zip(digest.iter()) {
            *o = *d;
        }
        Self(out)
    }

    /// The fingerprint the session layer seals for data of the type whose
    /// fingerprint is `self` (FORMAT.md §11).
    pub(crate) fn session_record(self) -> Self {
        Self::from_description(&session_record_description(self))
    }
}

/// The shape description of the session layer's record (FORMAT.md §11) for
/// data whose fingerprint is `data`.
pub(crate) fn session_record_description(data: Fingerprint) -> String {
    format!(
        "\"SessionRecord\"\n\"SessionRecord\" = struct{{\"data\":option<fingerprint({data})>,\"flash\":option<seq<u8>>}}\n"
    )
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Fingerprints computed in this process, by type. Reads are lock-free
/// (one atomic load per slot looked at); a process with more types than
/// slots keeps the rest behind a mutex.
static SLOTS: [OnceLock<(TypeId, Result<Fingerprint, SchemaError>)>; 64] =
    [const { OnceLock::new() }; 64];
static OVERFLOW: Mutex<Vec<(TypeId, Result<Fingerprint, SchemaError>)>> = Mutex::new(Vec::new());

/// The fingerprint remembered for `key`, computed by `compute` the first
/// time. `compute` runs outside any slot's initialisation, so it may itself
/// look up other fingerprints.
pub(crate) fn cached(
    key: TypeId,
    compute: impl FnOnce() -> Result<Fingerprint, SchemaError>,
) -> Result<Fingerprint, SchemaError> {
    let mut compute = Some(compute);
    let mut computed = None;
    let mut value = move || match (computed, compute.take()) {
        (Some(done), _) => done,
        (None, Some(f)) => {
            let done = f();
            computed = Some(done);
            done
        }
        // `compute` is taken only when `computed` is set.
        (None, None) => Err(SchemaError::TooComplex),
    };
    for slot in &SLOTS {
        let (id, result) = match slot.get() {
            Some(entry) => *entry,
            None => {
                let fresh = value();
                // Another thread may fill the slot first: then look on.
                *slot.get_or_init(|| (key, fresh))
            }
        };
        if id == key {
            return result;
        }
    }
    let overflow = || OVERFLOW.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, result)) = overflow().iter().find(|(id, _)| *id == key) {
        return *result;
    }
    // Computed without the lock held, as above.
    let fresh = value();
    overflow().push((key, fresh));
    fresh
}

/// Traces `T` and renders its canonical description.
fn describe<T: DeserializeOwned>() -> Result<String, SchemaError> {
    let mut trace = Trace::default();
    for _ in 0..MAX_PASSES {
        trace.start_pass();
        let mut root = String::new();
        let result = T::deserialize(De {
            t: &mut trace,
            out: Some(&mut root),
        });
        if let Some(failure) = trace.failure.take() {
            return Err(failure);
        }
        if let Some(name) = trace.blame.take() {
            *trace.placeholder.entry(name).or_insert(0) += 1;
            continue;
        }
        match result {
            Ok(_) if trace.incomplete => continue,
            Ok(_) => return Ok(trace.render(&root)),
            Err(_) => return Err(SchemaError::Rejected),
        }
    }
    Err(SchemaError::TooComplex)
}

/// A named type's definition, as far as traced.
enum Def {
    Done {
        kind: Kind,
        text: String,
    },
    Enum {
        variants: &'static [&'static str],
        seen: Vec<Option<String>>,
    },
}

impl Def {
    fn is_done(&self) -> bool {
        match self {
            Self::Done { .. } => true,
            Self::Enum { seen, .. } => seen.iter().all(Option::is_some),
        }
    }
}

/// What is done with a named type met during a trace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Described for the first time (or, for an enum, one more variant).
    Describe,
    /// Described again and compared with its definition: another type of
    /// the same name and another shape is a [`SchemaError::NameConflict`].
    Verify,
    /// Only a placeholder value is built (a reference inside itself, or a
    /// placeholder being built).
    Value,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    UnitStruct,
    NewtypeStruct,
    TupleStruct(usize),
    Struct(&'static [&'static str]),
    Enum(&'static [&'static str]),
}

#[derive(Default)]
struct Trace {
    defs: BTreeMap<&'static str, Def>,
    /// The variant each enum answers with when only a value is needed.
    placeholder: BTreeMap<&'static str, usize>,
    /// Named types being described in this pass, outermost first.
    describing: Vec<&'static str>,
    /// Named types whose placeholder value is being built, outermost first.
    building: Vec<(&'static str, bool)>,
    /// Some enum still has variants not traced.
    incomplete: bool,
    /// A placeholder value recursed into itself through this enum.
    blame: Option<&'static str>,
    failure: Option<SchemaError>,
}

impl Trace {
    fn start_pass(&mut self) {
        self.describing.clear();
        self.building.clear();
        self.incomplete = false;
    }

    fn render(&self, root: &str) -> String {
        let mut out = String::new();
        out.push_str(root);
        out.push('\n');
        for (name, def) in &self.defs {
            push_name(&mut out, name);
            out.push_str(" = ");
            match def {
                Def::Done { text, .. } => out.push_str(text),
                Def::Enum { variants, seen } => out.push_str(&enum_text(variants, seen)),
            }
            out.push('\n');
        }
        out
    }

    fn fail(&mut self, failure: SchemaError) -> Error {
        self.failure.get_or_insert(failure);
        Error
    }

    /// Decides what is done with a named type met now, writing its name
    /// where a description is under way.
    fn enter(
        &mut self,
        name: &'static str,
        kind: Kind,
        out: Option<&mut String>,
    ) -> Result<Mode, Error> {
        let known_kind = match self.defs.get(name) {
            Some(Def::Done { kind, .. }) => Some(*kind),
            Some(Def::Enum { variants, .. }) => Some(Kind::Enum(variants)),
            None => None,
        };
        if known_kind.is_some_and(|k| k != kind) {
            return Err(self.fail(SchemaError::NameConflict { type_name: name }));
        }
        let Some(out) = out else {
            return self.build(name, kind).map(|()| Mode::Value);
        };
        push_name(out, name);
        if self.describing.contains(&name) {
            return self.build(name, kind).map(|()| Mode::Value);
        }
        self.describing.push(name);
        if self.defs.get(name).is_some_and(Def::is_done) {
            Ok(Mode::Verify)
        } else {
            Ok(Mode::Describe)
        }
    }

    /// Starts building a placeholder value of `name`; refuses a value that
    /// would contain itself, blaming the innermost enum on the way.
    fn build(&mut self, name: &'static str, kind: Kind) -> Result<(), Error> {
        if let Some(start) = self.building.iter().position(|(n, _)| *n == name) {
            let culprit = self
                .building
                .get(start..)
                .and_then(|cycle| cycle.iter().rev().find(|(_, is_enum)| *is_enum))
                .map(|(n, _)| *n);
            return match culprit {
                Some(n) => {
                    self.blame = Some(n);
                    Err(Error)
                }
                None => Err(self.fail(SchemaError::NoFiniteValue { type_name: name })),
            };
        }
        self.building.push((name, matches!(kind, Kind::Enum(_))));
        Ok(())
    }

    /// Ends a named type entered in `mode`, recording (or checking) the
    /// description of a struct-like type.
    fn leave(
        &mut self,
        name: &'static str,
        kind: Kind,
        mode: Mode,
        text: String,
    ) -> Result<(), Error> {
        match mode {
            Mode::Value => {
                self.building.pop();
            }
            Mode::Describe => {
                self.describing.pop();
                self.defs.insert(name, Def::Done { kind, text });
            }
            Mode::Verify => {
                self.describing.pop();
                let same = match self.defs.get(name) {
                    Some(Def::Done { text: known, .. }) => *known == text,
                    _ => false,
                };
                if !same {
                    return Err(self.fail(SchemaError::NameConflict { type_name: name }));
                }
            }
        }
        Ok(())
    }
}

fn enum_text(variants: &[&str], seen: &[Option<String>]) -> String {
    let mut out = String::from("enum{");
    for (i, (name, text)) in variants.iter().zip(seen).enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_name(&mut out, name);
        out.push(':');
        out.push_str(text.as_deref().unwrap_or("?"));
    }
    out.push('}');
    out
}

/// Writes `name` quoted, with `\` and `"` escaped by a backslash.
fn push_name(out: &mut String, name: &str) {
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// The error of a trace; what went wrong is kept in the [`Trace`].
#[derive(Debug)]
struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("type trace stopped")
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: fmt::Display>(_msg: M) -> Self {
        Self
    }
}

/// The tracing deserializer: describes into `out` when it is set, only
/// builds a placeholder value otherwise.
struct De<'a> {
    t: &'a mut Trace,
    out: Option<&'a mut String>,
}

impl De<'_> {
    fn write(&mut self, text: &str) {
        if let Some(out) = self.out.as_deref_mut() {
            out.push_str(text);
        }
    }
}

macro_rules! primitive {
    ($($method:ident $visit:ident $name:literal $value:expr;)*) => {$(
        fn $method<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
            self.write($name);
            visitor.$visit($value)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = Error;

    // Numbers are traced as 1, which `NonZero*` types accept too.
    primitive! {
        deserialize_bool visit_bool "bool" false;
        deserialize_i8 visit_i8 "i8" 1;
        deserialize_i16 visit_i16 "i16" 1;
        deserialize_i32 visit_i32 "i32" 1;
        deserialize_i64 visit_i64 "i64" 1;
        deserialize_i128 visit_i128 "i128" 1;
        deserialize_u8 visit_u8 "u8" 1;
        deserialize_u16 visit_u16 "u16" 1;
        deserialize_u32 visit_u32 "u32" 1;
        deserialize_u64 visit_u64 "u64" 1;
        deserialize_u128 visit_u128 "u128" 1;
        deserialize_f32 visit_f32 "f32" 1.0;
        deserialize_f64 visit_f64 "f64" 1.0;
        deserialize_char visit_char "char" '\0';
        deserialize_str visit_str "str" "";
        deserialize_string visit_string "str" String::new();
        // postcard writes a byte string exactly as a sequence of `u8`.
        deserialize_bytes visit_bytes "seq<u8>" &[];
        deserialize_byte_buf visit_byte_buf "seq<u8>" Vec::new();
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.t.fail(SchemaError::SelfDescribing))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.t.fail(SchemaError::SelfDescribing))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.t.fail(SchemaError::SelfDescribing))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.out {
            Some(out) => {
                out.push_str("option<");
                let value = visitor.visit_some(De {
                    t: self.t,
                    out: Some(&mut *out),
                })?;
                out.push('>');
                Ok(value)
            }
            None => visitor.visit_none(),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.write("unit");
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mode = self.t.enter(name, Kind::UnitStruct, self.out)?;
        let value = visitor.visit_unit()?;
        self.t
            .leave(name, Kind::UnitStruct, mode, "unit_struct".to_owned())?;
        Ok(value)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mode = self.t.enter(name, Kind::NewtypeStruct, self.out)?;
        let mut text = String::from("newtype_struct<");
        let value = visitor.visit_newtype_struct(De {
            t: &mut *self.t,
            out: (mode != Mode::Value).then_some(&mut text),
        })?;
        text.push('>');
        self.t.leave(name, Kind::NewtypeStruct, mode, text)?;
        Ok(value)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let len = usize::from(self.out.is_some());
        wrapped(self.t, self.out, "seq<", '>', |t, out| {
            visitor.visit_seq(Seq {
                t,
                out,
                names: None,
                len,
                done: 0,
            })
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        wrapped(self.t, self.out, "tuple<", '>', |t, out| {
            fixed(t, out, None, len, visitor)
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let kind = Kind::TupleStruct(len);
        let mode = self.t.enter(name, kind, self.out)?;
        let mut text = String::from("tuple_struct<");
        let out = (mode != Mode::Value).then_some(&mut text);
        let value = fixed(&mut *self.t, out, None, len, visitor)?;
        text.push('>');
        self.t.leave(name, kind, mode, text)?;
        Ok(value)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let left = usize::from(self.out.is_some());
        wrapped(self.t, self.out, "map<", '>', |t, out| {
            visitor.visit_map(Map { t, out, left })
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let kind = Kind::Struct(fields);
        let mode = self.t.enter(name, kind, self.out)?;
        let mut text = String::from("struct{");
        let out = (mode != Mode::Value).then_some(&mut text);
        let value = fixed(&mut *self.t, out, Some(fields), fields.len(), visitor)?;
        text.push('}');
        self.t.leave(name, kind, mode, text)?;
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let kind = Kind::Enum(variants);
        let mode = self.t.enter(name, kind, self.out)?;
        let placeholder = self.t.placeholder.get(name).copied().unwrap_or(0);
        let index = match (mode, self.t.defs.get(name)) {
            (Mode::Describe, Some(Def::Enum { seen, .. })) => {
                seen.iter().position(Option::is_none).unwrap_or(0)
            }
            (Mode::Describe, _) => 0,
            _ => placeholder,
        };
        if index >= variants.len() {
            return Err(self.t.fail(SchemaError::NoFiniteValue { type_name: name }));
        }
        let mut text = String::new();
        let value = visitor.visit_enum(Enum {
            t: &mut *self.t,
            out: (mode != Mode::Value).then_some(&mut text),
            index,
        })?;
        if mode == Mode::Value {
            self.t.building.pop();
            return Ok(value);
        }
        self.t.describing.pop();
        let def = self.t.defs.entry(name).or_insert_with(|| Def::Enum {
            variants,
            seen: vec![None; variants.len()],
        });
        let Def::Enum { seen, .. } = def else {
            return Err(self.t.fail(SchemaError::NameConflict { type_name: name }));
        };
        let Some(slot) = seen.get_mut(index) else {
            return Err(self.t.fail(SchemaError::Unsupported));
        };
        match (mode, slot.as_deref()) {
            (Mode::Verify, Some(known)) if known != text => {
                return Err(self.t.fail(SchemaError::NameConflict { type_name: name }));
            }
            (Mode::Verify, _) => {}
            _ => *slot = Some(text),
        }
        if !seen.iter().all(Option::is_some) {
            self.t.incomplete = true;
        }
        Ok(value)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// Runs `body`, with `open` and `close` written around what it describes
/// when a description is under way.
fn wrapped<R>(
    t: &mut Trace,
    out: Option<&mut String>,
    open: &str,
    close: char,
    body: impl FnOnce(&mut Trace, Option<&mut String>) -> Result<R, Error>,
) -> Result<R, Error> {
    match out {
        Some(out) => {
            out.push_str(open);
            let value = body(t, Some(&mut *out))?;
            out.push(close);
            Ok(value)
        }
        None => body(t, None),
    }
}

/// Visits `len` elements (struct fields when `names` is given), described
/// into `out` when set.
fn fixed<'de, V: Visitor<'de>>(
    t: &mut Trace,
    out: Option<&mut String>,
    names: Option<&'static [&'static str]>,
    len: usize,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut seq = Seq {
        t,
        out,
        names,
        len,
        done: 0,
    };
    let value = visitor.visit_seq(&mut seq)?;
    if seq.done != len {
        return Err(seq.t.fail(SchemaError::Unsupported));
    }
    Ok(value)
}

struct Seq<'a> {
    t: &'a mut Trace,
    out: Option<&'a mut String>,
    names: Option<&'static [&'static str]>,
    len: usize,
    done: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        if self.done >= self.len {
            return Ok(None);
        }
        if let Some(out) = self.out.as_deref_mut() {
            if self.done > 0 {
                out.push(',');
            }
            if let Some(names) = self.names {
                let Some(name) = names.get(self.done) else {
                    return Err(self.t.fail(SchemaError::Unsupported));
                };
                push_name(out, name);
                out.push(':');
            }
        }
        self.done += 1;
        seed.deserialize(De {
            t: &mut *self.t,
            out: self.out.as_deref_mut(),
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.done)
    }
}

struct Map<'a> {
    t: &'a mut Trace,
    out: Option<&'a mut String>,
    left: usize,
}

impl<'de> MapAccess<'de> for Map<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(De {
            t: &mut *self.t,
            out: self.out.as_deref_mut(),
        })
        .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        if let Some(out) = self.out.as_deref_mut() {
            out.push(',');
        }
        seed.deserialize(De {
            t: &mut *self.t,
            out: self.out.as_deref_mut(),
        })
    }
}

struct Enum<'a> {
    t: &'a mut Trace,
    out: Option<&'a mut String>,
    index: usize,
}

impl<'de> EnumAccess<'de> for Enum<'_> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let index = u32::try_from(self.index).map_err(|_| Error)?;
        let variant = seed.deserialize(
            <u32 as IntoDeserializer<'de, Error>>::into_deserializer(index),
        )?;
        Ok((variant, self))
    }
}

impl<'de> VariantAccess<'de> for Enum<'_> {
    type Error = Error;

    fn unit_variant(mut self) -> Result<(), Error> {
        if let Some(out) = self.out.as_deref_mut() {
            out.push_str("unit");
        }
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        wrapped(self.t, self.out, "newtype<", '>', |t, out| {
            seed.deserialize(De { t, out })
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        wrapped(self.t, self.out, "tuple<", '>', |t, out| {
            fixed(t, out, None, len, visitor)
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        wrapped(self.t, self.out, "struct{", '}', |t, out| {
            fixed(t, out, Some(fields), fields.len(), visitor)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[allow(dead_code)]
    #[derive(Deserialize)]
    enum Role {
        Admin,
        User { level: u8 },
        Guest(String),
        Pair(u16, i32),
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct S {
        roles: Vec<Role>,
    }

    #[test]
    fn nested_enums_are_traced_without_help() {
        assert_eq!(
            describe::<S>().unwrap(),
            "\"S\"\n\
             \"Role\" = enum{\"Admin\":unit,\"User\":struct{\"level\":u8},\"Guest\":newtype<str>,\"Pair\":tuple<u16,i32>}\n\
             \"S\" = struct{\"roles\":seq<\"Role\">}\n"
        );
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Tree {
        children: Vec<Tree>,
        #[serde(skip)]
        cache: u32,
        #[serde(rename = "n", default)]
        name: String,
        parent: Option<Box<Tree>>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    enum List {
        Cons(u32, Box<List>),
        Nil,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    enum Expr {
        Add(Box<Expr>, Box<Expr>),
        Neg(Box<Expr>),
        Lit(Option<Lit>),
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    enum Lit {
        Int(i64),
        Text(String),
    }

    #[test]
    fn recursion_skip_rename_default() {
        assert_eq!(
            describe::<Tree>().unwrap(),
            "\"Tree\"\n\"Tree\" = struct{\"children\":seq<\"Tree\">,\"n\":str,\"parent\":option<\"Tree\">}\n"
        );
        assert_eq!(
            describe::<List>().unwrap(),
            "\"List\"\n\"List\" = enum{\"Cons\":tuple<u32,\"List\">,\"Nil\":unit}\n"
        );
        assert_eq!(
            describe::<Expr>().unwrap(),
            "\"Expr\"\n\
             \"Expr\" = enum{\"Add\":tuple<\"Expr\",\"Expr\">,\"Neg\":newtype<\"Expr\">,\"Lit\":newtype<option<\"Lit\">>}\n\
             \"Lit\" = enum{\"Int\":newtype<i64>,\"Text\":newtype<str>}\n"
        );
    }

    #[test]
    fn anonymous_shapes() {
        assert_eq!(describe::<()>().unwrap(), "unit\n");
        assert_eq!(describe::<u32>().unwrap(), "u32\n");
        assert_eq!(describe::<String>().unwrap(), "str\n");
        assert_eq!(
            describe::<(u8, [u16; 2], BTreeMap<String, Option<bool>>)>().unwrap(),
            "tuple<u8,tuple<u16,u16>,map<str,option<bool>>>\n"
        );
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Never {
        next: Box<Never>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    #[serde(tag = "kind")]
    enum Tagged {
        A { x: u8 },
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Flat {
        #[serde(flatten)]
        inner: BTreeMap<String, u8>,
    }

    mod other {
        #[allow(dead_code)]
        #[derive(serde::Deserialize)]
        pub(super) struct Id(pub(super) String);
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Id(u64);

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Clash {
        a: Id,
        b: other::Id,
    }

    #[test]
    fn untraceable_types_get_a_typed_error() {
        assert_eq!(
            describe::<Never>().err(),
            Some(SchemaError::NoFiniteValue { type_name: "Never" })
        );
        assert_eq!(
            describe::<Tagged>().err(),
            Some(SchemaError::SelfDescribing)
        );
        assert_eq!(describe::<Flat>().err(), Some(SchemaError::SelfDescribing));
        // Same kind and serde name, another shape.
        assert_eq!(
            describe::<Clash>().err(),
            Some(SchemaError::NameConflict { type_name: "Id" })
        );
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Counters {
        hits: core::num::NonZeroU64,
        ratio: f32,
    }

    #[test]
    fn non_zero_numbers_are_traced() {
        assert_eq!(
            describe::<Counters>().unwrap(),
            "\"Counters\"\n\"Counters\" = struct{\"hits\":u64,\"ratio\":f32}\n"
        );
    }

    #[test]
    fn more_types_than_slots_are_still_cached() {
        // Keys no other test (nor the library) can use: the table is shared
        // by every test of this process.
        struct OnlyHere<const N: usize>;
        macro_rules! ids {
            ($($n:literal)*) => { [$(TypeId::of::<OnlyHere<$n>>()),*] };
        }
        let keys = ids!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69);
        assert!(keys.len() > SLOTS.len());
        let mut calls = 0;
        for (n, key) in keys.iter().enumerate() {
            let fp = Fingerprint::from_bytes([n as u8; 8]);
            let first = cached(*key, || {
                calls += 1;
                Ok(fp)
            });
            assert_eq!(first, Ok(fp));
            assert_eq!(cached(*key, || Err(SchemaError::TooComplex)), Ok(fp));
        }
        assert_eq!(calls, keys.len());
    }

    #[test]
    fn fingerprints_are_cached_per_type() {
        let first = Fingerprint::of::<S>().unwrap();
        assert_eq!(Fingerprint::of::<S>().unwrap(), first);
        assert_eq!(
            first,
            Fingerprint::from_description(&describe::<S>().unwrap())
        );
        assert_ne!(first, Fingerprint::of::<Tree>().unwrap());
        assert_eq!(
            Fingerprint::of::<Never>().err(),
            Some(SchemaError::NoFiniteValue { type_name: "Never" })
        );
    }
}
