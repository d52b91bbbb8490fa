//! `Cookie` request headers: the parser's rules, hostile headers, and how
//! `SessionConfig::load` picks among several candidates.

use std::fmt::Write as _;

use sealed_session::header::{cookie_values, MAX_COOKIE_CANDIDATES};
use sealed_session::{FixedClock, KeyId, Keyring, OpenError, SessionConfig, UnixSeconds};

use crate::support::{builder, clock, key, only, pair, Data, T0};

fn all(header: &str) -> Vec<&str> {
    cookie_values(header.as_bytes(), "sid").collect()
}

/// Asserts that `value` is a slice of `header`, not a copy, and returns its
/// offset.
fn offset_in(header: &[u8], value: &str) -> usize {
    let start = header.as_ptr().addr();
    let at = value.as_ptr().addr();
    assert!(
        at >= start && at + value.len() <= start + header.len(),
        "value is not a slice of the header"
    );
    let offset = at - start;
    assert_eq!(&header[offset..offset + value.len()], value.as_bytes());
    offset
}

/// A configuration for cookie `sid` at [`T0`].
fn config() -> (FixedClock, SessionConfig) {
    let c = clock();
    let config = builder(&c).with_cookie_name("sid").build().unwrap();
    (c, config)
}

/// A value of cookie `sid` sealed by `config` at its clock's time, holding
/// `user`.
fn seal(config: &SessionConfig, user: &str) -> String {
    let mut session = config.new_session::<Data>();
    session.insert(Data::user(user));
    pair(only(&session.finish().unwrap())).1.to_owned()
}

/// A value sealed under the same name and key id by another application
/// (another key): it fails authentication here.
fn forged(c: &FixedClock) -> String {
    let other = SessionConfig::builder(Keyring::new(KeyId::new(1), key(2)))
        .with_cookie_name("sid")
        .with_clock(c.clone())
        .build()
        .unwrap();
    seal(&other, "mallory")
}

/// A value of ours that is past its absolute expiry at [`T0`].
fn expired(c: &FixedClock, config: &SessionConfig) -> String {
    c.set(UnixSeconds::new(T0 - 86_400));
    let value = seal(config, "old");
    c.set(UnixSeconds::new(T0));
    value
}

fn user(config: &SessionConfig, header: &str) -> Option<String> {
    config
        .load::<Data, _>(Some(header))
        .get()
        .and_then(|d| d.user.clone())
}

#[test]
fn pairs_and_space_tab_trimming() {
    assert_eq!(all("sid=1"), ["1"]);
    assert_eq!(all("a=0;sid=1;b=2"), ["1"]);
    assert_eq!(all(" \t sid \t = \t 1 \t ; b=2"), ["1"]);
    assert_eq!(all("sid=a b"), ["a b"], "inner white space is kept");
    assert_eq!(all("sid=; sid= \t ;sid"), ["", ""]);
    assert_eq!(all("sid=a=b=="), ["a=b=="], "the first '=' splits");
    assert_eq!(all("sid=\"quoted\""), ["\"quoted\""], "quotes are kept");
    assert_eq!(all(""), Vec::<&str>::new());
}

#[test]
fn no_other_white_space_is_trimmed() {
    for ws in [
        "\u{a0}", "\u{2003}", "\u{3000}", "\u{feff}", "\n", "\r", "\u{b}", "\u{c}",
    ] {
        assert!(
            all(&format!("{ws}sid=1")).is_empty(),
            "{ws:?} before the name"
        );
        assert!(
            all(&format!("sid{ws}=1")).is_empty(),
            "{ws:?} after the name"
        );
        assert_eq!(
            all(&format!("sid={ws}1{ws}")),
            [format!("{ws}1{ws}")],
            "{ws:?}"
        );
    }
}

#[test]
fn empty_pairs_are_skipped() {
    assert_eq!(all(";;; ;\t; sid=1;;"), ["1"]);
    assert_eq!(all(";"), Vec::<&str>::new());
    assert_eq!(all("sid=1;"), ["1"]);
}

