//! `Set-Cookie` rendering: the session cookie and the removal cookie, one
//! function each, attributes in a fixed order.

use core::fmt::Write as _;

/// The `SameSite` attribute of the session cookie.
///
/// ```
/// use sealed_session::SameSite;
///
/// assert_eq!(SameSite::default(), SameSite::Lax);
/// assert_eq!(SameSite::Strict.as_str(), "Strict");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SameSite {
    /// Sent on same-site requests and top-level cross-site navigations
    /// (following a link to the site). The default: the session survives
    /// inbound links, and cross-site form posts do not carry it.
    #[default]
    Lax,
    /// Sent on same-site requests only: a user following a link from
    /// another site arrives logged out.
    Strict,
    /// Sent on every request, cross-site included (needs `Secure`). Only for
    /// sessions that must work inside cross-site frames; use CSRF tokens.
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lax => "Lax",
            Self::Strict => "Strict",
            Self::None => "None",
        }
    }
}

/// The attributes written after `name=value` on every session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CookieAttributes {
    pub(crate) domain: Option<String>,
    pub(crate) path: String,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSite,
    pub(crate) partitioned: bool,
}

impl Default for CookieAttributes {
    fn default() -> Self {
        Self {
            domain: None,
            path: "/".to_owned(),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            partitioned: false,
        }
    }
}

/// The date that makes a removal cookie expire in clients that ignore
/// `Max-Age`.
const EPOCH_DATE: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

/// Renders `name=value; Max-Age=N; Domain=D; Path=P; Secure; HttpOnly;
/// SameSite=S; Partitioned`, leaving out the attributes that are off.
pub(crate) fn render(
    name: &str,
    value: &str,
    max_age_secs: u64,
    attrs: &CookieAttributes,
) -> String {
    let mut out = String::with_capacity(name.len() + value.len() + 96);
    out.push_str(name);
    out.push('=');
    out.push_str(value);
    // Writing to a String cannot fail.
    let _ = write!(out, "; Max-Age={max_age_secs}");
    push_attributes(&mut out, attrs);
    out
}

/// Renders the cookie that removes `name` (same name, domain and path).
pub(crate) fn render_removal(name: &str, attrs: &CookieAttributes) -> String {
    let mut out = String::with_capacity(name.len() + 128);
    out.push_str(name);
    out.push_str("=; Max-Age=0; Expires=");
    out.push_str(EPOCH_DATE);
    push_attributes(&mut out, attrs);
    out
}

fn push_attributes(out: &mut String, attrs: &CookieAttributes) {
    if let Some(domain) = &attrs.domain {
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    out.push_str("; Path=");
    out.push_str(&attrs.path);
    if attrs.secure {
        out.push_str("; Secure");
    }
    if attrs.http_only {
        out.push_str("; HttpOnly");
    }
    out.push_str("; SameSite=");
    out.push_str(attrs.same_site.as_str());
    if attrs.partitioned {
        out.push_str("; Partitioned");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_attributes_render_exactly() {
        let attrs = CookieAttributes::default();
        assert_eq!(
            render("__Host-session", "abc", 86_400, &attrs),
            "__Host-session=abc; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            render_removal("__Host-session", &attrs),
            "__Host-session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn every_attribute_in_order() {
        let attrs = CookieAttributes {
            domain: Some("example.com".into()),
            path: "/app".into(),
            secure: true,
            http_only: false,
            same_site: SameSite::None,
            partitioned: true,
        };
        assert_eq!(
            render("s", "v", 5, &attrs),
            "s=v; Max-Age=5; Domain=example.com; Path=/app; Secure; SameSite=None; Partitioned"
        );
    }
}
