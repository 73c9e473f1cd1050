//! URL rules: the base URL, joins, parsing for sending, origins.

use std::fmt;
use std::str::FromStr;

use ureq::http::Uri;

use crate::error::{Error, Result};

/// How relative hrefs of links resolve.
///
/// # Example
///
/// ```
/// assert_eq!("document".parse::<halchemy::LinkResolution>(), Ok(halchemy::LinkResolution::Document));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkResolution {
    /// The family's rule: a relative href joins the base URL.
    #[default]
    Base,
    /// RFC 3986 §5 against the URL of the document that holds the link.
    Document,
}

impl FromStr for LinkResolution {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "base" => Ok(LinkResolution::Base),
            "document" => Ok(LinkResolution::Document),
            _ => Err(()),
        }
    }
}

impl fmt::Display for LinkResolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkResolution::Base => "base",
            LinkResolution::Document => "document",
        })
    }
}

pub(crate) fn parse_base(base: &str) -> Result<url::Url> {
    check_base(base)?;
    url::Url::parse(base).map_err(|e| Error::InvalidUrl {
        url: redacted(base).into_owned(),
        message: e.to_string(),
    })
}

pub(crate) fn basic_credentials(_base: &url::Url) -> Option<String> {
    None
}

pub(crate) fn without_userinfo(base: &url::Url) -> String {
    let mut u = base.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    let s = u.to_string();
    // url::Url adds a trailing slash to an empty path; keep the base as given otherwise.
    s
}

pub(crate) fn resolve(
    base: &str,
    document: Option<&str>,
    href: &str,
    mode: LinkResolution,
) -> Result<String> {
    match mode {
        LinkResolution::Base => Ok(join(base, href)),
        LinkResolution::Document => resolve_location(document.unwrap_or(base), href),
    }
}

pub(crate) fn resolve_location(current: &str, location: &str) -> Result<String> {
    resolve_redirect(current, location)
}

pub(crate) fn same_resource(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.split('#').next().unwrap_or("").to_owned();
    strip(a) == strip(b)
}

/// Checks a base URL: an absolute `http`/`https` URL with a host.
pub(crate) fn check_base(base: &str) -> Result<()> {
    let fail = |message: &str| Error::InvalidUrl {
        url: redacted(base).into_owned(),
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
    pub(crate) fn of_url(u: &url::Url) -> Origin {
        match Uri::try_from(u.as_str())
            .ok()
            .and_then(|uri| Origin::of(&uri))
        {
            Some(o) => o,
            None => Origin {
                scheme: u.scheme().to_owned(),
                host: u.host_str().unwrap_or("").to_owned(),
                port: u.port_or_known_default().unwrap_or(0),
                authority: String::new(),
            },
        }
    }

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
pub(crate) fn resolve_redirect(current: &str, location: &str) -> Result<String> {
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
