//! Chunking: one sealed value spread over several cookies when it is too
//! large for one. Pure string handling; the sealed value is authenticated as
//! one unit when it is opened, so any missing, extra, reordered or mixed-up
//! chunk makes it fail.
//!
//! Layout (FORMAT.md §12): a value that fits stays in the cookie `NAME` as
//! is. A value that does not is cut into `n` pieces (2 to 9); the cookie
//! `NAME` holds `n` as one digit, a `.`, and the first piece, and the cookies
//! `NAME.1` to `NAME.{n-1}` hold the others. A plain sealed value never holds
//! a `.`, so the two cases cannot be confused.

use std::borrow::Cow;

use crate::error::OpenError;

/// The most cookies one session may be spread over (one decimal digit).
pub const MAX_CHUNKS: u8 = 9;

/// The room for value text in each cookie of a chunked session, or `None`
/// when the limit leaves none: the limit minus the name and the two
/// characters of the `n.` prefix or the `.i` suffix.
pub(crate) fn piece_len(name_len: usize, cookie_limit: usize) -> Option<usize> {
    cookie_limit
        .checked_sub(name_len)
        .and_then(|room| room.checked_sub(2))
        .filter(|room| *room > 0)
}

/// The largest name plus value a session spread over at most `max_chunks`
/// cookies can carry.
pub(crate) fn capacity(name_len: usize, cookie_limit: usize, max_chunks: u8) -> usize {
    match piece_len(name_len, cookie_limit) {
        Some(piece) if max_chunks > 1 => name_len + piece * usize::from(max_chunks),
        _ => cookie_limit,
    }
}

/// Refuses a cookie whose name plus value, in UTF-8 bytes, is over `limit`
/// (FORMAT.md §5 step 1 and §12): every cookie a session is read from must
/// fit the per-cookie limit, whether or not it is chunked.
///
/// # Errors
///
/// [`OpenError::TooLarge`] with the actual size and the limit.
pub(crate) fn check_fits(name: &str, value: &str, limit: usize) -> Result<(), OpenError> {
    let actual = name.len().saturating_add(value.len());
    if actual > limit {
        return Err(OpenError::TooLarge { actual, limit });
    }
    Ok(())
}

/// The chunk indices (1 to 8) whose cookies a response removes, in
/// increasing order (FORMAT.md §12): every index from `first` on that the
/// request carried (bit `i` of `carried`), and every index from `first`
/// below `up_to`, carried or not.
pub(crate) fn stale_indices(first: usize, up_to: u8, carried: u16) -> impl Iterator<Item = u8> {
    (1..MAX_CHUNKS).filter(move |&index| {
        usize::from(index) >= first && (carried & (1 << index) != 0 || index < up_to)
    })
}

/// The name of chunk `index` (1 to 8) of the cookie `name`.
pub(crate) fn chunk_name(name: &str, index: u8) -> String {
    format!("{name}.{index}")
}

/// Cuts `value` into `(cookie name, cookie value)` pairs that each fit
/// `cookie_limit`. The caller has already checked that the value fits the
/// chunked capacity; a value that does not fit yields `None`.
///
/// A value that fits one cookie is returned as is, borrowed: the common case
/// copies nothing.
pub(crate) fn split<'a>(
    name: &'a str,
    value: &'a str,
    cookie_limit: usize,
    max_chunks: u8,
) -> Option<Vec<(Cow<'a, str>, Cow<'a, str>)>> {
    if name.len() + value.len() <= cookie_limit {
        return Some(vec![(Cow::Borrowed(name), Cow::Borrowed(value))]);
    }
    let piece = piece_len(name.len(), cookie_limit)?;
    let count = value.len().div_ceil(piece);
    let count_u8 = u8::try_from(count)
        .ok()
        .filter(|c| (2..=max_chunks).contains(c))?;
    let mut out = Vec::with_capacity(count);
    // Sealed values are base64url (ASCII), so any byte offset is a char
    // boundary; `get` keeps this panic-free even if that ever changed.
    for index in 0..count_u8 {
        let start = usize::from(index) * piece;
        let end = (start + piece).min(value.len());
        let text = value.get(start..end)?;
        if index == 0 {
            out.push((
                Cow::Borrowed(name),
                Cow::Owned(format!("{count_u8}.{text}")),
            ));
        } else {
            out.push((Cow::Owned(chunk_name(name, index)), Cow::Borrowed(text)));
        }
    }
    Some(out)
}

/// The chunk cookies (`NAME.1` to `NAME.8`) seen in one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChunkSlots {
    /// The value of `NAME.i` at index `i`; index 0 is unused.
    values: [Option<String>; MAX_CHUNKS as usize],
    /// Indices that appeared more than once.
    duplicated: u16,
}

