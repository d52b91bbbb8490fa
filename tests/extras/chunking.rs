//! Chunking: a session too large for one cookie spread over `NAME`,
//! `NAME.1`, … `NAME.{n-1}`, authenticated as one unit.

use sealed_session::format::{encoded_len, ENVELOPE_OVERHEAD_BYTES};
use sealed_session::{OpenError, SealError, SessionConfig};

use crate::support::{
    assert_forgery_refused, assert_refused, config, config_from, flip_char, header, load_pairs,
    parse_response, removed, ring, set_names, stored, Jar, LIMIT, NAME, PIECE, T0,
};

type Data = Vec<u8>;

/// A payload of `len` bytes that is not one repeated byte.
fn payload(len: usize, seed: u8) -> Data {
    (0..len)
        .map(|i| u8::try_from((i * 31 + usize::from(seed)) % 251).unwrap())
        .collect()
}

/// Seals a new session holding `payload(len, seed)` with `config`, built
/// `with_chunking(cap)`. A new session carried no chunk, so the response
/// removes exactly the chunk names a chunked write always clears: those
/// from its own count up to the cap (none for a single cookie).
fn seal(
    config: &SessionConfig,
    cap: u8,
    len: usize,
    seed: u8,
) -> Result<Vec<(String, String)>, SealError> {
    let mut session = config.new_session::<Data>();
    session.insert(payload(len, seed));
    let response = session.finish()?;
    let cookies = stored(&response);
    assert_eq!(
        removed(&response),
        cleared_above(cookies.len(), cap),
        "a new session of {} cookies under a cap of {cap}",
        cookies.len()
    );
    Ok(cookies)
}

/// The chunk cookie names `NAME.i` for `i` in `range`.
fn chunk_names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{NAME}.{i}")).collect()
}

/// What a write of `n` cookies under `with_chunking(cap)` removes whether
/// or not the request carried it: `NAME.n` to `NAME.{cap-1}` for a chunked
/// write (a chunk left by another response would break the count), nothing
/// for a single cookie.
fn cleared_above(n: usize, cap: u8) -> Vec<String> {
    if n < 2 {
        Vec::new()
    } else {
        chunk_names(n..usize::from(cap))
    }
}

