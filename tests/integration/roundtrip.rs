//! Payloads of many shapes come back equal; a value opened as the wrong type
//! is refused as `PayloadMismatch`.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};

use sealed_session::{OpenError, SealError, Sealer};

use crate::common::{ring, sealer, t0_plus, T0};

fn sample_sealer() -> Sealer {
    sealer(ring(1, 1))
}

/// Seals `value` at `T0`, opens it as `T` at `T0 + 1` and checks it is equal.
fn assert_round_trip<T>(sealer: &Sealer, value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug + 'static,
{
    let sealed = sealer.seal_at(value, T0).unwrap();
    let opened = sealer.open_at::<T>(&sealed, t0_plus(1)).unwrap();
    assert_eq!(&opened.payload, value);
    assert_eq!(opened.meta.issued_at(), T0);
}

fn open_as<T: DeserializeOwned + 'static>(sealer: &Sealer, value: &str) -> Result<T, OpenError> {
    sealer.open_at::<T>(value, t0_plus(1)).map(|o| o.payload)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Address {
    street: String,
    zip: Option<u32>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Profile {
    id: u64,
    name: String,
    home: Address,
    others: Vec<Address>,
    scores: Vec<(u8, i64)>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Event {
    LoggedOut,
    Visited(String),
    Pair(u16, bool),
    Cart {
        items: Vec<u32>,
        coupon: Option<String>,
    },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Two {
    a: u32,
    b: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Three {
    a: u32,
    b: String,
    c: u64,
}

#[test]
fn unit_payload_round_trips() {
    assert_round_trip(&sample_sealer(), &());
}

#[test]
fn empty_vec_and_empty_string_round_trip() {
    let s = sample_sealer();
    assert_round_trip(&s, &Vec::<u64>::new());
    assert_round_trip(&s, &String::new());
    assert_round_trip(&s, &Vec::<u8>::new());
}

#[test]
fn integers_at_their_extremes_round_trip() {
    let s = sample_sealer();
    assert_round_trip(&s, &(u8::MAX, u16::MAX, u32::MAX, u64::MAX));
    assert_round_trip(&s, &(i8::MIN, i16::MIN, i32::MIN, i64::MIN));
    assert_round_trip(&s, &(u128::MAX, i128::MIN, 0u64, -1i64));
    assert_round_trip(&s, &(1.5f32, -0.25f64, f64::MAX, 'λ'));
}

#[test]
fn nested_struct_round_trips() {
    let profile = Profile {
        id: 42,
        name: "Ada Lovelace".into(),
        home: Address {
            street: "12 St James's Square".into(),
            zip: None,
        },
        others: vec![
            Address {
                street: "Ockham Park".into(),
                zip: Some(12_345),
            },
            Address {
                street: String::new(),
                zip: Some(0),
            },
        ],
        scores: vec![(1, -5), (255, i64::MAX)],
    };
    assert_round_trip(&sample_sealer(), &profile);
}

#[test]
fn enum_variants_with_data_round_trip() {
    let s = sample_sealer();
    for event in [
        Event::LoggedOut,
        Event::Visited("/checkout?step=2".into()),
        Event::Pair(65_535, true),
        Event::Cart {
            items: vec![7, 9, 4_000_000_000],
            coupon: Some("SPRING".into()),
        },
        Event::Cart {
            items: vec![],
            coupon: None,
        },
    ] {
        assert_round_trip(&s, &event);
    }
    assert_round_trip(&s, &vec![Event::LoggedOut, Event::Pair(1, false)]);
}

#[test]
fn options_round_trip() {
    let s = sample_sealer();
    assert_round_trip(&s, &Option::<u32>::None);
    assert_round_trip(&s, &Some(0u32));
    assert_round_trip(&s, &Some(Some(String::from("deep"))));
    assert_round_trip(&s, &Some(Option::<String>::None));
}

#[test]
fn byte_vectors_of_every_length_up_to_300_round_trip() {
    // Covers every residue of the value length modulo 3 and 4, and the
    // one-byte to two-byte change of the length varint at 128.
    let s = sample_sealer();
    for n in 0..=300u16 {
        let bytes: Vec<u8> = (0..n).map(|i| u8::try_from(i % 256).unwrap()).collect();
        assert_round_trip(&s, &bytes);
    }
}

#[test]
fn btree_maps_round_trip() {
    let s = sample_sealer();
    let mut map = BTreeMap::new();
    map.insert("cart".to_owned(), vec![1u32, 2, 3]);
    map.insert(String::new(), vec![]);
    map.insert("ünïcödé".to_owned(), vec![u32::MAX]);
    assert_round_trip(&s, &map);
    assert_round_trip(&s, &BTreeMap::<u64, String>::new());
    let nested: BTreeMap<u8, BTreeMap<String, Option<i32>>> = (0..20u8)
        .map(|k| {
            let inner = (0..3)
                .map(|j| (format!("k{j}"), (j > 0).then_some(i32::from(k) - j)))
                .collect();
            (k, inner)
        })
        .collect();
    assert_round_trip(&s, &nested);
}

#[test]
fn unicode_strings_round_trip() {
    let s = sample_sealer();
    for text in [
        "ASCII only",
        "naïve café",
        "日本語のテキスト",
        "emoji 👩‍💻🎉 and flags 🇫🇷",
        "right-to-left: שלום עולם",
        "combining: e\u{301} a\u{308}",
        "nul \u{0} and controls \u{1}\u{7f}",
        "\u{10FFFF}\u{FEFF}",
    ] {
        assert_round_trip(&s, &text.to_owned());
    }
    let long: String = "é€𝄞".repeat(200);
    assert_round_trip(&s, &long);
}

#[test]
fn byte_payload_just_under_the_size_limit_round_trips() {
    // FORMAT.md §7: at present-day timestamps the largest payload under the
    // default name is 2977 postcard bytes, a Vec<u8> of 2975 bytes.
    let s = sample_sealer();
    let bytes: Vec<u8> = (0..2975u32)
        .map(|i| u8::try_from(i * 7 % 256).unwrap())
        .collect();
    assert_round_trip(&s, &bytes);
}

#[test]
fn boxed_unsized_payloads_open_as_the_owned_types_of_the_same_shape() {
    let s = sample_sealer();
    let value = s.seal_at(&Box::<str>::from("boxed str"), T0).unwrap();
    assert_eq!(open_as::<String>(&s, &value).unwrap(), "boxed str");
    let value = s.seal_at(&Box::<[u32]>::from([3u32, 1, 4]), T0).unwrap();
    assert_eq!(open_as::<Vec<u32>>(&s, &value).unwrap(), [3, 1, 4]);
}

#[test]
fn sealing_the_same_payload_twice_gives_different_values_and_ids() {
    let s = sample_sealer();
    let a = s.seal_at(&7u32, T0).unwrap();
    let b = s.seal_at(&7u32, T0).unwrap();
    assert_ne!(a, b, "a fresh nonce is drawn for every value");
    let a = s.open_at::<u32>(&a, T0).unwrap();
    let b = s.open_at::<u32>(&b, T0).unwrap();
    assert!(!a.meta.session_id().ct_eq(b.meta.session_id()));
    assert!(a.meta.session_id().ct_eq(&a.meta.session_id().clone()));
}

#[test]
fn u64_opened_as_string_is_a_schema_mismatch() {
    let s = sample_sealer();
    // 300 is the varint `ac 02`: a string length of 44 with no bytes after it.
    let value = s.seal_at(&300u64, T0).unwrap();
    assert_eq!(
        open_as::<String>(&s, &value),
        Err(OpenError::SchemaMismatch)
    );
    assert_eq!(open_as::<u64>(&s, &value), Ok(300));
}

#[test]
fn struct_opened_as_struct_with_an_extra_field_is_a_schema_mismatch() {
    let s = sample_sealer();
    let value = s
        .seal_at(
            &Two {
                a: 1,
                b: "x".into(),
            },
            T0,
        )
        .unwrap();
    assert_eq!(open_as::<Three>(&s, &value), Err(OpenError::SchemaMismatch));
}

#[test]
fn struct_opened_as_struct_with_fewer_fields_is_a_schema_mismatch() {
    // The leftover bytes of the third field must not be ignored.
    let s = sample_sealer();
    let value = s
        .seal_at(
            &Three {
                a: 1,
                b: "x".into(),
                c: 9,
            },
            T0,
        )
        .unwrap();
    assert_eq!(open_as::<Two>(&s, &value), Err(OpenError::SchemaMismatch));
}

#[test]
fn a_value_of_another_type_is_refused_by_its_fingerprint_before_decoding() {
    let s = sample_sealer();
    let value = s.seal_at(&"hello".to_owned(), T0).unwrap();
    // "hello" is `05 68 65 6c 6c 6f`: it would decode as a u8 of 5 followed
    // by five spare bytes, but the sealed fingerprint says `str`.
    assert_eq!(open_as::<u8>(&s, &value), Err(OpenError::SchemaMismatch));
    let value = s.seal_at(&(1u8, 2u8), T0).unwrap();
    assert_eq!(open_as::<u8>(&s, &value), Err(OpenError::SchemaMismatch));
    assert_eq!(open_as::<()>(&s, &value), Err(OpenError::SchemaMismatch));
}

/// A `u8` that must be odd: its shape is `u8`, its values fewer.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(try_from = "u8")]
struct Odd(u8);

impl TryFrom<u8> for Odd {
    type Error = &'static str;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        if n % 2 == 1 {
            Ok(Self(n))
        } else {
            Err("even")
        }
    }
}

#[test]
fn a_value_of_the_same_shape_that_the_type_refuses_is_a_payload_mismatch() {
    let s = sample_sealer();
    assert_eq!(
        open_as::<Odd>(&s, &s.seal_at(&3u8, T0).unwrap()),
        Ok(Odd(3))
    );
    let value = s.seal_at(&4u8, T0).unwrap();
    let err = open_as::<Odd>(&s, &value).unwrap_err();
    assert_eq!(err, OpenError::PayloadMismatch);
    assert!(err.is_authenticated());
}

#[test]
fn values_of_other_types_are_a_schema_mismatch_even_where_they_would_decode() {
    let s = sample_sealer();
    let value = s.seal_at(&2u8, T0).unwrap();
    assert_eq!(open_as::<bool>(&s, &value), Err(OpenError::SchemaMismatch));
    let value = s.seal_at(&vec![0xffu8, 0xfe], T0).unwrap();
    assert_eq!(
        open_as::<String>(&s, &value),
        Err(OpenError::SchemaMismatch)
    );
    let value = s.seal_at(&7u32, T0).unwrap();
    assert_eq!(open_as::<Event>(&s, &value), Err(OpenError::SchemaMismatch));
    let value = s.seal_at(&(), T0).unwrap();
    assert_eq!(open_as::<u32>(&s, &value), Err(OpenError::SchemaMismatch));
}

#[test]
fn schema_mismatch_counts_as_authenticated() {
    let s = sample_sealer();
    let value = s.seal_at(&(), T0).unwrap();
    let err = open_as::<u64>(&s, &value).unwrap_err();
    assert_eq!(err, OpenError::SchemaMismatch);
    assert!(err.is_authenticated());
}

#[test]
fn timestamps_are_checked_before_the_payload_type() {
    // FORMAT.md §5: an expired value is refused as expired even if its
    // payload would not decode as the requested type either.
    let s = sample_sealer();
    let value = s.seal_at(&(), T0).unwrap();
    let late = t0_plus(24 * 3600);
    assert_eq!(
        s.open_at::<u64>(&value, late).map(|o| o.payload),
        Err(OpenError::Expired)
    );
}

/// A payload whose serialization always fails.
#[derive(Deserialize)]
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("refuses to serialize"))
    }
}

/// A sequence that does not know its length, which postcard cannot encode.
#[derive(Deserialize)]
struct UnknownLength;

impl Serialize for UnknownLength {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        seq.serialize_element(&1u8)?;
        seq.end()
    }
}

#[test]
fn payloads_that_cannot_be_serialized_give_seal_error_serialize() {
    let s = sample_sealer();
    assert_eq!(s.seal_at(&Unserializable, T0), Err(SealError::Serialize));
    assert_eq!(s.seal_at(&UnknownLength, T0), Err(SealError::Serialize));
    let opened = s.open_at::<()>(&s.seal_at(&(), T0).unwrap(), T0).unwrap();
    assert_eq!(
        s.reseal_at(&UnknownLength, &opened.meta, T0),
        Err(SealError::Serialize)
    );
}