impl ChunkSlots {
    /// Records the cookie `cookie_name = value` if it is a chunk of `name`;
    /// returns whether it was. A cookie whose name plus value is over
    /// `limit` is not copied; its index is marked unusable instead, as is
    /// an index seen twice.
    pub(crate) fn offer(
        &mut self,
        name: &str,
        cookie_name: &str,
        value: &str,
        limit: usize,
    ) -> bool {
        let Some(index) = chunk_index(name, cookie_name) else {
            return false;
        };
        let bit = 1u16 << index;
        let fits = check_fits(cookie_name, value, limit).is_ok();
        if let Some(slot) = self.values.get_mut(usize::from(index)) {
            if slot.is_some() || !fits {
                self.duplicated |= bit;
            }
            *slot = Some(if fits {
                value.to_owned()
            } else {
                String::new()
            });
        }
        true
    }

    /// A bit set of the chunk indices present (bit `i` for `NAME.i`).
    pub(crate) fn present(&self) -> u16 {
        let mut bits = 0u16;
        for (index, value) in self.values.iter().enumerate() {
            if value.is_some() {
                bits |= 1 << index;
            }
        }
        bits
    }

    /// The whole sealed value behind `first`, the value of the cookie
    /// `name`.
    ///
    /// # Errors
    ///
    /// [`OpenError::TooLarge`] if `name` plus `first` is over
    /// `cookie_limit`, chunked or not; [`OpenError::Malformed`] for a
    /// malformed announcement; [`OpenError::ChunksMismatch`] if `first`
    /// announces more chunks than `max_chunks`, or chunks that are missing,
    /// unusable (duplicated or over the limit), or followed by extra ones.
    pub(crate) fn assemble<'a>(
        &self,
        name: &str,
        first: &'a str,
        cookie_limit: usize,
        max_chunks: u8,
    ) -> Result<Cow<'a, str>, OpenError> {
        check_fits(name, first, cookie_limit)?;
        if !first.contains('.') {
            return Ok(Cow::Borrowed(first));
        }
        let (count, head) = match first.as_bytes() {
            [digit @ b'2'..=b'9', b'.', ..] => (digit - b'0', first.get(2..).unwrap_or_default()),
            _ => return Err(OpenError::Malformed),
        };
        if count > max_chunks {
            return Err(OpenError::ChunksMismatch);
        }
        let mut whole = String::new();
        whole.push_str(head);
        for index in 1..MAX_CHUNKS {
            let value = self
                .values
                .get(usize::from(index))
                .and_then(Option::as_deref);
            let duplicated = self.duplicated & (1 << index) != 0;
            match (index < count, value) {
                (true, Some(piece)) if !duplicated => whole.push_str(piece),
                (false, None) => {}
                _ => return Err(OpenError::ChunksMismatch),
            }
        }
        Ok(Cow::Owned(whole))
    }
}

