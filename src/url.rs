//! URL rules: the base URL, joins, parsing for sending, origins.

use ureq::http::Uri;

use crate::error::{Error, Result};

/// Checks a base URL: an absolute `http`/`https` URL with a host.
pub(crate) fn check_base(base: &str) -> Result<()> {
    let fail = |message: &str| Error::InvalidUrl {
        url: base.to_owned(),
        message: message.to_owned(),
    };
    let parsed = url::Url::parse(base).map_err(|e| fail(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(fail("the base url must start with http:// or https://"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(fail("the base url has no host"));
    }
    Ok(())
}

fn is_absolute(url: &str) -> bool {
    let b = url.as_bytes();
    let starts = |prefix: &str| {
        b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    starts("http://") || starts("https://")
}

/// An absolute `http(s)` URL as it is; anything else is
/// `base.trim_end('/') + "/" + url.trim_start('/')`.
pub(crate) fn join(base: &str, url: &str) -> String {
    if is_absolute(url) {
        return url.to_owned();
    }
    let base = base.trim_end_matches('/');
    let path = url.trim_start_matches('/');
    let mut out = String::with_capacity(base.len() + 1 + path.len());
    out.push_str(base);
    out.push('/');
    out.push_str(path);
    out
}

/// Parses a URL for sending. Characters a URI may not hold (spaces, non-ASCII) are
/// percent-encoded first.
pub(crate) fn to_uri(url: &str) -> Result<Uri> {
    let uri = match Uri::try_from(url) {
        Ok(uri) => uri,
        Err(first) => {
            let fixed = url::Url::parse(url).map_err(|e| Error::InvalidUrl {
                url: url.to_owned(),
                message: e.to_string(),
            })?;
            Uri::try_from(fixed.as_str()).map_err(|_| Error::InvalidUrl {
                url: url.to_owned(),
                message: first.to_string(),
            })?
        }
    };
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(uri),
        _ => Err(Error::InvalidUrl {
            url: url.to_owned(),
            message: "only absolute http and https urls can be requested".to_owned(),
        }),
    }
}

/// Scheme, host and port (explicit or default), lowercase.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: u16,
    /// The authority as written (`user@host:port`), for the fast path of `matches`.
    authority: String,
}

impl Origin {
    pub(crate) fn of(uri: &Uri) -> Option<Origin> {
        let (scheme, host, port) = parts(uri)?;
        Some(Origin {
            scheme: scheme.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            port,
            authority: uri.authority()?.as_str().to_owned(),
        })
    }

    /// Whether `uri` has this origin. It runs on every request, so the common case (the same
    /// authority text as the base URL) is a string comparison, without parsing the host.
    pub(crate) fn matches(&self, uri: &Uri) -> bool {
        let same_scheme = uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(&self.scheme));
        if !same_scheme {
            return false;
        }
        if uri
            .authority()
            .is_some_and(|a| a.as_str().eq_ignore_ascii_case(&self.authority))
        {
            return true;
        }
        parts(uri).is_some_and(|(_, host, port)| {
            port == self.port && host.eq_ignore_ascii_case(&self.host)
        })
    }
}

/// Scheme, host and port (explicit, else the scheme's default) of a URI.
fn parts(uri: &Uri) -> Option<(&str, &str, u16)> {
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?;
    let default = if scheme.eq_ignore_ascii_case("https") {
        Some(443)
    } else if scheme.eq_ignore_ascii_case("http") {
        Some(80)
    } else {
        None
    };
    Some((scheme, authority.host(), authority.port_u16().or(default)?))
}

/// Resolves a redirect's `Location` against the URL that answered.
pub(crate) fn resolve(current: &str, location: &str) -> Result<String> {
    let base = url::Url::parse(current).map_err(|e| Error::InvalidUrl {
        url: current.to_owned(),
        message: e.to_string(),
    })?;
    base.join(location)
        .map(String::from)
        .map_err(|e| Error::InvalidUrl {
            url: location.to_owned(),
            message: format!("bad redirect location: {e}"),
        })
}

/// The URL without user name and password, for logs and messages.
pub(crate) fn redacted(url: &str) -> std::borrow::Cow<'_, str> {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s && !url[s + 3..at].contains('/') => {
            format!("{}://{}", &url[..s], &url[at + 1..]).into()
        }
        _ => url.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins() {
        for (base, url, expected) in [
            ("http://example.org", "/", "http://example.org/"),
            ("http://example.org/", "/path", "http://example.org/path"),
            (
                "http://example.org/api",
                "/path/",
                "http://example.org/api/path/",
            ),
            (
                "http://example.org/api/",
                "customers/1",
                "http://example.org/api/customers/1",
            ),
            ("http://example.org", "HTTPS://x.net/a", "HTTPS://x.net/a"),
            ("http://example.org", "", "http://example.org/"),
        ] {
            assert_eq!(join(base, url), expected);
        }
    }

    #[test]
    fn uris_are_checked_and_fixed() {
        assert_eq!(
            to_uri("http://h/a b/é").unwrap().to_string(),
            "http://h/a%20b/%C3%A9"
        );
        for bad in [
            "/relative",
            "ftp://h/x",
            "http://",
            "not a url",
            "http://[::1",
        ] {
            assert!(
                matches!(to_uri(bad), Err(Error::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let o = Origin::of(&to_uri("http://Example.org/a").unwrap()).unwrap();
        assert!(o.matches(&to_uri("http://example.org:80/b").unwrap()));
        assert!(!o.matches(&to_uri("http://example.org:81/b").unwrap()));
        assert!(!o.matches(&to_uri("https://example.org/b").unwrap()));
        assert!(!o.matches(&to_uri("http://other.org/b").unwrap()));
    }

    #[test]
    fn base_urls_are_checked() {
        assert!(check_base("http://localhost:2112").is_ok());
        for bad in ["localhost:2112", "ftp://x", "", "http://", "::"] {
            assert!(check_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_cut_from_urls_for_logs() {
        assert_eq!(redacted("http://u:p@h/x"), "http://h/x");
        assert_eq!(redacted("http://h/x@y"), "http://h/x@y");
    }
}
