//! Header names and values: checking what callers give, the family's defaults.

use std::fmt;

use ureq::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE, TRANSFER_ENCODING,
};
use ureq::http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};

/// What every text halchemy produces shows in place of a credential.
pub(crate) const REDACTED: &str = "<redacted>";

/// The credentials that only go to their own origin: `Authorization`, `Cookie`,
/// `Proxy-Authorization`.
pub(crate) fn is_credential(name: &HeaderName) -> bool {
    name == AUTHORIZATION || name == COOKIE || name == PROXY_AUTHORIZATION
}

/// Headers whose values no text shows: the credentials, and cookies a server sets.
pub(crate) fn is_secret(name: &HeaderName) -> bool {
    is_credential(name) || name == SET_COOKIE
}

/// [`is_secret`] for a name as given (case-insensitive).
pub(crate) fn is_secret_name(name: &str) -> bool {
    HeaderName::from_bytes(name.as_bytes()).is_ok_and(|n| is_secret(&n))
}

/// `Debug` for a header map that hides secret values.
pub(crate) struct Redacted<'a>(pub &'a HeaderMap);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            match is_secret(name) {
                true => map.entry(&name.as_str(), &REDACTED),
                // A URL with user info (`Location`, `Link`...) shows without its password,
                // whatever bytes surround it.
                false if value.as_bytes().contains(&b'@') => {
                    let text = String::from_utf8_lossy(value.as_bytes());
                    map.entry(&name.as_str(), &crate::url::redacted_text(&text))
                }
                false => map.entry(&name.as_str(), value),
            };
        }
        map.finish()
    }
}

/// The family's default headers, lowest precedence.
pub(crate) fn defaults() -> HeaderMap {
    let mut map = HeaderMap::with_capacity(4);
    for (name, value) in [
        ("content-type", "application/json"),
        (
            "accept",
            "application/hal+json, application/json;q=0.9, */*;q=0.8",
        ),
        ("authorization", "Basic cm9vdDpwYXNzd29yZA=="),
    ] {
        map.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    map
}

/// Checks a header name and value; CR, LF and other control bytes are rejected, never sent.
pub(crate) fn pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    Ok((self::name(name)?, self::value(name, value)?))
}

/// Checks a header name a caller gives. The message framing headers `Content-Length` and
/// `Transfer-Encoding` are refused: halchemy frames each body itself, and a wrong length would
/// send something other than what was meant.
pub(crate) fn name(name: &str) -> Result<HeaderName> {
    let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::header(
            name,
            "not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)",
        )
    })?;
    if n == CONTENT_LENGTH || n == TRANSFER_ENCODING {
        return Err(Error::header(
            name,
            "halchemy frames every body itself; remove this header (use Body::empty() to send no body)",
        ));
    }
    Ok(n)
}

pub(crate) fn value(name: &str, value: &str) -> Result<HeaderValue> {
    HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
        Error::header(
            name,
            "the value holds a line break or another control character",
        )
    })
}

/// Checks every pair, then inserts them (a later name replaces an earlier one).
pub(crate) fn insert_all<K, V>(
    map: &mut HeaderMap,
    headers: impl IntoIterator<Item = (K, V)>,
) -> Result<()>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut checked = Vec::new();
    for (k, v) in headers {
        checked.push(pair(k.as_ref(), v.as_ref())?);
    }
    for (k, v) in checked {
        map.insert(k, v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_rejected_with_the_name() {
        for (n, v) in [
            ("X-A", "a\r\nEvil: 1"),
            ("X-B", "a\nb"),
            ("X-C", "a\0b"),
            ("X D", "v"),
            ("X\r\nE", "v"),
            ("", "v"),
        ] {
            let err = pair(n, v).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidHeader { name, .. } if *name == n.escape_debug().to_string()),
                "{n:?}: {err}"
            );
        }
        assert!(pair("X-Ok", "tab\tand ünïcode").is_ok());
    }

    #[test]
    fn framing_headers_are_refused() {
        for n in ["Content-Length", "content-length", "Transfer-Encoding"] {
            let err = pair(n, "0").unwrap_err();
            assert!(
                err.to_string().contains("frames every body itself"),
                "{err}"
            );
        }
    }

    #[test]
    fn secrets_are_hidden_in_debug() {
        let mut map = defaults();
        map.insert(SET_COOKIE, HeaderValue::from_static("sid=s3cret"));
        let shown = format!("{:?}", Redacted(&map));
        assert!(
            !shown.contains("cm9vdDpwYXNzd29yZA") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(shown.contains("application/json"), "{shown}");
        assert!(is_secret_name("proxy-authorization") && !is_secret_name("accept"));
    }

    #[test]
    fn nothing_is_inserted_when_one_pair_is_bad() {
        let mut map = defaults();
        let before = map.clone();
        assert!(insert_all(&mut map, [("Accept", "x"), ("Bad\n", "y")]).is_err());
        assert_eq!(map, before);
        insert_all(&mut map, [("content-TYPE", "text/plain")]).unwrap();
        assert_eq!(map["Content-type"], "text/plain");
        assert_eq!(map.len(), 3);
    }
}
