//! Raw `Cookie` request-header parsing: borrowed slices, no allocation,
//! linear work.
//!
//! [`SessionConfig::load`](crate::SessionConfig::load) uses these to find
//! the session's cookies; they are public for adapters and tools that read
//! `Cookie` headers themselves.

/// The most cookies carrying the session's name that are tried, per request.
///
/// Several cookies may share the name (an old path, or a cookie planted by a
/// sibling subdomain); each is tried in header order and the first one that
/// opens wins. Trying is bounded: candidates past this many are ignored, so a
/// hostile header cannot make a request decrypt more than this many values.
pub const MAX_COOKIE_CANDIDATES: usize = 8;

/// The values of every cookie named `name` in one raw `Cookie` request
/// header, in header order.
///
/// The parse follows RFC 6265 §5.4 as browsers send it: pairs separated by
/// `;`, spaces and tabs (only those; no other white space, Unicode or not)
/// trimmed around names and values, empty pairs skipped, and a pair without
/// a name (`=value`, or no `=` at all) never taken for a named cookie. Values
/// are returned as sent (quotes are not removed) and only when they are
/// valid UTF-8. Work is linear in the header length; nothing is allocated.
///
/// ```
/// use sealed_session::header::cookie_values;
///
/// let header = "theme=dark;  sid=first ; =sid ;sid=second;;x=1";
/// let found: Vec<&str> = cookie_values(header.as_bytes(), "sid").collect();
/// assert_eq!(found, ["first", "second"]);
/// assert_eq!(cookie_values(b"sidx=1; xsid=2", "sid").count(), 0);
/// ```
pub fn cookie_values<'a>(header: &'a [u8], name: &'a str) -> CookieValues<'a> {
    CookieValues {
        pairs: cookie_pairs(header),
        name: name.as_bytes(),
    }
}

/// Every named cookie of one raw `Cookie` request header, as `(name, value)`
/// in header order, by the rules of [`cookie_values`]. Pairs whose name or
/// value is not valid UTF-8 are skipped.
///
/// ```
/// use sealed_session::header::cookie_pairs;
///
/// let pairs: Vec<(&str, &str)> = cookie_pairs(b"a=1; =2; b ; c=").collect();
/// assert_eq!(pairs, [("a", "1"), ("c", "")]);
/// ```
pub fn cookie_pairs(header: &[u8]) -> CookiePairs<'_> {
    CookiePairs { rest: Some(header) }
}

/// The iterator returned by [`cookie_values`].
#[derive(Debug, Clone)]
pub struct CookieValues<'a> {
    pairs: CookiePairs<'a>,
    name: &'a [u8],
}

impl<'a> Iterator for CookieValues<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let (name, value) = self.pairs.next_raw()?;
            if name == self.name {
                if let Ok(text) = core::str::from_utf8(value) {
                    return Some(text);
                }
            }
        }
    }
}

/// The iterator returned by [`cookie_pairs`].
#[derive(Debug, Clone)]
pub struct CookiePairs<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> CookiePairs<'a> {
    /// The next pair with a non-empty name, as raw bytes.
    fn next_raw(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        while let Some(rest) = self.rest {
            let (pair, after) = match rest.iter().position(|&b| b == b';') {
                Some(at) => (rest.get(..at).unwrap_or_default(), rest.get(at + 1..)),
                None => (rest, None),
            };
            self.rest = after;
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            let name = trim(pair.get(..eq).unwrap_or_default());
            if name.is_empty() {
                continue;
            }
            return Some((name, trim(pair.get(eq + 1..).unwrap_or_default())));
        }
        None
    }
}

impl<'a> Iterator for CookiePairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        loop {
            let (name, value) = self.next_raw()?;
            if let (Ok(name), Ok(value)) = (core::str::from_utf8(name), core::str::from_utf8(value))
            {
                return Some((name, value));
            }
        }
    }
}

/// Trims spaces and horizontal tabs, and nothing else.
fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all<'a>(h: &'a str, n: &'a str) -> Vec<&'a str> {
        cookie_values(h.as_bytes(), n).collect()
    }

    #[test]
    fn whitespace_rules() {
        assert_eq!(all(" \ta=1\t ; a = 2 ", "a"), ["1", "2"]);
        // Non-breaking space and other white space are part of the name.
        assert!(all("\u{a0}a=1; \na=2; a\u{2003}=3", "a").is_empty());
        assert_eq!(all("a=", "a"), [""]);
        assert_eq!(all("a==b=", "a"), ["=b="]);
    }

    #[test]
    fn nameless_pairs_never_match() {
        assert!(all("=x; =; x; ;;", "x").is_empty());
        assert!(all("=x", "").is_empty());
    }

    #[test]
    fn invalid_utf8_values_skipped() {
        let header = b"a=\xff\xfe; a=ok";
        assert_eq!(cookie_values(header, "a").collect::<Vec<_>>(), ["ok"]);
    }
}