#[test]
fn nameless_pairs_never_match() {
    assert!(all("=sid; =sid=1; = sid=1; \t=1; sid; sid ;").is_empty());
    // Not even for the empty name.
    assert_eq!(cookie_values(b"=1; =; 2; ; =x=y", "").count(), 0);
    let (_c, config) = config();
    let value = seal(&config, "ada");
    for header in [
        format!("={value}"),
        format!("=sid={value}"),
        format!(" = {value}"),
        value.clone(),
    ] {
        let session = config.load::<Data, _>(Some(&header));
        assert!(session.is_new(), "{header}");
        assert_eq!(session.load_error(), None, "nothing was a candidate");
    }
}

#[test]
fn names_match_exactly() {
    assert!(all("SID=1; Sid=2; sidx=3; xsid=4; s id=5; si=6; sid\u{0}=7").is_empty());
    assert_eq!(all("SID=1; sid=2"), ["2"]);
}

#[test]
fn values_are_slices_of_the_input() {
    let header = b"a=1; sid= first ;x=y;  sid=second";
    let found: Vec<&str> = cookie_values(header, "sid").collect();
    assert_eq!(found, ["first", "second"]);
    assert_eq!(offset_in(header, found[0]), 10);
    assert_eq!(offset_in(header, found[1]), 27);
    // Also for a huge value.
    let big = format!("sid={}", "A".repeat(1 << 20));
    let value = cookie_values(big.as_bytes(), "sid").next().unwrap();
    assert_eq!(value.len(), 1 << 20);
    assert_eq!(offset_in(big.as_bytes(), value), 4);
}

#[test]
fn non_ascii_and_invalid_utf8() {
    assert_eq!(all("é=1; sid=ok; 名=値; sid=é"), ["ok", "é"]);
    let header: &[u8] = b"\xff\xfe=\x80; sid=\xc3\x28; \xffsid=1; sid=ok; sid=\xe2\x82";
    let found: Vec<&str> = cookie_values(header, "sid").collect();
    assert_eq!(found, ["ok"], "invalid UTF-8 values are skipped");
    offset_in(header, found[0]);

    let (_c, config) = config();
    let value = seal(&config, "ada");
    let mut raw = b"\xc0\xff=\xfe\xfe; sid=\xff\xff; pi=\xcf\x80; ".to_vec();
    raw.extend_from_slice(format!("sid={value}").as_bytes());
    let session = config.load::<Data, _>(Some(&raw));
    assert_eq!(session.get(), Some(&Data::user("ada")));
    // A non-ASCII value of our name is a candidate that does not open.
    let session = config.load::<Data, _>(Some("sid=é"));
    assert!(session.is_new());
    assert_eq!(session.load_error(), Some(&OpenError::Malformed));
}

#[test]
fn sixty_four_kib_of_pairs() {
    let (c, config) = config();
    let value = seal(&config, "ada");
    let mut header = String::new();
    let mut n = 0;
    while header.len() < 64 * 1024 {
        write!(header, "c{n}=v{n}; ").unwrap();
        n += 1;
    }
    header.push_str("sid=");
    header.push_str(&value);
    assert_eq!(all(&header), [value.as_str()]);
    assert_eq!(user(&config, &header).as_deref(), Some("ada"));

    // 64 KiB of pairs all carrying our name: every one is found by the
    // parser, but loading tries only the first few, so the valid value
    // after them is never reached.
    let fake = forged(&c);
    let mut header = String::new();
    let mut count = 0;
    while header.len() < 64 * 1024 {
        write!(header, "sid={fake}; ").unwrap();
        count += 1;
    }
    header.push_str("sid=");
    header.push_str(&value);
    assert_eq!(all(&header).len(), count + 1);
    let session = config.load::<Data, _>(Some(&header));
    assert!(session.is_new());
    assert_eq!(session.load_error(), Some(&OpenError::AuthenticationFailed));
}

#[test]
fn one_mib_value() {
    let (_c, config) = config();
    let value = seal(&config, "ada");
    let huge = "A".repeat(1 << 20);
    let session = config.load::<Data, _>(Some(format!("sid={huge}")));
    assert!(session.is_new());
    assert_eq!(
        session.load_error(),
        Some(&OpenError::TooLarge {
            actual: 3 + (1 << 20),
            limit: 4096
        })
    );
    assert!(session.finish().unwrap().is_empty(), "not ours: no removal");
    // Elsewhere in the header, or before our valid value, it changes nothing.
    let header = format!("big={huge}; sid={huge}; sid={value}");
    assert_eq!(user(&config, &header).as_deref(), Some("ada"));
}

