//! Size limits (FORMAT.md §7) found by construction, and configuration
//! refusals.

use std::time::Duration as StdDuration;

use sealed_session::format::encoded_len;
use sealed_session::{ConfigError, OpenError, SealError, Sealer, UnixSeconds, MAX_LIFETIME};

use crate::common::{ring, sealer, T0};

fn named(name: &str) -> Sealer {
    Sealer::builder(ring(1, 1))
        .with_cookie_name(name)
        .build()
        .unwrap()
}

/// A byte vector of `n` bytes, not all equal.
fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

/// The largest `n` such that a `Vec<u8>` of `n` bytes seals at `now`, found by
/// trying every `n` from `start` up, and the value it seals to.
fn largest_vec(s: &Sealer, now: UnixSeconds, start: usize) -> (usize, String) {
    let mut last = None;
    for n in start.. {
        match s.seal_at(&bytes(n), now) {
            Ok(value) => last = Some((n, value)),
            Err(SealError::TooLarge { .. }) => break,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    last.expect("the first length tried must fit")
}

#[test]
fn largest_payload_under_the_default_name_is_2977_postcard_bytes() {
    let s = sealer(ring(1, 1));
    assert_eq!(s.cookie_name(), "__Host-session");
    assert_eq!(s.max_cookie_bytes(), 4096);
    let (n, value) = largest_vec(&s, T0, 2900);
    // A Vec<u8> of 2975 bytes has a 2-byte length varint: 2977 bytes.
    assert_eq!(n, 2975);
    assert_eq!(value.len(), 4082);
    assert_eq!(value.len() + s.cookie_name().len(), 4096);
    let opened = s.open_at::<Vec<u8>>(&value, T0).unwrap();
    assert_eq!(opened.payload, bytes(n));
    assert_eq!(
        s.seal_at(&bytes(n + 1), T0),
        Err(SealError::TooLarge {
            actual: 4097,
            limit: 4096
        })
    );
}

#[test]
fn too_large_reports_the_size_the_cookie_would_have() {
    let s = sealer(ring(1, 1));
    for n in [2976, 2977, 2978, 3000, 5000, 100_000] {
        // 45 bytes of envelope, 39 of plaintext header, 2 or 3 of length.
        let varint = if n < 16_384 { 2 } else { 3 };
        let actual = 14 + encoded_len(45 + 39 + varint + n);
        assert_eq!(
            s.seal_at(&bytes(n), T0),
            Err(SealError::TooLarge {
                actual,
                limit: 4096
            }),
            "{n}"
        );
    }
}

#[test]
fn largest_payload_under_a_three_byte_name_is_2985_postcard_bytes() {
    let s = named("sid");
    let (n, value) = largest_vec(&s, T0, 2900);
    assert_eq!(n, 2983);
    // 4093 characters would be a length no unpadded base64 text has, so the
    // largest value is 4092 characters and the cookie 4095 bytes.
    assert_eq!(value.len(), 4092);
    assert_eq!(value.len() + 3, 4095);
    assert_eq!(
        s.seal_at(&bytes(n + 1), T0),
        Err(SealError::TooLarge {
            actual: 4097,
            limit: 4096
        })
    );
}

/// The largest value length, envelope and payload for cookie `name` at `T0`
/// under the default limit.
fn size_row(name: &str) -> (usize, usize, usize) {
    let (n, value) = largest_vec(&named(name), T0, 2900);
    (value.len(), value.len() * 3 / 4, n + 2)
}

#[test]
fn format_md_size_table_matches_the_sealer() {
    let doc = include_str!("../../FORMAT.md");
    for (name, cell) in [
        (
            "__Host-session",
            "| `__Host-session` (14 bytes, the default) |",
        ),
        ("sid", "| `sid` (3 bytes) |"),
    ] {
        let row = doc
            .lines()
            .find(|l| l.starts_with(cell))
            .unwrap_or_else(|| panic!("FORMAT.md §7 lacks {name}"));
        let (chars, envelope, payload) = size_row(name);
        let expected = format!(
            "{cell} 4096 | {chars} chars | {envelope} bytes | {} |",
            if name == "__Host-session" {
                format!("**{payload} bytes**")
            } else {
                format!("{payload} bytes")
            }
        );
        assert_eq!(row, expected);
    }
}

#[test]
fn size_rows_are_what_format_md_derives() {
    // The figures of the FORMAT.md §7 table that are right, computed.
    assert_eq!(size_row("__Host-session"), (4082, 3061, 2977));
    assert_eq!(size_row("sid"), (4092, 3069, 2985));
}

#[test]
fn empty_payload_gives_a_112_character_value() {
    let s = sealer(ring(1, 1));
    assert_eq!(s.seal_at(&(), T0).unwrap().len(), 112);
}

#[test]
fn value_length_follows_the_documented_formula() {
    // FORMAT.md §7: envelope 84 + p bytes at present-day timestamps.
    let s = sealer(ring(1, 1));
    for n in 0..=200 {
        let p = n + if n < 128 { 1 } else { 2 };
        let value = s.seal_at(&bytes(n), T0).unwrap();
        assert_eq!(value.len(), encoded_len(84 + p), "{n}");
    }
}

#[test]
fn largest_timestamps_take_ten_byte_varints() {
    let s = sealer(ring(1, 1));
    let now = UnixSeconds::new(u64::MAX - 86_400);
    let value = s.seal_at(&(), now).unwrap();
    assert_eq!(value.len(), encoded_len(45 + 3 * 10 + 16 + 8));
    assert!(s.open_at::<()>(&value, now).is_ok());
}

#[test]
fn open_refuses_values_over_the_limit_before_decoding() {
    let s = sealer(ring(1, 1));
    let just_over = "*".repeat(4096 - 14 + 1);
    assert_eq!(
        s.open_at::<()>(&just_over, T0).err(),
        Some(OpenError::TooLarge {
            actual: 4097,
            limit: 4096
        })
    );
    let at_limit = "*".repeat(4096 - 14);
    assert_eq!(
        s.open_at::<()>(&at_limit, T0).err(),
        Some(OpenError::Malformed)
    );
}

#[test]
fn a_smaller_limit_applies_to_sealing_and_opening() {
    let roomy = sealer(ring(1, 1));
    let tight = Sealer::builder(ring(1, 1))
        .with_max_cookie_bytes(1000)
        .build()
        .unwrap();
    assert_eq!(tight.max_cookie_bytes(), 1000);
    let value = roomy.seal_at(&bytes(1000), T0).unwrap();
    let actual = 14 + value.len();
    assert_eq!(
        tight.open_at::<Vec<u8>>(&value, T0).err(),
        Some(OpenError::TooLarge {
            actual,
            limit: 1000
        })
    );
    assert_eq!(
        tight.seal_at(&bytes(1000), T0),
        Err(SealError::TooLarge {
            actual,
            limit: 1000
        })
    );
    // 986 characters (4 * 246 + 2) are 739 bytes: 655 payload bytes.
    let (n, small) = largest_vec(&tight, T0, 0);
    assert_eq!(n, 653);
    assert_eq!(small.len() + 14, 1000);
    assert!(roomy.open_at::<Vec<u8>>(&small, T0).is_ok());
}

#[test]
fn a_larger_limit_allows_larger_cookies() {
    let big = Sealer::builder(ring(1, 1))
        .with_max_cookie_bytes(1 << 20)
        .build()
        .unwrap();
    let value = big.seal_at(&bytes(100_000), T0).unwrap();
    assert_eq!(
        big.open_at::<Vec<u8>>(&value, T0).unwrap().payload,
        bytes(100_000)
    );
    assert!(matches!(
        sealer(ring(1, 1)).open_at::<Vec<u8>>(&value, T0),
        Err(OpenError::TooLarge { .. })
    ));
}

#[test]
fn bad_cookie_names_are_refused() {
    let too_long = "a".repeat(65_536);
    let names = [
        "",
        "a b",
        " a",
        "a;b",
        "a=b",
        "a,b",
        "a:b",
        "a\"b",
        "a/b",
        "a\\b",
        "(a)",
        "<a>",
        "a@b",
        "[a]",
        "a?",
        "{a}",
        "a\tb",
        "a\nb",
        "a\0b",
        "a\u{7f}",
        "sessión",
        "セッション",
        too_long.as_str(),
    ];
    for name in names {
        let err = Sealer::builder(ring(1, 1))
            .with_cookie_name(name)
            .build()
            .err();
        assert_eq!(err, Some(ConfigError::InvalidCookieName), "{name:?}");
    }
}

#[test]
fn token_characters_are_accepted_in_cookie_names() {
    for name in [
        "a",
        "__Host-session",
        "__Secure-sid",
        "x!#$%&'*+-.^_`|~9",
        "SESSION",
    ] {
        let s = named(name);
        assert_eq!(s.cookie_name(), name);
        let value = s.seal_at(&1u8, T0).unwrap();
        assert_eq!(s.open_at::<u8>(&value, T0).unwrap().payload, 1);
    }
}

fn lifetime_err(
    f: impl FnOnce(sealed_session::SealerBuilder) -> sealed_session::SealerBuilder,
) -> Option<ConfigError> {
    f(Sealer::builder(ring(1, 1))).build().err()
}

#[test]
fn zero_and_overlong_lifetimes_are_refused() {
    let zero = StdDuration::ZERO;
    let half = StdDuration::from_millis(500);
    let over = MAX_LIFETIME + StdDuration::from_secs(1);
    for d in [zero, half, over] {
        assert_eq!(
            lifetime_err(|b| b.with_absolute_ttl(d)),
            Some(ConfigError::InvalidLifetime),
            "ttl {d:?}"
        );
        assert_eq!(
            lifetime_err(|b| b.with_idle_timeout(d)),
            Some(ConfigError::InvalidLifetime),
            "idle {d:?}"
        );
    }
    assert_eq!(
        lifetime_err(|b| b.with_clock_skew(over)),
        Some(ConfigError::InvalidLifetime)
    );
}

#[test]
fn boundary_lifetimes_are_accepted() {
    let one = StdDuration::from_secs(1);
    assert_eq!(MAX_LIFETIME, StdDuration::from_secs(36_525 * 86_400));
    for d in [one, MAX_LIFETIME] {
        assert_eq!(lifetime_err(|b| b.with_absolute_ttl(d)), None);
        assert_eq!(lifetime_err(|b| b.with_idle_timeout(d)), None);
        assert_eq!(lifetime_err(|b| b.with_clock_skew(d)), None);
    }
    assert_eq!(lifetime_err(|b| b.with_clock_skew(StdDuration::ZERO)), None);
    // A zero idle timeout followed by `without_idle_timeout` builds: the
    // last setting wins.
    assert_eq!(
        lifetime_err(|b| b
            .with_idle_timeout(StdDuration::ZERO)
            .without_idle_timeout()),
        None
    );
}

#[test]
fn a_limit_that_holds_an_empty_payload_is_accepted() {
    // An empty payload at the largest timestamps: 45 + 54 bytes, 132
    // characters, 146 bytes with the default name.
    let limit = 14 + encoded_len(45 + 54);
    assert_eq!(limit, 146);
    let s = Sealer::builder(ring(1, 1))
        .with_max_cookie_bytes(limit)
        .build()
        .unwrap();
    let late = UnixSeconds::new(u64::MAX - 86_400);
    let value = s.seal_at(&(), late).unwrap();
    assert_eq!(14 + value.len(), limit);
}

const FORMAT_MD: &str = include_str!("../../FORMAT.md");

#[test]
fn cookie_names_refuse_exactly_the_separators_format_md_lists() {
    // FORMAT.md §3: "other than the separators `( ) < > @ , ; : \ " / [ ] ? = { }`".
    let after = FORMAT_MD
        .split("other than the separators\n`")
        .nth(1)
        .expect("FORMAT.md §3 lists the separators");
    let list = after.split('`').next().unwrap();
    let separators: Vec<char> = list.split(' ').map(|s| s.chars().next().unwrap()).collect();
    assert_eq!(separators.len(), 17, "{list}");
    for byte in 0u8..=0x7f {
        let c = char::from(byte);
        let name = format!("a{c}b");
        let accepted = Sealer::builder(ring(1, 1))
            .with_cookie_name(name.as_str())
            .build()
            .is_ok();
        let printable = (0x21..=0x7e).contains(&byte);
        assert_eq!(accepted, printable && !separators.contains(&c), "{name:?}");
    }
}

#[test]
fn format_md_states_the_settings_bounds() {
    // FORMAT.md §14.
    assert_eq!(MAX_LIFETIME.as_secs(), 3_155_760_000);
    assert!(FORMAT_MD.contains("| 1 to 3155760000 (100 years of 36525 days) |"));
    assert!(FORMAT_MD.contains("at least `len(NAME) + 132`; no upper bound"));
    for name in ["a", "__Host-session", &"n".repeat(300)] {
        let build = |limit: usize| {
            Sealer::builder(ring(1, 1))
                .with_cookie_name(name)
                .with_max_cookie_bytes(limit)
                .build()
                .err()
        };
        let minimum = name.len() + 132;
        assert_eq!(
            build(minimum - 1),
            Some(ConfigError::LimitTooSmall { minimum })
        );
        assert_eq!(build(minimum), None);
        assert_eq!(build(1 << 20), None, "no upper bound for the sealer");
    }
}
