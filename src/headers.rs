//! Header names and values: checking what callers give, the family's defaults.

use ureq::http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};

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

pub(crate) fn name(name: &str) -> Result<HeaderName> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::header(
            name,
            "not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)",
        )
    })
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