#[test]
fn a_hundred_thousand_separators() {
    let (_c, config) = config();
    let value = seal(&config, "ada");
    for filler in [";", "; ", "=", ";=", " ", "\t", "=;"] {
        let run = filler.repeat(100_000);
        let header = format!("{run}sid={value}{run}");
        if filler == "=" {
            // `===…sid=v` is one nameless pair.
            assert!(all(&header).is_empty(), "{filler:?}");
        } else if filler == ";=" {
            // `…;=sid=v;=;=…`: a nameless pair again.
            assert!(all(&header).is_empty(), "{filler:?}");
        } else if filler == " " || filler == "\t" {
            // Trimmed from the name; trailing ones trimmed from the value.
            assert_eq!(all(&header), [value.as_str()], "{filler:?}");
        } else if filler == "=;" {
            // `…=;sid=v=;=;…`: the value runs to the next ';'.
            assert_eq!(all(&header), [format!("{value}=")], "{filler:?}");
        } else {
            assert_eq!(all(&header), [value.as_str()], "{filler:?}");
            assert_eq!(user(&config, &header).as_deref(), Some("ada"), "{filler:?}");
        }
    }
    let header = format!("sid={}", "=".repeat(100_000));
    assert_eq!(all(&header), ["=".repeat(100_000)]);
    let session = config.load::<Data, _>(Some(&header));
    assert_eq!(
        session.load_error(),
        Some(&OpenError::TooLarge {
            actual: 100_003,
            limit: 4096
        })
    );
}

#[test]
fn our_cookie_among_many() {
    let (_c, config) = config();
    let value = seal(&config, "ada");
    for position in [0, 1, 500, 999, 1000] {
        let mut pairs: Vec<String> = (0..1000).map(|i| format!("k{i}=v{i}")).collect();
        pairs.insert(position, format!("sid={value}"));
        let header = pairs.join("; ");
        assert_eq!(user(&config, &header).as_deref(), Some("ada"), "{position}");
    }
}

#[test]
fn duplicates_in_both_orders() {
    let (c, config) = config();
    let value = seal(&config, "ada");
    let others = [
        ("forged", forged(&c)),
        ("garbage", "garbage".to_owned()),
        ("empty", String::new()),
        ("expired", expired(&c, &config)),
    ];
    for (what, other) in &others {
        for header in [
            format!("sid={value}; sid={other}"),
            format!("sid={other}; sid={value}"),
        ] {
            let session = config.load::<Data, _>(Some(&header));
            assert_eq!(session.get(), Some(&Data::user("ada")), "{what}: {header}");
            assert_eq!(session.load_error(), None, "{what}");
            // Nothing to say back: the dead duplicate is not removed, since
            // a removal would also remove the valid cookie (same name).
            assert!(session.finish().unwrap().is_empty(), "{what}");
        }
    }
    // Two valid sessions: the first in header order wins.
    let other = seal(&config, "bob");
    assert_eq!(
        user(&config, &format!("sid={other}; sid={value}")).as_deref(),
        Some("bob")
    );
    assert_eq!(
        user(&config, &format!("sid={value}; sid={other}")).as_deref(),
        Some("ada")
    );
}

