//! Cookie size: the exact limits of FORMAT.md §7 through the session layer,
//! a typed error with both sizes past them, and nothing ever truncated.

use sealed_session::format::encoded_len;
use sealed_session::{OpenError, SealError, SessionConfig, DEFAULT_MAX_COOKIE_BYTES};

use crate::support::{at, builder, clock, only, pair, secs, Data};

/// The session layer's payload for `Some(vec![_; n])` data and no flash
/// (FORMAT.md §11): `01`, the length varint, the bytes, then `00`.
fn record_len(n: usize) -> usize {
    let varint = match n {
        0..=127 => 1,
        128..=16_383 => 2,
        _ => 3,
    };
    1 + varint + n + 1
}

/// Name plus value for a payload of `p` bytes at present-day times
/// (FORMAT.md §7: the envelope is `84 + p` bytes).
fn cookie_len(name: &str, p: usize) -> usize {
    let b = 84 + p;
    name.len() + 4 * (b / 3) + [0, 2, 3][b % 3]
}

fn finish_bytes(config: &SessionConfig, n: usize) -> Result<String, SealError> {
    let mut session = config.new_session::<Vec<u8>>();
    session.insert(vec![0xa5; n]);
    session.finish().map(|response| only(&response).to_owned())
}

#[test]
fn the_size_formula_matches_the_format_table() {
    assert_eq!(DEFAULT_MAX_COOKIE_BYTES, 4096);
    assert_eq!(cookie_len("__Host-session", 2977), 4096);
    assert_eq!(cookie_len("__Host-session", 2978), 4097);
    // A value of 4k + 1 characters does not exist: with `sid`, the largest
    // cookie is 4095 bytes and one more payload byte makes 4097.
    assert_eq!(cookie_len("sid", 2985), 4095);
    assert_eq!(cookie_len("sid", 2986), 4097);
    assert_eq!(cookie_len("", 0), 112);
    for b in 0..200 {
        assert_eq!(cookie_len("", b), encoded_len(84 + b));
    }
    assert_eq!(record_len(2973), 2977);
}

#[test]
fn the_largest_session_fits_exactly_and_one_byte_more_fails() {
    let c = clock();
    for (name, largest, size) in [("__Host-session", 2973usize, 4096), ("sid", 2981, 4095)] {
        let config = builder(&c).with_cookie_name(name).build().unwrap();
        let header = finish_bytes(&config, largest).unwrap();
        let (n, value) = pair(&header);
        assert_eq!(n.len() + value.len(), size, "{name}");
        assert_eq!(n.len() + value.len(), cookie_len(name, record_len(largest)));
        // Not truncated: it opens with every byte.
        let session = config.load::<Vec<u8>, _>(Some(format!("{n}={value}")));
        assert_eq!(session.get(), Some(&vec![0xa5; largest]), "{name}");

        assert_eq!(
            finish_bytes(&config, largest + 1),
            Err(SealError::TooLarge {
                actual: 4097,
                limit: 4096
            }),
            "{name}"
        );
    }
}

#[test]
fn far_over_the_limit_reports_the_actual_size() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let err = finish_bytes(&config, 10_000).unwrap_err();
    assert_eq!(
        err,
        SealError::TooLarge {
            actual: 13_465,
            limit: 4096
        }
    );
    assert_eq!(cookie_len("__Host-session", record_len(10_000)), 13_465);
    assert_eq!(
        err.to_string(),
        "sealed cookie would be 13465 bytes, over the limit of 4096 bytes"
    );
}

#[test]
fn a_configured_limit() {
    let c = clock();
    let config = builder(&c).with_max_cookie_bytes(1000).build().unwrap();
    let header = finish_bytes(&config, 651).unwrap();
    let (n, v) = pair(&header);
    assert_eq!(n.len() + v.len(), 1000);
    assert_eq!(
        finish_bytes(&config, 652),
        Err(SealError::TooLarge {
            actual: 1001,
            limit: 1000
        })
    );
    // The same limit applies to what a request carries.
    let session = config.load::<Vec<u8>, _>(Some(header.split(';').next().unwrap()));
    assert_eq!(session.get().map(Vec::len), Some(651));
    let session = config.load::<Vec<u8>, _>(Some(format!("{n}={}", "A".repeat(987))));
    assert_eq!(
        session.load_error(),
        Some(&OpenError::TooLarge {
            actual: 1001,
            limit: 1000
        })
    );
}

#[test]
fn a_flash_counts_toward_the_size() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut session = config.new_session::<Vec<u8>>();
    session.insert(vec![0; 2973]);
    session.set_flash("x").unwrap();
    // The flash field grows from `00` to `01 02 01 78`: three bytes more.
    assert_eq!(
        session.finish(),
        Err(SealError::TooLarge {
            actual: cookie_len("__Host-session", 2977 + 3),
            limit: 4096
        })
    );
}

#[test]
fn every_path_that_seals_checks_the_size() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let small = finish_bytes(&config, 10).unwrap();
    let request = small.split(';').next().unwrap().to_owned();
    let too_large = Err(SealError::TooLarge {
        actual: 4097,
        limit: 4096,
    });

    // Re-seal of a loaded session after a write.
    c.advance(secs(10));
    let mut session = config.load::<Vec<u8>, _>(Some(&request));
    session.insert(vec![0; 2974]);
    assert_eq!(session.finish().map(|_| ()), too_large.clone());

    // Renew.
    let mut session = config.load::<Vec<u8>, _>(Some(&request));
    session.get_mut().unwrap().resize(2974, 0);
    session.renew();
    assert_eq!(session.finish().map(|_| ()), too_large.clone());

    // Regenerate, then store.
    let mut session = config.load::<Vec<u8>, _>(Some(&request));
    session.regenerate();
    session.insert(vec![0; 2974]);
    assert_eq!(session.finish().map(|_| ()), too_large.clone());

    // A flash alone added to a session that was just under.
    let full = finish_bytes(&config, 2973).unwrap();
    let mut session = config.load::<Vec<u8>, _>(Some(full.split(';').next().unwrap()));
    assert_eq!(session.get().map(Vec::len), Some(2973));
    session.set_flash(&()).unwrap();
    // `()` is empty in postcard: the flash field becomes `01 00`, one byte.
    assert_eq!(session.finish().map(|_| ()), too_large);

    // The request's cookie is untouched by a failed finish: it still opens.
    let session = config.load_at::<Vec<u8>, _>(Some(&request), at(20));
    assert_eq!(session.get().map(Vec::len), Some(10));
}

#[test]
fn an_oversize_request_cookie_is_refused_before_decoding() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    // 14 + 4082 = 4096: within the limit, decoded, refused on content.
    let session = config.load::<Data, _>(Some(format!("__Host-session={}", "A".repeat(4082))));
    assert_eq!(session.load_error(), Some(&OpenError::UnsupportedVersion));
    // 14 + 4083 = 4097: refused on size alone.
    let session = config.load::<Data, _>(Some(format!("__Host-session={}", "A".repeat(4083))));
    assert_eq!(
        session.load_error(),
        Some(&OpenError::TooLarge {
            actual: 4097,
            limit: 4096
        })
    );
    assert!(session.finish().unwrap().is_empty());
}