/// The index `i` (1 to 8) if `cookie_name` is `name.i`.
fn chunk_index(name: &str, cookie_name: &str) -> Option<u8> {
    let rest = cookie_name.strip_prefix(name)?.strip_prefix('.')?;
    match rest.as_bytes() {
        [digit @ b'1'..=b'8'] => Some(digit - b'0'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_assemble_round_trip() {
        let value: String = (0..10_000)
            .map(|i| (b'A' + (i % 26) as u8) as char)
            .collect();
        let parts = split("s", &value, 4096, 9).unwrap();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|(n, v)| n.len() + v.len() <= 4096));
        assert_eq!(parts[0].0, "s");
        assert!(parts[0].1.starts_with("3."));
        assert_eq!(parts[1].0, "s.1");
        let mut slots = ChunkSlots::default();
        for (n, v) in &parts[1..] {
            assert!(slots.offer("s", n, v, 4096));
        }
        assert_eq!(slots.assemble("s", &parts[0].1, 4096, 9).unwrap(), value);
        assert_eq!(
            slots.assemble("s", &parts[0].1, 4096, 2),
            Err(OpenError::ChunksMismatch)
        );
        assert_eq!(slots.present(), 0b110);
    }

    #[test]
    fn small_values_are_not_chunked() {
        let parts = split("s", "abc", 4096, 9).unwrap();
        assert_eq!(parts, [(Cow::Borrowed("s"), Cow::Borrowed("abc"))]);
        assert!(split("s", &"A".repeat(5000), 4096, 1).is_none());
    }

    #[test]
    fn chunk_names() {
        assert_eq!(chunk_index("s", "s.1"), Some(1));
        assert_eq!(chunk_index("s", "s.8"), Some(8));
        for bad in ["s.0", "s.9", "s.10", "s", "s.", "t.1", "s1", "s.1 "] {
            assert_eq!(chunk_index("s", bad), None, "{bad}");
        }
    }

    #[test]
    fn every_cookie_is_measured_name_plus_value_in_bytes() {
        assert_eq!(check_fits("ab", "cd", 4), Ok(()));
        assert_eq!(
            check_fits("ab", "cde", 4),
            Err(OpenError::TooLarge {
                actual: 5,
                limit: 4
            })
        );
        // UTF-8 bytes, not characters.
        assert_eq!(
            check_fits("a", "\u{e9}", 2),
            Err(OpenError::TooLarge {
                actual: 3,
                limit: 2
            })
        );
    }

    /// Slots holding `s.1` with `piece` and `s.2` with `last`.
    fn three(piece: &str, last: &str, limit: usize) -> ChunkSlots {
        let mut slots = ChunkSlots::default();
        assert!(slots.offer("s", "s.1", piece, limit));
        assert!(slots.offer("s", "s.2", last, limit));
        slots
    }

    #[test]
    fn a_chunk_counts_its_name_against_the_limit() {
        // "s.1" is 3 bytes: a 7-byte piece fills a limit of 10 exactly.
        let slots = three("BBBBBBB", "C", 10);
        assert_eq!(
            slots.assemble("s", "3.AAAAAA", 10, 3).unwrap(),
            "AAAAAABBBBBBBC"
        );
        assert_eq!(slots.present(), 0b110);
        // One byte more, though the value alone still fits.
        let slots = three("BBBBBBBB", "C", 10);
        assert_eq!(slots.present(), 0b110);
        assert_eq!(
            slots.assemble("s", "3.AAAAAA", 10, 3),
            Err(OpenError::ChunksMismatch)
        );
        // An unusable chunk beyond the count is still an extra one.
        let slots = three("BBBBBBB", "CCCCCCCC", 10);
        assert_eq!(
            slots.assemble("s", "2.AAAAAA", 10, 3),
            Err(OpenError::ChunksMismatch)
        );
    }

    #[test]
    fn the_first_cookie_fits_the_limit_chunked_or_not() {
        let slots = three("B", "C", 10);
        assert_eq!(
            slots.assemble("s", "AAAAAAAAA", 10, 3).unwrap(),
            "AAAAAAAAA"
        );
        assert_eq!(
            slots.assemble("s", "AAAAAAAAAA", 10, 3),
            Err(OpenError::TooLarge {
                actual: 11,
                limit: 10
            })
        );
        assert_eq!(
            slots.assemble("s", "3.AAAAAAA", 10, 3).unwrap(),
            "AAAAAAABC"
        );
        assert_eq!(
            slots.assemble("s", "3.AAAAAAAA", 10, 3),
            Err(OpenError::TooLarge {
                actual: 10 + 1,
                limit: 10
            })
        );
    }

    #[test]
    fn announcements() {
        let slots = three("B", "C", 100);
        for bad in ["1.A", "0.A", "x.A", "A.", ".", "AB.C", "3A.", "\u{663}.A"] {
            assert_eq!(
                slots.assemble("s", bad, 100, 9),
                Err(OpenError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(slots.assemble("s", "3.", 100, 3).unwrap(), "BC");
        assert_eq!(
            slots.assemble("s", "3.A", 100, 2),
            Err(OpenError::ChunksMismatch)
        );
        assert_eq!(
            slots.assemble("s", "2.A", 100, 9),
            Err(OpenError::ChunksMismatch)
        );
        assert_eq!(
            slots.assemble("s", "4.A", 100, 9),
            Err(OpenError::ChunksMismatch)
        );
        // A plain value ignores the chunks beside it.
        assert_eq!(slots.assemble("s", "AAA", 100, 9).unwrap(), "AAA");
        let mut twice = three("B", "C", 100);
        assert!(twice.offer("s", "s.2", "C", 100));
        assert_eq!(twice.present(), 0b110);
        assert_eq!(
            twice.assemble("s", "3.A", 100, 9),
            Err(OpenError::ChunksMismatch)
        );
        let mut eighth = three("B", "C", 100);
        assert!(eighth.offer("s", "s.8", "D", 100));
        assert_eq!(eighth.present(), 0b1_0000_0110);
        assert_eq!(
            eighth.assemble("s", "3.A", 100, 9),
            Err(OpenError::ChunksMismatch)
        );
        assert!(!eighth.offer("s", "s.9", "D", 100));
        assert!(!eighth.offer("s", "t.1", "D", 100));
    }

    #[test]
    fn stale_chunks() {
        let all = |first, up_to, carried| stale_indices(first, up_to, carried).collect::<Vec<u8>>();
        assert!(all(1, 0, 0).is_empty());
        assert_eq!(all(1, 0, 0b1_0000_1010), [1, 3, 8]);
        assert_eq!(all(3, 5, 0), [3, 4]);
        assert_eq!(all(3, 5, 0b1_0000_0110), [3, 4, 8]);
        assert_eq!(all(2, 9, 0), [2, 3, 4, 5, 6, 7, 8]);
        assert!(all(9, 9, 0b1_1111_1110).is_empty());
        // Bit 0 and bits above 8 are never chunk indices.
        assert!(all(1, 0, 0b10_0000_0001).is_empty());
    }

    #[test]
    fn capacity_grows_with_chunks() {
        assert_eq!(capacity(14, 4096, 1), 4096);
        assert_eq!(capacity(14, 4096, 2), 14 + 2 * 4080);
    }
}