#[test]
fn candidates_are_bounded() {
    assert_eq!(MAX_COOKIE_CANDIDATES, 8);
    let (c, config) = config();
    let value = seal(&config, "ada");
    let fake = forged(&c);
    let header = |forged_before: usize| {
        let mut h = format!("sid={fake}; ").repeat(forged_before);
        h.push_str("sid=");
        h.push_str(&value);
        h
    };
    let reached = config.load::<Data, _>(Some(header(MAX_COOKIE_CANDIDATES - 1)));
    assert_eq!(reached.get(), Some(&Data::user("ada")));
    assert_eq!(reached.load_error(), None);
    for n in [MAX_COOKIE_CANDIDATES, MAX_COOKIE_CANDIDATES + 1, 1000] {
        let session = config.load::<Data, _>(Some(header(n)));
        assert!(session.is_new(), "{n} forged candidates first");
        assert_eq!(session.load_error(), Some(&OpenError::AuthenticationFailed));
    }

    // The bound counts across several Cookie headers (HTTP/2 splits them).
    let four = format!("sid={fake}; ").repeat(4);
    let three = format!("sid={fake}; ").repeat(3);
    let last = format!("sid={value}");
    let session = config.load::<Data, _>([&four, &four, &last]);
    assert!(session.is_new());
    let session = config.load::<Data, _>([&three, &four, &last]);
    assert_eq!(session.get(), Some(&Data::user("ada")));

    // And for values a framework already extracted.
    let now = UnixSeconds::new(T0);
    let mut values: Vec<&str> = vec![fake.as_str(); MAX_COOKIE_CANDIDATES];
    values.push(&value);
    assert!(config.load_values_at::<Data>(values.clone(), now).is_new());
    values.remove(0);
    assert_eq!(
        config.load_values_at::<Data>(values, now).get(),
        Some(&Data::user("ada"))
    );

    // Values that are not UTF-8 are skipped by the parser, not tried.
    let mut raw = b"sid=\xff; ".repeat(2 * MAX_COOKIE_CANDIDATES);
    raw.extend_from_slice(format!("sid={value}").as_bytes());
    assert_eq!(
        config.load::<Data, _>(Some(&raw)).get(),
        Some(&Data::user("ada"))
    );
}

#[test]
fn cookies_split_over_several_headers() {
    let (_c, config) = config();
    let value = seal(&config, "ada");
    let session = config.load::<Data, _>(["a=1; b=2", "", &format!("c=3; sid={value}")]);
    assert_eq!(session.get(), Some(&Data::user("ada")));
    let session = config.load::<Data, _>(Vec::<String>::new());
    assert!(session.is_new());
    assert_eq!(session.load_error(), None);
}

#[test]
fn preferred_load_error() {
    let (c, config) = config();
    let old = expired(&c, &config);
    let fake = forged(&c);
    // An error after authentication wins over one before, in either order.
    for header in [
        format!("sid=garbage; sid={old}"),
        format!("sid={old}; sid=garbage"),
        format!("sid={fake}; sid={old}; sid=x"),
    ] {
        let session = config.load::<Data, _>(Some(&header));
        assert_eq!(session.load_error(), Some(&OpenError::Expired), "{header}");
        assert!(session.is_new());
    }
    // Otherwise the first error is kept.
    let session = config.load::<Data, _>(Some(format!("sid=garbage; sid={fake}")));
    assert_eq!(session.load_error(), Some(&OpenError::Malformed));
    let session = config.load::<Data, _>(Some(format!("sid={fake}; sid=garbage")));
    assert_eq!(session.load_error(), Some(&OpenError::AuthenticationFailed));
}

#[test]
fn extracted_values() {
    let (_c, config) = config();
    let value = seal(&config, "ada");
    let session = config.load_value::<Data>(None);
    assert!(session.is_new());
    assert_eq!(session.load_error(), None);
    let session = config.load_value::<Data>(Some(""));
    assert_eq!(session.load_error(), Some(&OpenError::Malformed));
    let session = config.load_value::<Data>(Some(&value));
    assert_eq!(session.get(), Some(&Data::user("ada")));
    // A framework value is used as given: white space is not ours to trim.
    let session = config.load_value::<Data>(Some(&format!(" {value}")));
    assert_eq!(session.load_error(), Some(&OpenError::Malformed));
    // Raw header values are trimmed of spaces and tabs.
    assert_eq!(
        user(&config, &format!("sid=\t {value} \t")).as_deref(),
        Some("ada")
    );
    assert_eq!(
        config
            .load::<Data, _>(Some(format!("sid=\u{a0}{value}")))
            .load_error(),
        Some(&OpenError::Malformed)
    );
    assert_eq!(
        config
            .load::<Data, _>(Some(format!("sid=\"{value}\"")))
            .load_error(),
        Some(&OpenError::Malformed)
    );
}
