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
    /// returns whether it was. A value longer than `limit` is not copied;
    /// its index is marked unusable instead.
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
        if let Some(slot) = self.values.get_mut(usize::from(index)) {
            if slot.is_some() || value.len() > limit {
                self.duplicated |= bit;
            }
            *slot = Some(if value.len() > limit {
                String::new()
            } else {
                value.to_owned()
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

    /// The whole sealed value behind the first cookie's value `first`.
    ///
    /// # Errors
    ///
    /// [`OpenError::ChunksMismatch`] if `first` announces more chunks than
    /// `max_chunks`, or chunks that are missing, duplicated, or followed by
    /// extra ones; [`OpenError::Malformed`] for a malformed announcement.
    pub(crate) fn assemble<'a>(
        &self,
        first: &'a str,
        max_chunks: u8,
    ) -> Result<Cow<'a, str>, OpenError> {
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
        assert_eq!(slots.assemble(&parts[0].1, 9).unwrap(), value);
        assert_eq!(
            slots.assemble(&parts[0].1, 2),
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
    fn capacity_grows_with_chunks() {
        assert_eq!(capacity(14, 4096, 1), 4096);
        assert_eq!(capacity(14, 4096, 2), 14 + 2 * 4080);
    }
}