/// The largest payload length sealed into at most `chunks` cookies.
fn largest_len(config: &SessionConfig, cap: u8, chunks: usize) -> usize {
    let fits = |len: usize| seal(config, cap, len, 0).is_ok_and(|c| c.len() <= chunks);
    assert!(fits(0));
    let (mut lo, mut hi) = (0usize, 64 * 1024);
    assert!(!fits(hi));
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The sealed value behind a set of chunk cookies, joined again.
fn joined(cookies: &[(String, String)]) -> String {
    let mut whole = String::new();
    for (i, (_, value)) in cookies.iter().enumerate() {
        if i == 0 && cookies.len() > 1 {
            whole.push_str(&value[2..]);
        } else {
            whole.push_str(value);
        }
    }
    whole
}

/// The postcard length of `Vec<u8>`'s length prefix.
fn varint_len(n: usize) -> usize {
    let mut len = 1;
    let mut rest = n >> 7;
    while rest > 0 {
        len += 1;
        rest >>= 7;
    }
    len
}

/// The cookie (name plus value) a session holding `len` bytes needs, at
/// [`T0`], before chunking: three 5-byte timestamps, the 16-byte id, the 8-byte type fingerprint, then
/// the record (`Some`, the vector, no flash).
fn sealed_size(len: usize) -> usize {
    let plain = 3 * 5 + 16 + 8 + 1 + varint_len(len) + len + 1;
    NAME.len() + encoded_len(ENVELOPE_OVERHEAD_BYTES + plain)
}

/// The expected cookie names for `n` chunks.
fn names_for(n: usize) -> Vec<String> {
    let mut names = vec![NAME.to_owned()];
    names.extend((1..n).map(|i| format!("{NAME}.{i}")));
    names
}

/// A 4-chunk session (chunking up to 9) and its payload.
fn four_chunks() -> (SessionConfig, Vec<(String, String)>, Data) {
    let (_, config) = config(|b| b.with_chunking(9));
    let len = 3 * PIECE * 3 / 4; // a little over three chunks of value text
    let cookies = seal(&config, 9, len, 1).unwrap();
    assert_eq!(cookies.len(), 4);
    (config, cookies, payload(len, 1))
}

fn with_value(cookies: &[(String, String)], at: usize, value: String) -> Vec<(String, String)> {
    let mut out = cookies.to_vec();
    out[at].1 = value;
    out
}

#[test]
fn round_trip_at_every_chunk_count() {
    let (_, config) = config(|b| b.with_chunking(9));
    let mut previous = 0;
    for n in 1..=9 {
        let largest = largest_len(&config, 9, n);
        assert!(largest > previous, "{n} chunks carry more than {}", n - 1);
        for len in [previous + 1, (previous + largest) / 2, largest] {
            let cookies = seal(&config, 9, len, u8::try_from(n).unwrap()).unwrap();
            let names: Vec<String> = cookies.iter().map(|(n, _)| n.clone()).collect();
            assert_eq!(names, names_for(n), "len {len}");
            if n == 1 {
                assert!(!cookies[0].1.contains('.'), "a plain value has no prefix");
            } else {
                assert!(cookies[0].1.starts_with(&format!("{n}.")), "len {len}");
            }
            let session = load_pairs::<Data>(&config, &cookies);
            assert_eq!(session.load_error(), None, "{n} chunks, len {len}");
            assert_eq!(
                session.get(),
                Some(&payload(len, u8::try_from(n).unwrap())),
                "len {len}"
            );
            assert_eq!(session.meta().unwrap().issued_at().as_secs(), T0);
        }
        previous = largest;
    }
}

#[test]
fn a_chunked_session_lives_across_requests_in_a_jar() {
    let (clock, config) = config(|b| b.with_chunking(4));
    let mut jar = Jar::default();
    let mut session = jar.load::<Data>(&config);
    session.insert(payload(9000, 3));
    let response = jar.finish(session);
    // Three chunks under a cap of four: the one unused name is cleared.
    assert_eq!(removed(&response), [format!("{NAME}.3")]);
    assert_eq!(jar.names(), names_for(3));
    let removal = crate::support::parse_set_cookie(&config.removal_cookie());
    for step in 0..5u8 {
        clock.advance(std::time::Duration::from_secs(60));
        let mut session = jar.load::<Data>(&config);
        assert_eq!(session.load_error(), None, "step {step}");
        let data = session.get_mut().unwrap();
        data[usize::from(step)] = step;
        let expected = data.clone();
        let response = jar.finish(session);
        assert_eq!(set_names(&response), names_for(3));
        assert_eq!(removed(&response), [format!("{NAME}.3")], "step {step}");
        // Every chunk carries the same, shrinking, Max-Age; the removal
        // carries the removal attributes.
        let max_age = format!(" Max-Age={};", 86_400 - 60 * (u32::from(step) + 1));
        for cookie in parse_response(&response) {
            if cookie.removal {
                assert_eq!(cookie.attributes, removal.attributes, "{}", cookie.name);
                assert!(cookie.value.is_empty());
            } else {
                assert!(
                    cookie.attributes.starts_with(&max_age),
                    "{}",
                    cookie.attributes
                );
            }
        }
        assert_eq!(jar.load::<Data>(&config).get(), Some(&expected));
    }
}

#[test]
fn every_cookie_fits_the_limit_and_shares_attributes() {
    let (_, config) = config(|b| b.with_chunking(9));
    let largest = largest_len(&config, 9, 9);
    let removal = crate::support::parse_set_cookie(&config.removal_cookie());
    for len in (0..=largest).step_by(613).chain([largest]) {
        let mut session = config.new_session::<Data>();
        session.insert(payload(len, 2));
        let response = session.finish().unwrap();
        let n = set_names(&response).len();
        // The sets come first, then the removals of the unused chunk names.
        assert_eq!(removed(&response), cleared_above(n, 9), "len {len}");
        let cookies = parse_response(&response);
        assert_eq!(cookies.len(), if n == 1 { 1 } else { 9 }, "len {len}");
        for (i, cookie) in cookies.iter().take(n).enumerate() {
            assert!(!cookie.removal, "len {len}, cookie {i}");
            assert!(
                cookie.name.len() + cookie.value.len() <= LIMIT,
                "len {len}: {} is {} bytes",
                cookie.name,
                cookie.name.len() + cookie.value.len()
            );
            assert_eq!(
                cookie.attributes, " Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax",
                "len {len}, cookie {i}"
            );
            // Every chunk but the last is full.
            if n > 1 && i + 1 < n {
                assert_eq!(cookie.name.len() + cookie.value.len(), LIMIT, "len {len}");
            }
            if n > 1 && i + 1 == n {
                assert!(!cookie.value.is_empty(), "len {len}: empty last chunk");
            }
        }
        for cookie in &cookies[n..] {
            assert!(cookie.removal, "len {len}: {}", cookie.name);
            assert_eq!(cookie.attributes, removal.attributes, "len {len}");
        }
    }
}

#[test]
fn each_chunk_boundary_is_exact() {
    let (_, config) = config(|b| b.with_chunking(9));
    for n in 1..=8 {
        let largest = largest_len(&config, 9, n);
        let at = seal(&config, 9, largest, 0).unwrap();
        let over = seal(&config, 9, largest + 1, 0).unwrap();
        assert_eq!(at.len(), n, "largest payload for {n} chunks");
        assert_eq!(over.len(), n + 1, "one byte more than the largest for {n}");
        let room = if n == 1 {
            LIMIT - NAME.len()
        } else {
            n * PIECE
        };
        assert!(joined(&at).len() <= room, "{n}: {}", joined(&at).len());
        assert!(joined(&over).len() > room, "{n}: {}", joined(&over).len());
        // The new last chunk holds only what did not fit in n full pieces.
        let last = &over.last().unwrap().1;
        assert_eq!(joined(&over).len() - n * PIECE, last.len(), "{n}");
        assert!(last.len() <= 4, "{n}: last chunk of {} chars", last.len());
        assert_eq!(NAME.len() + joined(&at).len(), sealed_size(largest));
    }
}

#[test]
fn above_the_cap_is_too_large_with_the_chunked_capacity() {
    for k in 1..=9u8 {
        let (_, config) = config(|b| b.with_chunking(k));
        let largest = largest_len(&config, k, usize::from(k));
        assert_eq!(seal(&config, k, largest, 0).unwrap().len(), usize::from(k));
        let capacity = if k == 1 {
            LIMIT
        } else {
            NAME.len() + usize::from(k) * PIECE
        };
        for len in [largest + 1, largest + 2, largest + 1000, 1 << 20] {
            match seal(&config, k, len, 0) {
                Err(SealError::TooLarge { actual, limit }) => {
                    assert_eq!(limit, capacity, "chunking({k})");
                    assert_eq!(actual, sealed_size(len), "chunking({k}), len {len}");
                    assert!(actual > limit);
                }
                other => panic!("chunking({k}), len {len}: {other:?}"),
            }
        }
        assert!(sealed_size(largest) <= capacity);
        assert!(sealed_size(largest + 1) > capacity);
    }
}

#[test]
fn too_large_with_a_small_cookie_limit() {
    let (_, config) = config(|b| b.with_chunking(3).with_max_cookie_bytes(512));
    let mut session = config.new_session::<Data>();
    session.insert(payload(5000, 0));
    assert_eq!(
        session.finish().err(),
        Some(SealError::TooLarge {
            actual: sealed_size(5000),
            limit: NAME.len() + 3 * (512 - NAME.len() - 2),
        })
    );
    let largest = largest_len(&config, 3, 3);
    let cookies = seal(&config, 3, largest, 0).unwrap();
    assert_eq!(cookies.len(), 3);
    for (name, value) in &cookies {
        assert!(name.len() + value.len() <= 512);
    }
    assert_eq!(
        load_pairs::<Data>(&config, &cookies).get(),
        Some(&payload(largest, 0))
    );
}

/// The largest `Vec<u8>` each chunk limit carries with the default name and
/// limit at `T0`, found by search through the public API.
#[test]
fn capacity_in_payload_bytes() {
    let mut found = Vec::new();
    for k in [2u8, 3, 4, 9] {
        let (_, config) = config(|b| b.with_chunking(k));
        let largest = largest_len(&config, k, usize::from(k));
        assert!(seal(&config, k, largest + 1, 0).is_err());
        found.push((k, largest));
    }
    assert_eq!(found, [(2, 6032), (3, 9092), (4, 12152), (9, 27451)]);
}

#[test]
fn invalid_chunk_limits_are_refused() {
    for k in [0u8, 10, 11, 255] {
        let built = SessionConfig::builder(ring()).with_chunking(k).build();
        assert_eq!(
            built.err(),
            Some(sealed_session::ConfigError::InvalidChunking),
            "{k}"
        );
    }
    for k in 1..=9u8 {
        assert!(SessionConfig::builder(ring())
            .with_chunking(k)
            .build()
            .is_ok());
    }
}

#[test]
fn dropping_any_chunk_is_refused() {
    let (config, cookies, _) = four_chunks();
    for drop in 1..cookies.len() {
        let mut tampered = cookies.clone();
        tampered.remove(drop);
        let session = load_pairs::<Data>(&config, &tampered);
        assert_refused(
            &session,
            &OpenError::ChunksMismatch,
            &format!("drop {drop}"),
        );
    }
    // Several at once.
    let session = load_pairs::<Data>(&config, &cookies[..2]);
    assert_refused(&session, &OpenError::ChunksMismatch, "drop the last two");
}

#[test]
fn dropping_the_first_cookie_leaves_orphans_that_a_new_session_removes() {
    let (config, cookies, _) = four_chunks();
    let session = load_pairs::<Data>(&config, &cookies[1..]);
    assert!(session.is_new());
    assert!(session.get().is_none());
    assert_eq!(session.load_error(), None, "no session cookie was sent");
    // Nothing written: nothing to send.
    assert!(session.finish().unwrap().is_empty());
    // Written: the new session replaces the orphans.
    let mut session = load_pairs::<Data>(&config, &cookies[1..]);
    session.insert(vec![1, 2, 3]);
    let response = session.finish().unwrap();
    assert_eq!(set_names(&response), [NAME]);
    assert_eq!(removed(&response), names_for(4)[1..]);
}

#[test]
fn duplicating_any_chunk_is_refused() {
    let (config, cookies, data) = four_chunks();
    let other = seal(&config, 9, data.len(), 9).unwrap();
    for dup in 1..cookies.len() {
        // The same value twice, next to each other and at the end.
        let mut next_to = cookies.clone();
        next_to.insert(dup, cookies[dup].clone());
        let mut at_end = cookies.clone();
        at_end.push(cookies[dup].clone());
        // Another session's chunk under the same name, before ours.
        let mut foreign = cookies.clone();
        foreign.insert(dup, other[dup].clone());
        for (what, tampered) in [
            ("adjacent", next_to),
            ("at end", at_end),
            ("foreign", foreign),
        ] {
            let session = load_pairs::<Data>(&config, &tampered);
            assert_refused(
                &session,
                &OpenError::ChunksMismatch,
                &format!("dup {dup} {what}"),
            );
        }
        // The duplicate in a second Cookie header.
        let session = config.load::<Data, _>([header(&cookies), header(&cookies[dup..=dup])]);
        assert_refused(
            &session,
            &OpenError::ChunksMismatch,
            &format!("dup {dup} split"),
        );
    }
}

#[test]
fn a_repeated_first_cookie_is_only_another_candidate() {
    // Several cookies named NAME are each tried (another path, a sibling
    // domain); the chunks must match the one that opens.
    let (config, cookies, data) = four_chunks();
    let mut twice = cookies.clone();
    twice.insert(1, cookies[0].clone());
    let session = load_pairs::<Data>(&config, &twice);
    assert_eq!(session.get(), Some(&data));
    // Another session's first cookie in front: tried, refused, then ours opens.
    let other = seal(&config, 9, data.len(), 9).unwrap();
    let mut front = cookies.clone();
    front.insert(0, other[0].clone());
    let session = load_pairs::<Data>(&config, &front);
    assert_eq!(session.get(), Some(&data));
}

#[test]
fn extra_chunks_are_refused() {
    let (config, cookies, _) = four_chunks();
    for index in 4..=8 {
        for value in [cookies[1].1.clone(), cookies[3].1.clone(), String::new()] {
            let mut tampered = cookies.clone();
            tampered.push((format!("{NAME}.{index}"), value));
            let session = load_pairs::<Data>(&config, &tampered);
            assert_refused(
                &session,
                &OpenError::ChunksMismatch,
                &format!("extra {NAME}.{index}"),
            );
        }
    }
}

#[test]
fn reordered_chunks_are_refused() {
    let (config, cookies, _) = four_chunks();
    // Two full middle chunks swapped: same lengths, wrong order.
    let mut swapped = cookies.clone();
    swapped[1].1 = cookies[2].1.clone();
    swapped[2].1 = cookies[1].1.clone();
    let session = load_pairs::<Data>(&config, &swapped);
    assert_refused(&session, &OpenError::AuthenticationFailed, "swap 1 and 2");
    // Every pair of pieces, the first piece included.
    let pieces: Vec<String> = cookies
        .iter()
        .enumerate()
        .map(|(i, (_, v))| if i == 0 { v[2..].to_owned() } else { v.clone() })
        .collect();
    for a in 0..pieces.len() {
        for b in a + 1..pieces.len() {
            let mut order: Vec<usize> = (0..pieces.len()).collect();
            order.swap(a, b);
            let tampered: Vec<(String, String)> = order
                .iter()
                .enumerate()
                .map(|(slot, &piece)| {
                    let value = if slot == 0 {
                        format!("4.{}", pieces[piece])
                    } else {
                        pieces[piece].clone()
                    };
                    (cookies[slot].0.clone(), value)
                })
                .collect();
            let session = load_pairs::<Data>(&config, &tampered);
            assert_forgery_refused(&session, &format!("swap pieces {a} and {b}"));
        }
    }
    // The cookies in reverse header order are fine: names carry the order.
    let mut reversed = cookies.clone();
    reversed.reverse();
    assert!(load_pairs::<Data>(&config, &reversed).get().is_some());
}

#[test]
fn chunks_from_another_session_are_refused() {
    let (config, cookies, data) = four_chunks();
    let other = seal(&config, 9, data.len(), 1).unwrap(); // same payload, new id and nonce
    assert_eq!(load_pairs::<Data>(&config, &other).get(), Some(&data));
    for at in 0..cookies.len() {
        let mut mixed = cookies.clone();
        mixed[at] = other[at].clone();
        let session = load_pairs::<Data>(&config, &mixed);
        assert_refused(
            &session,
            &OpenError::AuthenticationFailed,
            &format!("chunk {at} from another session"),
        );
    }
    // Half and half.
    let mixed: Vec<_> = cookies[..2].iter().chain(&other[2..]).cloned().collect();
    let session = load_pairs::<Data>(&config, &mixed);
    assert_refused(&session, &OpenError::AuthenticationFailed, "half and half");
}

#[test]
fn chunks_from_another_key_or_name_are_refused() {
    let (_, other_key) = config(|b| b.with_chunking(9));
    let (_, cookies, _) = four_chunks();
    let session = load_pairs::<Data>(&other_key, &cookies);
    assert_refused(&session, &OpenError::AuthenticationFailed, "other key");
    // The same chunks renamed for another cookie name.
    let (_, renamed) = config_from(ring(), |b| b.with_chunking(9).with_cookie_name("__Host-s2"));
    let moved: Vec<(String, String)> = cookies
        .iter()
        .map(|(n, v)| (n.replace(NAME, "__Host-s2"), v.clone()))
        .collect();
    assert_forgery_refused(&load_pairs::<Data>(&renamed, &moved), "renamed");
}

#[test]
fn count_digit_tampering_is_refused() {
    let (config, cookies, data) = four_chunks();
    let piece0 = &cookies[0].1[2..];
    for digit in b'0'..=b'9' {
        let value = format!("{}.{piece0}", char::from(digit));
        let session = load_pairs::<Data>(&config, &with_value(&cookies, 0, value));
        match digit {
            b'4' => assert_eq!(session.get(), Some(&data), "control"),
            b'2'..=b'9' => assert_refused(
                &session,
                &OpenError::ChunksMismatch,
                &format!("count {}", char::from(digit)),
            ),
            _ => assert_refused(
                &session,
                &OpenError::Malformed,
                &format!("count {}", char::from(digit)),
            ),
        }
    }
    for prefix in [
        "A.", "a.", "-.", "_.", "..", ".", "10.", "04.", "4..", "+4.",
    ] {
        let value = format!("{prefix}{piece0}");
        let session = load_pairs::<Data>(&config, &with_value(&cookies, 0, value));
        assert_forgery_refused(&session, &format!("prefix {prefix:?}"));
    }
    // The prefix removed: piece 0 alone is not a whole value.
    let session = load_pairs::<Data>(&config, &with_value(&cookies, 0, piece0.to_owned()));
    assert_forgery_refused(&session, "no prefix");
}

#[test]
fn a_count_made_consistent_with_fewer_chunks_is_still_refused() {
    let (config, cookies, _) = four_chunks();
    for keep in 2..4 {
        let mut tampered = cookies[..keep].to_vec();
        tampered[0].1 = format!("{keep}.{}", &cookies[0].1[2..]);
        let session = load_pairs::<Data>(&config, &tampered);
        assert_refused(
            &session,
            &OpenError::AuthenticationFailed,
            &format!("truncated to {keep} chunks"),
        );
    }
}

#[test]
fn a_flipped_character_in_any_chunk_is_refused() {
    let (config, cookies, _) = four_chunks();
    for at in 0..cookies.len() {
        let value = &cookies[at].1;
        let start = if at == 0 { 2 } else { 0 };
        let middle = start + (value.len() - start) / 2;
        let session =
            load_pairs::<Data>(&config, &with_value(&cookies, at, flip_char(value, middle)));
        assert_refused(
            &session,
            &OpenError::AuthenticationFailed,
            &format!("chunk {at} middle"),
        );
        for position in [start, start + 1, value.len() - 1] {
            let tampered = with_value(&cookies, at, flip_char(value, position));
            let session = load_pairs::<Data>(&config, &tampered);
            assert_forgery_refused(&session, &format!("chunk {at} position {position}"));
        }
    }
}

#[test]
fn every_character_flip_of_a_small_chunked_session_is_refused() {
    let (_, config) = config(|b| b.with_chunking(5).with_max_cookie_bytes(160));
    let cookies = seal(&config, 5, 300, 4).unwrap();
    assert_eq!(cookies.len(), 4, "{cookies:?}");
    assert_eq!(
        load_pairs::<Data>(&config, &cookies).get(),
        Some(&payload(300, 4))
    );
    for at in 0..cookies.len() {
        let value = &cookies[at].1;
        let start = if at == 0 { 2 } else { 0 };
        for position in start..value.len() {
            for replacement in [b'A', b'-', b'_', b'z', b'0'] {
                if value.as_bytes()[position] == replacement {
                    continue;
                }
                let mut bytes = value.clone().into_bytes();
                bytes[position] = replacement;
                let tampered = with_value(&cookies, at, String::from_utf8(bytes).unwrap());
                let session = load_pairs::<Data>(&config, &tampered);
                assert_forgery_refused(&session, &format!("chunk {at} position {position}"));
            }
        }
    }
}

#[test]
fn any_resplit_opens_the_same_session_or_nothing() {
    // The client may cut the joined value elsewhere; authentication covers
    // the joined value, so it can only ever open the session it was.
    let (config, cookies, data) = four_chunks();
    let original = load_pairs::<Data>(&config, &cookies);
    let id = original.meta().unwrap().session_id().clone();
    let whole = joined(&cookies);
    let cuts: [&[usize]; 6] = [
        &[100],
        &[whole.len() - 1],
        &[1, 2, 3],
        &[PIECE - 1, 2 * PIECE + 1, 3 * PIECE],
        &[whole.len(), whole.len()],
        &[0, 5000],
    ];
    for cut in cuts {
        let mut bounds = vec![0];
        bounds.extend_from_slice(cut);
        bounds.push(whole.len());
        let n = bounds.len() - 1;
        let mut pairs = Vec::new();
        for i in 0..n {
            let piece = &whole[bounds[i]..bounds[i + 1]];
            if i == 0 {
                pairs.push((NAME.to_owned(), format!("{n}.{piece}")));
            } else {
                pairs.push((format!("{NAME}.{i}"), piece.to_owned()));
            }
        }
        let session = load_pairs::<Data>(&config, &pairs);
        if let Some(got) = session.get() {
            assert_eq!(got, &data, "cut {cut:?}");
            assert!(
                session.meta().unwrap().session_id().ct_eq(&id),
                "cut {cut:?}"
            );
        } else {
            assert_forgery_refused(&session, &format!("cut {cut:?}"));
        }
    }
}

#[test]
fn shrinking_removes_exactly_the_stale_chunks() {
    let (_, config) = config(|b| b.with_chunking(9));
    for (to_len, to_chunks) in [(10usize, 1usize), (5000, 2), (7000, 3)] {
        let mut jar = Jar::default();
        let mut session = jar.load::<Data>(&config);
        session.insert(payload(7000, 5));
        jar.finish(session);
        assert_eq!(jar.names(), names_for(3));
        let mut session = jar.load::<Data>(&config);
        assert_eq!(session.get(), Some(&payload(7000, 5)));
        session.insert(payload(to_len, 6));
        let response = jar.finish(session);
        assert_eq!(set_names(&response), names_for(to_chunks), "to {to_chunks}");
        // A single cookie removes the chunks the request carried; a chunked
        // write removes every chunk name from its count up to the cap.
        let expected = match to_chunks {
            1 => names_for(3)[1..].to_vec(),
            2 => chunk_names(2..9),
            _ => chunk_names(3..9),
        };
        assert_eq!(removed(&response), expected, "to {to_chunks}");
        assert_eq!(jar.names(), names_for(to_chunks));
        let session = jar.load::<Data>(&config);
        assert_eq!(session.get(), Some(&payload(to_len, 6)), "to {to_chunks}");
    }
}

#[test]
fn growing_clears_only_the_names_above_and_an_unchanged_session_sends_nothing() {
    let (_, config) = config(|b| b.with_chunking(9));
    let mut jar = Jar::default();
    let mut session = jar.load::<Data>(&config);
    session.insert(vec![1; 10]);
    let response = jar.finish(session);
    assert!(removed(&response).is_empty(), "a single new cookie");
    let mut session = jar.load::<Data>(&config);
    session.insert(payload(15_000, 7));
    let response = jar.finish(session);
    assert_eq!(set_names(&response), names_for(5));
    assert_eq!(
        removed(&response),
        [
            format!("{NAME}.5"),
            format!("{NAME}.6"),
            format!("{NAME}.7"),
            format!("{NAME}.8")
        ]
    );
    assert_eq!(jar.names(), names_for(5));
    let session = jar.load::<Data>(&config);
    assert_eq!(session.get(), Some(&payload(15_000, 7)));
    assert!(session.finish().unwrap().is_empty());
}

#[test]
fn destroy_removes_the_cookie_and_every_chunk_sent() {
    let (_, config) = config(|b| b.with_chunking(9));
    let mut jar = Jar::default();
    let mut session = jar.load::<Data>(&config);
    session.insert(payload(7000, 8));
    jar.finish(session);
    let mut session = jar.load::<Data>(&config);
    assert!(session.get().is_some());
    session.destroy();
    let response = jar.finish(session);
    assert!(set_names(&response).is_empty());
    assert_eq!(removed(&response), names_for(3));
    for cookie in parse_response(&response) {
        assert!(cookie.value.is_empty());
    }
    assert!(jar.names().is_empty());
    // A request that carried only some chunks: those are removed as well.
    let cookies = seal(&config, 9, 7000, 8).unwrap();
    let mut session = load_pairs::<Data>(&config, &cookies[1..]);
    session.destroy();
    assert_eq!(removed(&session.finish().unwrap()), names_for(3));
}

#[test]
fn chunks_may_arrive_in_separate_cookie_headers() {
    let (config, cookies, data) = four_chunks();
    let split = [
        format!("theme=dark; {}={}", cookies[0].0, cookies[0].1),
        header(&cookies[1..2]),
        format!("{}; lang=en", header(&cookies[2..])),
    ];
    let session = config.load::<Data, _>(split.iter());
    assert_eq!(session.load_error(), None);
    assert_eq!(session.get(), Some(&data));
    // The chunks before the first cookie, one header each.
    let reversed: Vec<String> = cookies
        .iter()
        .rev()
        .map(|c| header(std::slice::from_ref(c)))
        .collect();
    let mut session = config.load::<Data, _>(reversed.iter());
    assert_eq!(session.get(), Some(&data));
    // Stale chunks seen across headers are removed on a shrink.
    session.insert(vec![1]);
    let response = session.finish().unwrap();
    assert_eq!(removed(&response), names_for(4)[1..]);
}

#[test]
fn chunking_off_ignores_chunk_cookies() {
    let keyring = ring();
    let (_, plain) = config_from(keyring.clone(), |b| b);
    let (_, chunked) = config_from(keyring, |b| b.with_chunking(9));
    let mut session = plain.new_session::<Data>();
    session.insert(vec![4; 100]);
    let mut cookies = stored(&session.finish().unwrap());
    cookies.push((format!("{NAME}.1"), "junk".to_owned()));
    cookies.push((format!("{NAME}.2"), "more".to_owned()));
    let mut session = load_pairs::<Data>(&plain, &cookies);
    assert_eq!(session.get(), Some(&vec![4; 100]));
    session.insert(vec![5; 100]);
    let response = session.finish().unwrap();
    assert_eq!(set_names(&response), [NAME]);
    assert!(
        removed(&response).is_empty(),
        "chunk cookies are not ours when off"
    );
    // A chunked session means nothing to a configuration without chunking.
    let big = seal(&chunked, 9, 9000, 0).unwrap();
    assert_eq!(big.len(), 3);
    let session = load_pairs::<Data>(&plain, &big);
    assert_refused(
        &session,
        &OpenError::Malformed,
        "chunked value without chunking",
    );
    assert!(session.finish().unwrap().is_empty());
    // Through pre-extracted values, a chunked first cookie is malformed too.
    let session = chunked.load_value::<Data>(Some(&big[0].1));
    assert_refused(&session, &OpenError::Malformed, "load_value");
}

#[test]
fn a_leftover_chunk_beside_a_plain_value_is_ignored_then_removed() {
    let (_, config) = config(|b| b.with_chunking(9));
    let mut cookies = seal(&config, 9, 100, 3).unwrap();
    assert_eq!(cookies.len(), 1);
    cookies.push((format!("{NAME}.1"), "stale".to_owned()));
    let session = load_pairs::<Data>(&config, &cookies);
    assert_eq!(session.get(), Some(&payload(100, 3)));
    assert!(session.finish().unwrap().is_empty());
    let mut session = load_pairs::<Data>(&config, &cookies);
    session.insert(vec![]);
    let response = session.finish().unwrap();
    assert_eq!(set_names(&response), [NAME]);
    assert_eq!(removed(&response), [format!("{NAME}.1")]);
}

#[test]
fn an_unchunked_value_over_the_cookie_limit_is_too_large_with_chunking_on() {
    // FORMAT.md §5 step 1 and §12: every cookie is held to the per-cookie
    // limit, whether chunking is on or not.
    for cap in [1, 2, 9] {
        let (_, config) = config(|b| b.with_max_cookie_bytes(LIMIT).with_chunking(cap));
        let over = "A".repeat(LIMIT - NAME.len() + 1);
        let expected = OpenError::TooLarge {
            actual: LIMIT + 1,
            limit: LIMIT,
        };
        let pairs = [(NAME.to_owned(), over.clone())];
        assert_refused(&load_pairs::<Data>(&config, &pairs), &expected, "load");
        let session = config.load_value::<Data>(Some(&over));
        assert_refused(&session, &expected, "load_value");
        // At the limit, the value is decoded: version byte 0.
        let at = &over[1..];
        let pairs = [(NAME.to_owned(), at.to_owned())];
        let session = load_pairs::<Data>(&config, &pairs);
        assert_refused(&session, &OpenError::UnsupportedVersion, "at the limit");
        let session = config.load_value::<Data>(Some(at));
        assert_refused(
            &session,
            &OpenError::UnsupportedVersion,
            "load_value at the limit",
        );
        // Counted in UTF-8 bytes: one two-byte character tips it over.
        let wide = format!("\u{e9}{}", &over[2..]);
        assert_eq!(wide.chars().count(), LIMIT - NAME.len());
        let session = config.load_value::<Data>(Some(&wide));
        assert_refused(&session, &expected, "two-byte character");
    }
}

#[test]
fn a_chunk_is_held_to_the_limit_with_its_name() {
    let (config, cookies, data) = four_chunks();
    assert_eq!(
        cookies[1].0.len() + cookies[1].1.len(),
        LIMIT,
        "a full chunk"
    );
    assert_eq!(load_pairs::<Data>(&config, &cookies).get(), Some(&data));
    // One byte over: a character more, or a two-byte last character.
    let longer = format!("{}A", cookies[1].1);
    let wide = format!("{}\u{e9}", &cookies[1].1[..PIECE - 1]);
    assert_eq!(wide.chars().count(), PIECE);
    for value in [longer, wide] {
        assert_eq!(value.len(), PIECE + 1);
        let session = load_pairs::<Data>(&config, &with_value(&cookies, 1, value));
        assert_refused(&session, &OpenError::ChunksMismatch, "one byte over");
    }
}

#[test]
fn hostile_chunk_values() {
    let (config, cookies, _) = four_chunks();
    let huge = "A".repeat(1 << 20);
    for at in 1..cookies.len() {
        let session = load_pairs::<Data>(&config, &with_value(&cookies, at, huge.clone()));
        assert_refused(
            &session,
            &OpenError::ChunksMismatch,
            &format!("1 MiB chunk {at}"),
        );
    }
    let mut extra = cookies.clone();
    extra.push((format!("{NAME}.6"), huge.clone()));
    let session = load_pairs::<Data>(&config, &extra);
    assert_refused(&session, &OpenError::ChunksMismatch, "1 MiB extra chunk");
    // A 1 MiB first cookie: refused by size before any decoding.
    let session = load_pairs::<Data>(&config, &with_value(&cookies, 0, format!("4.{huge}")));
    assert!(
        matches!(session.load_error(), Some(OpenError::TooLarge { .. })),
        "{:?}",
        session.load_error()
    );
    assert!(session.get().is_none());
    // Many first cookies announcing nine chunks.
    let mut many = vec![(NAME.to_owned(), format!("9.{}", "A".repeat(4000))); 50];
    many.extend(cookies[1..].iter().cloned());
    let session = load_pairs::<Data>(&config, &many);
    assert_refused(&session, &OpenError::ChunksMismatch, "many announcements");
    // Non-UTF-8 chunk values count as missing.
    let mut raw = header(&cookies[..1]).into_bytes();
    raw.extend_from_slice(format!("; {NAME}.1=").as_bytes());
    raw.extend_from_slice(&[0xff, 0xfe]);
    for (name, value) in &cookies[2..] {
        raw.extend_from_slice(format!("; {name}={value}").as_bytes());
    }
    let session = config.load::<Data, _>([raw]);
    assert_refused(&session, &OpenError::ChunksMismatch, "non-utf-8 chunk");
}

#[test]
fn hostile_chunk_names_are_not_chunks() {
    let (config, cookies, data) = four_chunks();
    let hostile = [
        "0", "9", "10", "01", "08", "1.1", "1x", "", "-1", "+1", " 1", "１",
    ];
    let mut jar = Jar::default();
    for (name, value) in &cookies {
        jar.set(name, value);
    }
    for suffix in hostile {
        jar.set(&format!("{NAME}.{suffix}"), &cookies[1].1);
    }
    jar.set("__host-session.1", "x");
    jar.set("__Host-session1", "x");
    let session = jar.load::<Data>(&config);
    assert_eq!(session.load_error(), None);
    assert_eq!(session.get(), Some(&data));
    // Neither a shrink nor a destroy touches them.
    let mut session = jar.load::<Data>(&config);
    session.insert(vec![1]);
    let response = session.finish().unwrap();
    assert_eq!(removed(&response), names_for(4)[1..]);
    let mut session = jar.load::<Data>(&config);
    session.destroy();
    assert_eq!(removed(&session.finish().unwrap()), names_for(4));
    // The same names beside a plain value change nothing either.
    let mut plain = seal(&config, 9, 10, 0).unwrap();
    for suffix in hostile {
        plain.push((format!("{NAME}.{suffix}"), "x".to_owned()));
    }
    let session = load_pairs::<Data>(&config, &plain);
    assert_eq!(session.get(), Some(&payload(10, 0)));
}

#[test]
fn chunk_cookies_carry_the_configured_attributes() {
    let (_, config) = config(|b| {
        b.with_chunking(3)
            .with_cookie_name("sid")
            .with_domain("example.com")
            .with_path("/app")
            .with_same_site(sealed_session::SameSite::Strict)
            .with_partitioned(true)
    });
    let mut jar = Jar::default();
    let mut session = jar.load::<Data>(&config);
    session.insert(payload(7000, 1));
    let response = jar.finish(session);
    assert_eq!(set_names(&response), ["sid", "sid.1", "sid.2"]);
    let attributes =
        " Max-Age=86400; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict; Partitioned";
    for cookie in parse_response(&response) {
        assert_eq!(cookie.attributes, attributes, "{}", cookie.name);
        assert!(cookie.name.len() + cookie.value.len() <= LIMIT);
    }
    assert_eq!(jar.load::<Data>(&config).get(), Some(&payload(7000, 1)));
    // Removals carry the same Domain and Path as the removal of the cookie
    // itself, or the browser would keep the chunks.
    let removal = crate::support::parse_set_cookie(&config.removal_cookie());
    let mut session = jar.load::<Data>(&config);
    session.destroy();
    let response = jar.finish(session);
    assert_eq!(removed(&response), ["sid", "sid.1", "sid.2"]);
    for cookie in parse_response(&response) {
        assert_eq!(cookie.attributes, removal.attributes, "{}", cookie.name);
    }
    assert!(jar.names().is_empty());
}

#[test]
fn a_dead_chunked_session_removes_every_chunk() {
    let (clock, config) = config(|b| b.with_chunking(9));
    let mut jar = Jar::default();
    let mut session = jar.load::<Data>(&config);
    session.insert(payload(7000, 2));
    jar.finish(session);
    // Idle for longer than the timeout.
    let mut idle = jar.clone();
    clock.advance(std::time::Duration::from_secs(30 * 60));
    let session = idle.load::<Data>(&config);
    assert_refused(&session, &OpenError::IdleTimeout, "idle");
    assert_eq!(removed(&idle.finish(session)), names_for(3));
    assert!(idle.names().is_empty());
    // A chunked session that does not open at all (tampered) is left alone
    // until something is written.
    let mut tampered = jar.clone();
    let value = flip_char(tampered.get(&format!("{NAME}.1")).unwrap(), 100);
    tampered.set(&format!("{NAME}.1"), &value);
    clock.set(sealed_session::UnixSeconds::new(T0 + 1));
    let session = tampered.load::<Data>(&config);
    assert_refused(&session, &OpenError::AuthenticationFailed, "tampered");
    assert!(tampered.finish(session).is_empty());
}

mod properties {
    use proptest::prelude::*;

    use super::{payload, seal, Data};
    use crate::support::{assert_forgery_refused, config, load_pairs, NAME};

    /// Where each cookie of a forged request comes from.
    #[derive(Debug, Clone, Copy)]
    enum Origin {
        A,
        B,
        Missing,
    }

    fn origin() -> impl Strategy<Value = Origin> {
        prop_oneof![Just(Origin::A), Just(Origin::B), Just(Origin::Missing)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any mix of two sessions' chunks, any extra chunk indices and any
        /// header order opens one of the two whole sessions or nothing; a
        /// mix never opens.
        #[test]
        fn mixed_chunks_never_open_a_hybrid(
            origins in prop::collection::vec(origin(), 4),
            extras in prop::collection::vec(4u8..=8, 0..3),
            order in any::<u64>(),
        ) {
            let (_, config) = config(|b| b.with_chunking(8).with_max_cookie_bytes(160));
            let a = seal(&config, 8, 300, 1).unwrap();
            let b = seal(&config, 8, 300, 2).unwrap();
            prop_assert_eq!(a.len(), 4);
            prop_assert_eq!(b.len(), 4);
            let mut pairs = Vec::new();
            for (slot, origin) in origins.iter().enumerate() {
                match origin {
                    Origin::A => pairs.push(a[slot].clone()),
                    Origin::B => pairs.push(b[slot].clone()),
                    Origin::Missing => {}
                }
            }
            for index in &extras {
                pairs.push((format!("{NAME}.{index}"), a[1].1.clone()));
            }
            // A deterministic shuffle from the drawn seed.
            let mut seed = order;
            for i in (1..pairs.len()).rev() {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let j = usize::try_from(seed >> 33).unwrap() % (i + 1);
                pairs.swap(i, j);
            }
            let session = load_pairs::<Data>(&config, &pairs);
            let all = |o: fn(&Origin) -> bool| origins.iter().all(o);
            let whole_a = all(|o| matches!(o, Origin::A)) && extras.is_empty();
            let whole_b = all(|o| matches!(o, Origin::B)) && extras.is_empty();
            if whole_a {
                prop_assert_eq!(session.get(), Some(&payload(300, 1)));
            } else if whole_b {
                prop_assert_eq!(session.get(), Some(&payload(300, 2)));
            } else if matches!(origins[0], Origin::Missing) {
                prop_assert!(session.get().is_none());
                prop_assert!(session.load_error().is_none());
            } else {
                assert_forgery_refused(&session, &format!("{origins:?} {extras:?}"));
            }
        }
    }
}

#[test]
fn concurrent_responses_do_not_strand_a_chunk() {
    let (_, config) = config(|b| b.with_chunking(9));
    let mut jar = Jar::default();
    let mut session = jar.load::<Data>(&config);
    session.insert(vec![1]);
    jar.finish(session);
    // Two requests leave with the same one-cookie header (two tabs).
    let mut first = jar.load::<Data>(&config);
    let mut second = jar.load::<Data>(&config);
    first.insert(payload(7000, 1)); // three chunks
    second.insert(payload(5000, 2)); // two chunks
    let first = first.finish().unwrap();
    let second = second.finish().unwrap();
    assert_eq!(set_names(&first), names_for(3));
    assert_eq!(set_names(&second), names_for(2));
    // Neither request carried a chunk; each response still clears every
    // chunk name above its own count, up to the cap.
    assert_eq!(removed(&first), chunk_names(3..9));
    assert_eq!(removed(&second), chunk_names(2..9));
    // The second response arrives last: its cookies win, and it removes
    // the first response's NAME.2.
    jar.apply(&first);
    jar.apply(&second);
    assert_eq!(jar.names(), names_for(2));
    let session = jar.load::<Data>(&config);
    assert_eq!(session.load_error(), None);
    assert_eq!(session.get(), Some(&payload(5000, 2)));
}

#[test]
fn the_two_tabs_race_leaves_the_last_response_whole_at_every_cap() {
    for cap in 3..=9u8 {
        for longer_last in [false, true] {
            let context = format!("cap {cap}, longer last: {longer_last}");
            let (_, config) = config(|b| b.with_chunking(cap));
            let mut jar = Jar::default();
            let mut session = jar.load::<Data>(&config);
            session.insert(vec![1]);
            jar.finish(session);
            let mut long = jar.load::<Data>(&config);
            let mut short = jar.load::<Data>(&config);
            long.insert(payload(7000, 1));
            short.insert(payload(5000, 2));
            let long = long.finish().unwrap();
            let short = short.finish().unwrap();
            assert_eq!(set_names(&long), names_for(3), "{context}");
            assert_eq!(set_names(&short), names_for(2), "{context}");
            assert_eq!(removed(&long), cleared_above(3, cap), "{context}");
            assert_eq!(removed(&short), cleared_above(2, cap), "{context}");
            let (chunks, data) = if longer_last {
                jar.apply(&short);
                jar.apply(&long);
                (3, payload(7000, 1))
            } else {
                jar.apply(&long);
                jar.apply(&short);
                (2, payload(5000, 2))
            };
            assert_eq!(jar.names(), names_for(chunks), "{context}");
            let session = jar.load::<Data>(&config);
            assert_eq!(session.load_error(), None, "{context}");
            assert_eq!(session.get(), Some(&data), "{context}");
        }
    }
}

#[test]
fn a_single_cookie_write_that_lands_last_leaves_harmless_chunks_then_clears_them() {
    let (_, config) = config(|b| b.with_chunking(9));
    let mut jar = Jar::default();
    let mut session = jar.load::<Data>(&config);
    session.insert(vec![1]);
    jar.finish(session);
    let mut long = jar.load::<Data>(&config);
    let mut small = jar.load::<Data>(&config);
    long.insert(payload(7000, 1));
    small.insert(vec![2; 10]);
    let long = long.finish().unwrap();
    let small = small.finish().unwrap();
    // The single-cookie write removes only what its request carried:
    // nothing.
    assert_eq!(set_names(&small), [NAME]);
    assert!(removed(&small).is_empty());
    jar.apply(&long);
    jar.apply(&small);
    assert_eq!(jar.names(), names_for(3));
    // A plain value ignores the chunks beside it.
    let session = jar.load::<Data>(&config);
    assert_eq!(session.load_error(), None);
    assert_eq!(session.get(), Some(&vec![2; 10]));
    assert!(session.finish().unwrap().is_empty(), "a read sends nothing");
    // The next write carries them, so it removes them.
    let mut session = jar.load::<Data>(&config);
    session.insert(vec![3; 10]);
    let response = jar.finish(session);
    assert_eq!(set_names(&response), [NAME]);
    assert_eq!(removed(&response), names_for(3)[1..]);
    assert_eq!(jar.names(), [NAME]);
    assert_eq!(jar.load::<Data>(&config).get(), Some(&vec![3; 10]));
}

#[test]
fn a_single_cookie_write_removes_only_the_chunks_the_request_carried() {
    for cap in [2u8, 4, 9] {
        let (_, config) = config(|b| b.with_chunking(cap));
        let plain = seal(&config, cap, 10, 1).unwrap();
        assert_eq!(plain.len(), 1);
        // Nothing carried: nothing removed, though chunking is on.
        let mut session = load_pairs::<Data>(&config, &plain);
        session.insert(vec![2; 10]);
        let response = session.finish().unwrap();
        assert_eq!(set_names(&response), [NAME], "cap {cap}");
        assert!(removed(&response).is_empty(), "cap {cap}");
        // Stray chunks beside the plain value (sent in any order, some above
        // the cap): exactly those are removed, in index order.
        for carried in [
            vec![1usize],
            vec![2],
            vec![5, 1],
            vec![8],
            vec![7, 4, 3],
            (1..9).rev().collect(),
        ] {
            let mut pairs = plain.clone();
            for index in &carried {
                pairs.push((format!("{NAME}.{index}"), "stray".to_owned()));
            }
            let mut session = load_pairs::<Data>(&config, &pairs);
            assert_eq!(session.get(), Some(&payload(10, 1)), "cap {cap}");
            session.insert(vec![2; 10]);
            let response = session.finish().unwrap();
            assert_eq!(set_names(&response), [NAME], "cap {cap}, {carried:?}");
            let mut sorted = carried.clone();
            sorted.sort_unstable();
            let expected: Vec<String> = sorted.iter().map(|i| format!("{NAME}.{i}")).collect();
            assert_eq!(removed(&response), expected, "cap {cap}, {carried:?}");
        }
    }
    // A chunked write, by contrast, clears every name from its count up to
    // the cap, and a carried chunk above the cap as well.
    let (_, config) = config(|b| b.with_chunking(3));
    let mut pairs = seal(&config, 3, 10, 1).unwrap();
    pairs.push((format!("{NAME}.5"), "stray".to_owned()));
    let mut session = load_pairs::<Data>(&config, &pairs);
    session.insert(payload(5000, 2));
    let response = session.finish().unwrap();
    assert_eq!(set_names(&response), names_for(2));
    assert_eq!(
        removed(&response),
        [format!("{NAME}.2"), format!("{NAME}.5")]
    );
}

#[test]
fn more_chunks_than_configured_are_refused_when_reading() {
    let (_, config) = config(|b| b.with_chunking(2));
    let cookies = seal(&config, 2, 5000, 3).unwrap();
    assert_eq!(cookies.len(), 2);
    let whole = joined(&cookies);
    let third = whole.len() / 3;
    let resplit = vec![
        (NAME.to_owned(), format!("3.{}", &whole[..third])),
        (format!("{NAME}.1"), whole[third..2 * third].to_owned()),
        (format!("{NAME}.2"), whole[2 * third..].to_owned()),
    ];
    let session = load_pairs::<Data>(&config, &resplit);
    assert!(
        session.get().is_none(),
        "three chunks opened under a cap of two"
    );
    assert_eq!(session.load_error(), Some(&OpenError::ChunksMismatch));
}

#[test]
fn a_count_above_the_cap_is_refused_at_every_cap() {
    let keyring = ring();
    let (_, wide) = config_from(keyring.clone(), |b| b.with_chunking(9));
    let nine = seal(&wide, 9, largest_len(&wide, 9, 9), 9).unwrap();
    assert_eq!(nine.len(), 9);
    for cap in 2..=8u8 {
        let (_, narrow) = config_from(keyring.clone(), |b| b.with_chunking(cap));
        let chunks = usize::from(cap);
        let largest = largest_len(&wide, 9, chunks);
        // Exactly the cap: opens.
        let at = seal(&wide, 9, largest, cap).unwrap();
        assert_eq!(at.len(), chunks);
        let session = load_pairs::<Data>(&narrow, &at);
        assert_eq!(session.load_error(), None, "cap {cap}");
        assert_eq!(session.get(), Some(&payload(largest, cap)), "cap {cap}");
        // One more: every chunk is there and authentic, and the same keys
        // open it under a wider cap, but this configuration refuses it.
        let over = seal(&wide, 9, largest + 1, cap).unwrap();
        assert_eq!(over.len(), chunks + 1);
        assert_eq!(
            load_pairs::<Data>(&wide, &over).get(),
            Some(&payload(largest + 1, cap)),
            "control, cap {cap}"
        );
        let session = load_pairs::<Data>(&narrow, &over);
        assert_refused(
            &session,
            &OpenError::ChunksMismatch,
            &format!("{} chunks under a cap of {cap}", chunks + 1),
        );
        // Not a dead cookie of ours: nothing is removed...
        assert!(session.finish().unwrap().is_empty(), "cap {cap}");
        // ...until something is written; a single cookie then removes the
        // chunks carried, the one above the cap included.
        let mut session = load_pairs::<Data>(&narrow, &over);
        session.insert(vec![1]);
        let response = session.finish().unwrap();
        assert_eq!(set_names(&response), [NAME], "cap {cap}");
        assert_eq!(removed(&response), names_for(chunks + 1)[1..], "cap {cap}");
        // Nine announced with all nine present.
        assert_refused(
            &load_pairs::<Data>(&narrow, &nine),
            &OpenError::ChunksMismatch,
            &format!("nine chunks under a cap of {cap}"),
        );
    }
}
