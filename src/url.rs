//! URLs: the base URL, resolving link hrefs, normalizing what is sent, origins, and the one
//! redaction routine. Pure functions, no I/O.
//!
//! Every URL a request goes to passes [`resolve`] (or [`resolve_location`] for a redirect),
//! which ends in the same normalization as [`normalize`]: dot segments removed (RFC 3986
//! §5.2.4), characters a URI cannot hold percent-encoded as UTF-8 (existing `%XX` escapes kept
//! as they are), scheme and host lowercased, a non-ASCII host converted to its IDNA (`xn--`)
//! form, and any userinfo dropped (credentials travel in a header, never in the URL). The
//! common case, an href of plain path characters, takes a fast path that allocates only the
//! output string.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use ureq::http::Uri;

use crate::error::{Error, Result};

/// How relative hrefs of links resolve.
///
/// Defaults to [`LinkResolution::Base`], the halchemy family's rule. Whatever the mode, a
/// network-path reference (`//host/x`) keeps the scheme, a query-only (`?page=2`) or
/// fragment-only (`#x`) href resolves against the URL of the document that holds it, dot
/// segments are removed and characters a URI cannot hold are percent-encoded.
///
/// # Example
///
/// ```
/// use halchemy::LinkResolution;
///
/// let mode: LinkResolution = "Document".parse()?;
/// assert_eq!(mode, LinkResolution::Document);
/// assert_eq!(mode.to_string(), "document");
/// assert_eq!(LinkResolution::default(), LinkResolution::Base);
/// # Ok::<(), halchemy::LinkResolutionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LinkResolution {
    /// A relative href joins the base URL: `base.trim_end('/') + "/" + href.trim_start('/')`,
    /// so `/customers` under `http://example.org/api` is `http://example.org/api/customers`.
    /// Eve and Camunda write hrefs relative to the API root this way.
    #[default]
    Base,
    /// RFC 3986 §5 resolution against the URL of the document that holds the link (embedded
    /// items: their parent's URL), so `/api/v3/statuses` in a document at
    /// `http://host/api/v3/projects/1` is `http://host/api/v3/statuses`. Servers mounted under
    /// a path prefix (OpenProject) need it.
    Document,
}

impl LinkResolution {
    /// The mode's name as [`FromStr`] reads it: `base` or `document`.
    fn as_str(self) -> &'static str {
        match self {
            LinkResolution::Base => "base",
            LinkResolution::Document => "document",
        }
    }
}

impl fmt::Display for LinkResolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LinkResolution {
    type Err = LinkResolutionError;

    /// Reads `base` or `document`, in any case, around any whitespace.
    fn from_str(s: &str) -> Result<Self, LinkResolutionError> {
        let word = s.trim();
        [LinkResolution::Base, LinkResolution::Document]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(word))
            .ok_or_else(|| LinkResolutionError {
                given: s.to_owned(),
            })
    }
}

/// A link-resolution mode other than `base` or `document`.
///
/// # Example
///
/// ```
/// let err = "relative".parse::<halchemy::LinkResolution>().unwrap_err();
/// assert!(err.to_string().contains("`relative`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown link resolution `{given}`: use base or document")]
pub struct LinkResolutionError {
    given: String,
}

/// Parses a base URL: an absolute `http`/`https` URL with a host, without query or fragment.
///
/// What `url::Url` accepts is accepted and read its way: `http://bücher.example/api` has the
/// host `xn--bcher-kva.example`, a space in the path is `%20`, and `http:host:8080` is
/// `http://host:8080/`. Build requests from [`without_userinfo`] of the result, and take the
/// origin from [`Origin::of_url`], so that both agree.
pub(crate) fn parse_base(base: &str) -> Result<url::Url> {
    let parsed = url::Url::parse(base).map_err(|e| {
        let e = e.to_string().to_lowercase();
        invalid(
            base,
            &format!("{e}: write an absolute url such as http://localhost:2112/api"),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(
            base,
            "the base url must start with http:// or https://",
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid(base, "the base url has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid(
            base,
            "the base url must not have a query or fragment: add parameters to the request instead",
        ));
    }
    Ok(parsed)
}

/// The absolute URL an href of a link (or an endpoint) points to, normalized for sending.
///
/// `base` is the base URL as requests are built from it ([`without_userinfo`]); `document` is
/// the URL of the document holding the link, when there is one. Templates must be expanded
/// before: `href` is concrete.
///
/// In [`LinkResolution::Base`] an absolute `http(s)` href is used as it is and anything else
/// joins the base, except a network-path reference (`//host/x`, which takes the base's
/// scheme) and a query-only or fragment-only href (resolved against `document`, else the
/// base). In [`LinkResolution::Document`] the href resolves per RFC 3986 §5 against
/// `document`, else the base. The result may still be a non-`http` URL (`g:h`); [`to_uri`]
/// refuses those.
pub(crate) fn resolve(
    base: &str,
    document: Option<&str>,
    href: &str,
    mode: LinkResolution,
) -> Result<String> {
    let context = document.unwrap_or(base);
    if mode == LinkResolution::Document || href.starts_with(['?', '#']) {
        return resolve_against(context, href);
    }
    if let Some(scheme) = scheme_of(href) {
        if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
            return normalize(href);
        }
    } else if href.starts_with("//") {
        let scheme = scheme_of(base).ok_or_else(|| not_absolute(base))?;
        let mut out = String::with_capacity(scheme.len() + 1 + href.len());
        out.push_str(scheme);
        out.push(':');
        out.push_str(href);
        return finish(out);
    }
    let base = base.trim_end_matches('/');
    let path = href.trim_start_matches('/');
    let mut out = String::with_capacity(base.len() + 1 + path.len());
    out.push_str(base);
    out.push('/');
    out.push_str(path);
    finish(out)
}

/// Resolves a redirect's `Location` against the URL that answered (RFC 3986 §5), normalized.
pub(crate) fn resolve_location(current: &str, location: &str) -> Result<String> {
    resolve_against(current, location)
}

/// The form of an absolute URL that is sent: dot segments removed, characters a URI cannot
/// hold percent-encoded as UTF-8 (existing `%XX` escapes kept as they are, `%` without two hex
/// digits becomes `%25`), scheme and host lowercase, a non-ASCII host in IDNA form, userinfo
/// dropped. The fragment is kept.
pub(crate) fn normalize(url: &str) -> Result<String> {
    if is_normal(url) {
        Ok(url.to_owned())
    } else {
        normalize_slow(url)
    }
}

/// Parses a URL for sending: only absolute `http` and `https` URLs with a host. The URL is
/// normalized first unless it already is.
pub(crate) fn to_uri(url: &str) -> Result<Uri> {
    let parsed = if is_normal(url) {
        Uri::try_from(url)
    } else {
        Uri::try_from(normalize_slow(url)?)
    };
    let uri = parsed.map_err(|e| invalid(url, &format!("{e}")))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(uri),
        _ => Err(invalid(
            url,
            "only absolute http and https urls can be requested",
        )),
    }
}

/// [`to_uri`] for a URL about to be requested: an `https` URL needs a TLS backend, and
/// without one it is refused here, before anything is sent.
pub(crate) fn to_request_uri(url: &str) -> Result<Uri> {
    let uri = to_uri(url)?;
    if cfg!(not(any(feature = "rustls", feature = "native-tls")))
        && uri.scheme_str() == Some("https")
    {
        return Err(invalid(
            url,
            "https needs a tls backend: build halchemy with its `rustls` (default) or `native-tls` feature",
        ));
    }
    Ok(uri)
}

/// Whether two URLs name the same resource: equal after normalization, ignoring the fragment,
/// a default port (`:80`, `:443`, empty), the case of escapes' hex digits, an escaped
/// unreserved character (`%7E` for `~`), and `http://h` against `http://h/`. A URL that
/// cannot be normalized is compared as written.
pub(crate) fn same_resource(a: &str, b: &str) -> bool {
    a == b || comparable(a) == comparable(b)
}

/// Scheme, host and port (explicit or default), lowercase.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    /// The scheme, lowercase.
    scheme: String,
    /// The host, lowercase (IPv6 in brackets).
    host: String,
    /// The explicit port, else the scheme's default.
    port: u16,
    /// The authority as written (`host:port`), for the fast path of `matches`.
    authority: String,
}

impl Origin {
    /// The origin of a URI to send; `None` without scheme, host or a known port.
    pub(crate) fn of(uri: &Uri) -> Option<Origin> {
        let (scheme, host, port) = parts(uri)?;
        Some(Origin {
            scheme: scheme.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            port,
            authority: uri.authority()?.as_str().to_owned(),
        })
    }

    /// The origin of a parsed base URL (see [`parse_base`]).
    pub(crate) fn of_url(url: &url::Url) -> Origin {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        Origin {
            scheme: url.scheme().to_ascii_lowercase(),
            port: url.port_or_known_default().unwrap_or_default(),
            host,
            authority,
        }
    }

    /// Whether `uri` has this origin. It runs on every request, so the common case (the same
    /// authority text as the base URL) is a string comparison, without parsing the host; it
    /// never allocates.
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

/// The URL without user name and password, for logs, messages and `Debug`: the one redaction
/// routine. It never returns text holding the password, wherever the `@` falls.
///
/// `url::Url` reads the URL first (its userinfo ends at the last `@` of the authority); then,
/// whatever it made of it, everything between `://` (or the start, without one) and the last
/// `@` before the first `/`, `?` or `#` is cut. A URL without `@` is returned as it is,
/// without allocating.
pub(crate) fn redacted(url: &str) -> Cow<'_, str> {
    if !url.contains('@') {
        return Cow::Borrowed(url);
    }
    let read = match url::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            Cow::Owned(String::from(u))
        }
        Ok(_) => Cow::Borrowed(url),
        // Not a URL a parser reads, yet meant as one: a password holding `#`, `/` or `?`
        // (`http://u:se#cret@h/`) ends no authority for the writer, so everything from `//`
        // to the last `@` goes.
        Err(_) => match (url.find("//"), url.rfind('@')) {
            (Some(slashes), Some(at)) if at > slashes => {
                return Cow::Owned(format!("{}{}", &url[..slashes + 2], &url[at + 1..]));
            }
            _ => Cow::Borrowed(url),
        },
    };
    cut_userinfo(read)
}

/// [`redacted`] for a URI template: cut as text only, so its expressions stay as written (a
/// URL parser would escape their braces).
pub(crate) fn redacted_template(template: &str) -> Cow<'_, str> {
    cut_userinfo(Cow::Borrowed(template))
}

/// [`redacted`] for every URL in a text, such as a `Link` or `Location` header's value: each
/// piece between `<`, `>`, `,`, `;`, quotes and white space that may hold user info is
/// redacted. A text without `@` is returned as it is.
pub(crate) fn redacted_text(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let separator = |c: char| matches!(c, '<' | '>' | ',' | ';' | '"' | ' ' | '\t');
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(separator) {
        let (token, sep) = match piece.char_indices().last() {
            Some((i, c)) if separator(c) => piece.split_at(i),
            _ => (piece, ""),
        };
        match may_hold_userinfo(token) {
            true => out.push_str(&redacted(token)),
            false => out.push_str(token),
        }
        out.push_str(sep);
    }
    Cow::Owned(out)
}

/// Whether `s` may be a URL with user info: an `@`, and `//`, a backslash (which a URL parser
/// may read as a slash), or a scheme whose URLs have an authority (`http:user:pw@host`).
fn may_hold_userinfo(s: &str) -> bool {
    const WITH_AUTHORITY: [&str; 9] = [
        "http", "https", "ftp", "ws", "wss", "socks4", "socks4a", "socks5", "socks5h",
    ];
    s.contains('@')
        && (s.contains("//")
            || s.contains('\\')
            || scheme_of(s)
                .is_some_and(|sc| WITH_AUTHORITY.iter().any(|w| w.eq_ignore_ascii_case(sc))))
}

/// `Debug` and `Display` of JSON with the passwords of URLs in its strings (link hrefs...)
/// redacted; JSON without such a URL is shown as it is, with no copy.
pub(crate) struct RedactedJson<'a>(pub &'a serde_json::Value);

impl RedactedJson<'_> {
    fn shown(&self) -> std::borrow::Cow<'_, serde_json::Value> {
        fn holds_secret(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::String(s) => may_hold_userinfo(s),
                serde_json::Value::Array(a) => a.iter().any(holds_secret),
                serde_json::Value::Object(o) => o
                    .iter()
                    .any(|(k, v)| may_hold_userinfo(k) || holds_secret(v)),
                _ => false,
            }
        }
        fn redact(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::String(s) => {
                    if let std::borrow::Cow::Owned(r) = redacted(s) {
                        *s = r;
                    }
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(redact),
                serde_json::Value::Object(o) => {
                    // Keys too: an extension rel is a URL.
                    *o = std::mem::take(o)
                        .into_iter()
                        .map(|(k, mut v)| {
                            redact(&mut v);
                            (redacted(&k).into_owned(), v)
                        })
                        .collect();
                }
                _ => {}
            }
        }
        if !holds_secret(self.0) {
            return std::borrow::Cow::Borrowed(self.0);
        }
        let mut copy = self.0.clone();
        redact(&mut copy);
        std::borrow::Cow::Owned(copy)
    }
}

impl std::fmt::Debug for RedactedJson<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.shown(), f)
    }
}

impl std::fmt::Display for RedactedJson<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.shown(), f)
    }
}

/// The userinfo of a base URL as an `Authorization` value, `Basic base64(user:password)`, user
/// and password percent-decoded; `None` without userinfo.
pub(crate) fn basic_credentials(base: &url::Url) -> Option<String> {
    if base.username().is_empty() && base.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
    Some(basic_authorization(
        &decode(base.username()),
        &decode(base.password().unwrap_or_default()),
    ))
}

/// `Basic base64(user:password)` (RFC 7617), the bytes as given.
pub(crate) fn basic_authorization(user: &[u8], password: &[u8]) -> String {
    let mut pair = Vec::with_capacity(user.len() + 1 + password.len());
    pair.extend_from_slice(user);
    pair.push(b':');
    pair.extend_from_slice(password);
    format!("Basic {}", base64(&pair))
}

/// The base URL as requests are built from it: without user name and password (those go in
/// an `Authorization` header, see [`basic_credentials`]).
pub(crate) fn without_userinfo(url: &url::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url.into()
}

// ---------------------------------------------------------------------------------------------
// Internals.

/// An `InvalidUrl` error with the URL redacted.
fn invalid(url: &str, message: &str) -> Error {
    Error::InvalidUrl {
        url: redacted(url).into_owned(),
        message: message.to_owned(),
    }
}

/// The error for a URL that should be absolute and is not.
fn not_absolute(url: &str) -> Error {
    invalid(
        url,
        "the url is not absolute: it needs a scheme such as http://",
    )
}

/// Resolves `href` against the absolute URL `context` (RFC 3986 §5.2), normalized.
fn resolve_against(context: &str, href: &str) -> Result<String> {
    let base = Parts::of(context);
    if base.scheme.is_none() {
        return Err(not_absolute(context));
    }
    finish(rfc_resolve(&base, &Parts::of(href)))
}

/// The normalized form of a URL just built: `s` itself when it is already normal.
fn finish(s: String) -> Result<String> {
    if is_normal(&s) {
        Ok(s)
    } else {
        normalize_slow(&s)
    }
}

/// The five components of a URI reference (RFC 3986 Appendix B), as slices of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts<'a> {
    /// The scheme, without `:`, when it follows the grammar of RFC 3986 §3.1.
    scheme: Option<&'a str>,
    /// The authority, without `//`.
    authority: Option<&'a str>,
    /// The path, possibly empty.
    path: &'a str,
    /// The query, without `?`.
    query: Option<&'a str>,
    /// The fragment, without `#`.
    fragment: Option<&'a str>,
}

impl<'a> Parts<'a> {
    /// Splits any string; it never fails.
    fn of(s: &'a str) -> Parts<'a> {
        let (s, fragment) = match s.split_once('#') {
            Some((s, f)) => (s, Some(f)),
            None => (s, None),
        };
        let (s, query) = match s.split_once('?') {
            Some((s, q)) => (s, Some(q)),
            None => (s, None),
        };
        let scheme = scheme_of(s);
        let s = scheme.map_or(s, |sc| &s[sc.len() + 1..]);
        let (authority, path) = match s.strip_prefix("//") {
            Some(rest) => {
                let end = rest.find('/').unwrap_or(rest.len());
                (Some(&rest[..end]), &rest[end..])
            }
            None => (None, s),
        };
        Parts {
            scheme,
            authority,
            path,
            query,
            fragment,
        }
    }
}

/// The scheme of a URI reference: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` before the
/// first `:`, which must come before any `/`, `?` or `#`.
fn scheme_of(s: &str) -> Option<&str> {
    let colon = s
        .find([':', '/', '?', '#'])
        .filter(|&i| s[i..].starts_with(':'))?;
    let scheme = &s[..colon];
    let mut bytes = scheme.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    (first_ok && rest_ok).then_some(scheme)
}

/// RFC 3986 §5.2.2 (strict) and §5.3: the target of `r` against `base`, recomposed.
fn rfc_resolve(base: &Parts<'_>, r: &Parts<'_>) -> String {
    let mut path = String::new();
    let (scheme, authority, query) = if r.scheme.is_some() {
        remove_dot_segments(r.path, &mut path);
        (r.scheme, r.authority, r.query)
    } else if r.authority.is_some() {
        remove_dot_segments(r.path, &mut path);
        (base.scheme, r.authority, r.query)
    } else if r.path.is_empty() {
        path.push_str(base.path);
        (base.scheme, base.authority, r.query.or(base.query))
    } else if r.path.starts_with('/') {
        remove_dot_segments(r.path, &mut path);
        (base.scheme, base.authority, r.query)
    } else {
        // §5.2.3 merge.
        let mut merged = String::with_capacity(base.path.len() + r.path.len() + 1);
        if base.authority.is_some() && base.path.is_empty() {
            merged.push('/');
        } else if let Some(slash) = base.path.rfind('/') {
            merged.push_str(&base.path[..=slash]);
        }
        merged.push_str(r.path);
        remove_dot_segments(&merged, &mut path);
        (base.scheme, base.authority, r.query)
    };
    let mut out = String::with_capacity(path.len() + 64);
    compose(
        &mut out,
        &Parts {
            scheme,
            authority,
            path: &path,
            query,
            fragment: r.fragment,
        },
    );
    out
}

/// RFC 3986 §5.3: writes the components back as one string.
fn compose(out: &mut String, p: &Parts<'_>) {
    if let Some(scheme) = p.scheme {
        out.push_str(scheme);
        out.push(':');
    }
    if let Some(authority) = p.authority {
        out.push_str("//");
        out.push_str(authority);
    }
    out.push_str(p.path);
    if let Some(query) = p.query {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = p.fragment {
        out.push('#');
        out.push_str(fragment);
    }
}

/// Whether a path segment is `.` (1), `..` (2) or neither (0); `%2E` counts as a dot, as
/// RFC 3986 §6.2.2.2 decodes it before §6.2.2.3 removes dot segments.
fn dots(segment: &[u8]) -> u8 {
    let mut rest = segment;
    let mut count = 0;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(b".") {
            rest = r;
        } else if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"%2e") {
            rest = &rest[3..];
        } else {
            return 0;
        }
        count += 1;
        if count > 2 {
            return 0;
        }
    }
    count
}

/// RFC 3986 §5.2.4 `remove_dot_segments`, appending the result to `out`.
fn remove_dot_segments(path: &str, out: &mut String) {
    let start = out.len();
    let mut input = path;
    while !input.is_empty() {
        let (leading_slash, body) = match input.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, input),
        };
        let seg_len = body.find('/').unwrap_or(body.len());
        let kind = dots(&body.as_bytes()[..seg_len]);
        let last = seg_len == body.len();
        match (leading_slash, kind, last) {
            // A: "../" or "./" at the start; D: "." or ".." alone.
            (false, 1 | 2, false) => input = &body[seg_len + 1..],
            (false, 1 | 2, true) => input = "",
            // B: "/./" or "/.".
            (true, 1, false) => input = &body[seg_len..],
            (true, 1, true) => input = "/",
            // C: "/../" or "/..", removing the last output segment.
            (true, 2, _) => {
                input = if last { "/" } else { &body[seg_len..] };
                let keep = out[start..].rfind('/').map_or(start, |i| start + i);
                out.truncate(keep);
            }
            // E: move the first segment (with its leading "/") to the output.
            _ => {
                let len = usize::from(leading_slash) + seg_len;
                out.push_str(&input[..len]);
                input = &input[len..];
            }
        }
    }
}

/// What a URI cannot hold and is percent-encoded: controls, space, `"<>\^`{|}`, DEL and every
/// non-ASCII byte. (`%` is checked separately: kept when it starts an escape.)
const fn must_encode(b: u8) -> bool {
    b <= b' '
        || b >= 0x7f
        || matches!(
            b,
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
        )
}

/// Whether `s[i]` is a `%` followed by two hex digits.
fn is_escape(s: &[u8], i: usize) -> bool {
    s.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
        && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
}

/// Appends `s` to `out`, percent-encoding what a URI cannot hold (and `#` when `fragment`).
fn encode_into(out: &mut String, s: &str, fragment: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut plain_from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let encode =
            must_encode(b) || (b == b'%' && !is_escape(bytes, i)) || (fragment && b == b'#');
        if encode {
            // Bytes left as they are are ASCII, so this never falls back to "".
            out.push_str(std::str::from_utf8(&bytes[plain_from..i]).unwrap_or_default());
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
            plain_from = i + 1;
        }
    }
    out.push_str(std::str::from_utf8(&bytes[plain_from..]).unwrap_or_default());
}

/// Whether `url` is already in the form [`normalize_slow`] gives: `http`/`https` lowercase, a
/// plain lowercase host with an optional port, no userinfo, no dot segment, nothing to
/// encode. A single scan that never allocates.
fn is_normal(url: &str) -> bool {
    let b = url.as_bytes();
    let Some(rest) = b
        .strip_prefix(b"http://")
        .or_else(|| b.strip_prefix(b"https://"))
    else {
        return false;
    };
    let auth_end = rest
        .iter()
        .position(|&c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let path_end = tail
        .iter()
        .position(|&c| matches!(c, b'?' | b'#'))
        .unwrap_or(tail.len());
    plain_authority(authority)
        && tail[..path_end]
            .split(|&c| c == b'/')
            .all(|seg| dots(seg) == 0)
        && plain_tail(tail)
}

/// `host[:port]` with a host of `[a-z0-9._~-]` and a port of digits up to 65535.
fn plain_authority(a: &[u8]) -> bool {
    let (host, port) = match a.iter().position(|&c| c == b':') {
        Some(i) => (&a[..i], Some(&a[i + 1..])),
        None => (a, None),
    };
    let host_ok = !host.is_empty()
        && host.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'_' | b'~')
        });
    host_ok && port.is_none_or(|p| port_number(p).is_some())
}

/// A port of 1 to 5 digits whose value fits in a `u16`.
fn port_number(p: &[u8]) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.iter().all(u8::is_ascii_digit) {
        return None;
    }
    p.iter()
        .try_fold(0u32, |n, &d| Some(n * 10 + u32::from(d - b'0')))
        .and_then(|n| u16::try_from(n).ok())
}

/// The bytes [`plain_tail`] stops at: those to encode, `%` and `#`.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = must_encode(b as u8) || b == b'%' as usize || b == b'#' as usize;
        b += 1;
    }
    table
};

/// Path, query and fragment with nothing to encode: no forbidden byte, every `%` an escape,
/// no second `#`.
fn plain_tail(t: &[u8]) -> bool {
    let mut in_fragment = false;
    let mut from = 0;
    while let Some(offset) = t[from..].iter().position(|&c| SPECIAL[usize::from(c)]) {
        let at = from + offset;
        match t[at] {
            b'%' if is_escape(t, at) => {}
            b'#' if !in_fragment => in_fragment = true,
            _ => return false,
        }
        from = at + 1;
    }
    true
}

/// [`normalize`] the long way: split, clean each component, recompose.
fn normalize_slow(url: &str) -> Result<String> {
    let p = Parts::of(url);
    let scheme = p.scheme.ok_or_else(|| not_absolute(url))?;
    let mut out = String::with_capacity(url.len() + 16);
    out.push_str(&scheme.to_ascii_lowercase());
    out.push(':');
    if let Some(authority) = p.authority {
        out.push_str("//");
        push_authority(&mut out, authority, url)?;
    }
    let mut path = String::with_capacity(p.path.len());
    remove_dot_segments(p.path, &mut path);
    if p.authority.is_none() && path.starts_with("//") {
        // Without an authority, `//` would read as one: keep it a path.
        out.push_str("/.");
    }
    encode_into(&mut out, &path, false);
    if let Some(query) = p.query {
        out.push('?');
        encode_into(&mut out, query, false);
    }
    if let Some(fragment) = p.fragment {
        out.push('#');
        encode_into(&mut out, fragment, true);
    }
    Ok(out)
}

/// Appends the authority without userinfo: the host lowercase (IDNA for a non-ASCII or
/// percent-encoded host), and the port when it is not empty.
fn push_authority(out: &mut String, authority: &str, url: &str) -> Result<()> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if host_port.starts_with('[') {
        let close = host_port
            .find(']')
            .ok_or_else(|| invalid(url, "the ipv6 address has no closing `]`"))?;
        let (host, rest) = host_port.split_at(close + 1);
        match rest.strip_prefix(':') {
            Some(port) => (host, port),
            None if rest.is_empty() => (host, ""),
            None => return Err(invalid(url, "only a port may follow the ipv6 address")),
        }
    } else {
        host_port.rsplit_once(':').unwrap_or((host_port, ""))
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=".contains(c);
    if !host.starts_with('[') && host.chars().all(plain) {
        out.extend(host.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        let parsed = url::Host::parse(host)
            .map_err(|e| invalid(url, &format!("the host `{host}` is not valid: {e}")))?;
        out.push_str(&parsed.to_string());
    }
    if !port.is_empty() {
        if port_number(port.as_bytes()).is_none() {
            // Not repeated: in a URL written with a raw `/`, `?` or `#` in its password, what
            // reads as the port is part of the password.
            return Err(invalid(url, "the port is not a number from 0 to 65535"));
        }
        out.push(':');
        out.push_str(port);
    }
    Ok(())
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

/// The form [`same_resource`] compares: normalized, without fragment and default port, with
/// `/` for an empty path after a host, and escapes in one form ([`normal_escapes`]).
pub(crate) fn comparable(url: &str) -> String {
    let normal = normalize(url).unwrap_or_else(|_| url.to_owned());
    let p = Parts::of(&normal);
    let authority = p.authority.map(|a| {
        let default = match p.scheme {
            Some("http") => ":80",
            Some("https") => ":443",
            _ => ":",
        };
        a.strip_suffix(default)
            .or_else(|| a.strip_suffix(':'))
            .unwrap_or(a)
    });
    let path = match (authority, p.path) {
        (Some(_), "") => "/",
        (_, path) => path,
    };
    let mut out = String::with_capacity(normal.len() + 1);
    compose(
        &mut out,
        &Parts {
            authority,
            path,
            fragment: None,
            ..p
        },
    );
    normal_escapes(out)
}

/// `s` with its `%XX` escapes in one form (RFC 3986 §6.2.2.1–2): an escaped unreserved
/// character (`%7E`, `%61`) decoded, the hex digits of the others uppercase.
fn normal_escapes(s: String) -> String {
    if !s.contains('%') {
        return s;
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && is_escape(bytes, i) {
            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            let decoded = hex(bytes[i + 1]) << 4 | hex(bytes[i + 2]);
            if decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~') {
                out.push(decoded);
            } else {
                out.extend([b'%', bytes[i + 1], bytes[i + 2]].map(|b| b.to_ascii_uppercase()));
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes, so the bytes are still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Cuts the userinfo by text: from `://` (or the start) to the last `@` before the first `/`,
/// `?` or `#`.
fn cut_userinfo(s: Cow<'_, str>) -> Cow<'_, str> {
    // User info sits in an authority, after `//` — or at the start of a scheme-less proxy
    // string (`user:pw@proxy:3128`). URIs of schemes without an authority keep their `@`
    // (`mailto:kim@example.org`); anything else is cut, to err on the safe side.
    let start = match s.find("//") {
        Some(i) => i + 2,
        None => {
            let scheme = s.split(':').next().unwrap_or("").to_ascii_lowercase();
            if ["mailto", "urn", "tel", "data", "news", "sip", "sips"].contains(&scheme.as_str()) {
                return s;
            }
            // `http:/user:pw@host/` (one slash, which a URL parser may still read as an
            // authority): from after the scheme and its slash.
            match scheme_of(&s) {
                Some(sc) if s[sc.len() + 1..].starts_with('/') => sc.len() + 2,
                _ => 0,
            }
        }
    };
    let end = s[start..]
        .find(['/', '?', '#'])
        .map_or(s.len(), |i| start + i);
    match s[start..end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}{}", &s[..start], &s[start + at + 1..])),
        None => s,
    }
}

/// Standard base64 (RFC 4648 §4) with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (n >> (18 - 6 * i)) & 63;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn only_an_authority_holds_user_info() {
        assert_eq!(redacted("mailto:kim@example.org"), "mailto:kim@example.org");
        assert_eq!(redacted("//u:pw@h/x"), "//h/x");
        assert_eq!(redacted("http://u:p@ss@h/x@y"), "http://h/x@y");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RFC_BASE: &str = "http://a/b/c/d;p?q";

    /// RFC 3986 §5.4.1 and §5.4.2, every example.
    const RFC_EXAMPLES: &[(&str, &str)] = &[
        ("g:h", "g:h"),
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"),
        ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y#s"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../", "http://a/"),
        ("../../g", "http://a/g"),
        // Abnormal examples.
        ("../../../g", "http://a/g"),
        ("../../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        (".g", "http://a/b/c/.g"),
        ("g..", "http://a/b/c/g.."),
        ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"),
        ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"),
        ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
        ("g;x=1/../y", "http://a/b/c/y"),
        ("g?y/./x", "http://a/b/c/g?y/./x"),
        ("g?y/../x", "http://a/b/c/g?y/../x"),
        ("g#s/./x", "http://a/b/c/g#s/./x"),
        ("g#s/../x", "http://a/b/c/g#s/../x"),
        ("http:g", "http:g"),
    ];

    fn base(base: &str, href: &str) -> String {
        resolve(base, None, href, LinkResolution::Base).unwrap()
    }

    fn document(document: &str, href: &str) -> String {
        resolve(
            "http://base.example/api",
            Some(document),
            href,
            LinkResolution::Document,
        )
        .unwrap()
    }

    #[test]
    fn document_mode_follows_every_example_of_rfc_3986() {
        for &(href, expected) in RFC_EXAMPLES {
            assert_eq!(document(RFC_BASE, href), expected, "href {href:?}");
            // Without a document, the base URL is the one resolved against.
            assert_eq!(
                resolve(RFC_BASE, None, href, LinkResolution::Document).unwrap(),
                expected,
                "href {href:?} against the base"
            );
        }
    }

    #[test]
    fn redirects_resolve_like_rfc_3986() {
        for &(location, expected) in RFC_EXAMPLES {
            assert_eq!(resolve_location(RFC_BASE, location).unwrap(), expected);
        }
    }

    #[test]
    fn non_http_results_resolve_but_cannot_be_requested() {
        assert_eq!(document(RFC_BASE, "g:h"), "g:h");
        assert!(matches!(
            to_uri("g:h"),
            Err(Error::InvalidUrl { message, .. }) if message.contains("only absolute http")
        ));
        assert!(to_uri("http:g").is_err());
    }

    #[test]
    fn base_mode_joins_like_the_family() {
        for (b, href, expected) in [
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
            (
                "http://example.org/api",
                "customers/1",
                "http://example.org/api/customers/1",
            ),
            ("http://example.org", "HTTPS://x.net/a", "https://x.net/a"),
            (
                "http://example.org",
                "https://x.net/a?b=1",
                "https://x.net/a?b=1",
            ),
            ("http://example.org", "", "http://example.org/"),
            ("http://example.org/api", "", "http://example.org/api/"),
            // Another scheme is not absolute http: it joins, as the family does.
            (
                "http://example.org/api",
                "urn:x",
                "http://example.org/api/urn:x",
            ),
        ] {
            assert_eq!(base(b, href), expected, "{b} + {href}");
        }
    }

    #[test]
    fn openproject_hrefs_need_document_mode() {
        let (b, doc, href) = (
            "http://host/api/v3",
            "http://host/api/v3/projects/1",
            "/api/v3/statuses",
        );
        assert_eq!(
            resolve(b, Some(doc), href, LinkResolution::Document).unwrap(),
            "http://host/api/v3/statuses"
        );
        assert_eq!(
            resolve(b, Some(doc), href, LinkResolution::Base).unwrap(),
            "http://host/api/v3/api/v3/statuses"
        );
        // Relative hrefs are relative to the document in document mode.
        assert_eq!(
            resolve(b, Some(doc), "members", LinkResolution::Document).unwrap(),
            "http://host/api/v3/projects/members"
        );
    }

    #[test]
    fn network_paths_take_the_base_scheme() {
        assert_eq!(
            base("https://h/api", "//cdn.example/x"),
            "https://cdn.example/x"
        );
        assert_eq!(base("http://h/api", "//cdn.example"), "http://cdn.example");
        assert_eq!(
            resolve(
                "https://h/api",
                Some("https://h/api/a"),
                "//o/x/../y",
                LinkResolution::Document
            )
            .unwrap(),
            "https://o/y"
        );
    }

    #[test]
    fn query_and_fragment_only_hrefs_resolve_against_the_document() {
        let doc = Some("http://h/api/orders?page=1");
        for mode in [LinkResolution::Base, LinkResolution::Document] {
            assert_eq!(
                resolve("http://h/api", doc, "?page=2", mode).unwrap(),
                "http://h/api/orders?page=2"
            );
            assert_eq!(
                resolve("http://h/api", doc, "#top", mode).unwrap(),
                "http://h/api/orders?page=1#top"
            );
            // Without a document, against the base URL.
            assert_eq!(
                resolve("http://h/api", None, "?page=2", mode).unwrap(),
                "http://h/api?page=2"
            );
        }
    }

    #[test]
    fn dot_segments_are_never_sent() {
        for (b, href, expected) in [
            ("http://h", "/api/../orders", "http://h/orders"),
            ("http://h/api", "./items/2", "http://h/api/items/2"),
            ("http://h/api", "../x", "http://h/x"),
            ("http://h/api", "a/b/../../../..", "http://h/"),
            ("http://h/api", "a/./b/.", "http://h/api/a/b/"),
            ("http://h/api", "%2e%2E/x", "http://h/x"),
            ("http://h/api", ".%2e/x", "http://h/x"),
            (
                "http://h/api",
                ".well-known/x",
                "http://h/api/.well-known/x",
            ),
            ("http://h/api", "a..b/...", "http://h/api/a..b/..."),
            ("http://h/api", "x?q=/../y", "http://h/api/x?q=/../y"),
        ] {
            assert_eq!(base(b, href), expected, "{b} + {href}");
        }
        assert_eq!(base("http://h", "http://o/a/../b"), "http://o/b");
        assert_eq!(normalize("http://h/a/./b/../c").unwrap(), "http://h/a/c");
    }

    #[test]
    fn what_a_uri_cannot_hold_is_percent_encoded_and_escapes_are_kept() {
        for (href, expected) in [
            ("/café", "http://h/api/caf%C3%A9"),
            ("/a b", "http://h/api/a%20b"),
            ("/x\"<>\\^`{|}", "http://h/api/x%22%3C%3E%5C%5E%60%7B%7C%7D"),
            ("/a%20b", "http://h/api/a%20b"),
            ("/a%2fb%3D", "http://h/api/a%2fb%3D"),
            ("/100%", "http://h/api/100%25"),
            ("/%zz", "http://h/api/%25zz"),
            (
                "/x?q=é ü#frag ment#2",
                "http://h/api/x?q=%C3%A9%20%C3%BC#frag%20ment%232",
            ),
            ("/list?a[]=1&b=x,y;z", "http://h/api/list?a[]=1&b=x,y;z"),
            ("/tab\there", "http://h/api/tab%09here"),
        ] {
            assert_eq!(base("http://h/api", href), expected, "{href}");
        }
        let next =
            "https://abc.execute-api.us-east-1.amazonaws.com/prod/items?next=eyJpZCI6IjEifQ%3D%3D";
        assert_eq!(base("http://h/api", next), next);
        assert_eq!(
            to_uri("http://h/a b/é").unwrap().to_string(),
            "http://h/a%20b/%C3%A9"
        );
    }

    #[test]
    fn hosts_and_schemes_are_normalized_and_userinfo_dropped() {
        for (url, expected) in [
            ("HTTP://Example.ORG/Path", "http://example.org/Path"),
            (
                "http://bücher.example/api",
                "http://xn--bcher-kva.example/api",
            ),
            (
                "http://b%C3%BCcher.example/",
                "http://xn--bcher-kva.example/",
            ),
            ("http://alice:pw@h/x", "http://h/x"),
            ("http://u:p@ss@h:8080/x", "http://h:8080/x"),
            ("http://[::1]:8080/x", "http://[::1]:8080/x"),
            ("http://h:/x", "http://h/x"),
        ] {
            assert_eq!(normalize(url).unwrap(), expected, "{url}");
            assert_eq!(
                normalize(expected).unwrap(),
                expected,
                "{expected} is stable"
            );
        }
        for (bad, why) in [
            ("/relative", "not absolute"),
            ("http://h:99999/", "port"),
            ("http://h:x/", "port"),
            ("http://[::1/", "ipv6"),
            ("http://a b/", "host"),
        ] {
            match normalize(bad) {
                Err(Error::InvalidUrl { message, .. }) => {
                    assert!(message.contains(why), "{bad}: {message}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn only_absolute_http_urls_become_uris() {
        for bad in [
            "/relative",
            "ftp://h/x",
            "http://",
            "not a url",
            "http://[::1",
            "http:///x",
        ] {
            assert!(
                matches!(to_uri(bad), Err(Error::InvalidUrl { .. })),
                "{bad}"
            );
        }
        let uri = to_uri("http://u:secret@h/a/../b").unwrap();
        assert_eq!(uri.to_string(), "http://h/b");
    }

    #[test]
    fn errors_never_show_the_password() {
        let err = normalize("http://user:hunter2@h:x/").unwrap_err();
        assert!(
            matches!(&err, Error::InvalidUrl { url, .. } if url == "http://h:x/"),
            "{err:?}"
        );
        assert!(!err.to_string().contains("hunter2"));
        let err = parse_base("ftp://user:hunter2@h/").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn base_urls_are_checked_and_read_as_url_does() {
        assert_eq!(
            parse_base("http://localhost:2112").unwrap().as_str(),
            "http://localhost:2112/"
        );
        for (given, built) in [
            (
                "http://bücher.example/api",
                "http://xn--bcher-kva.example/api",
            ),
            ("http://h/a b", "http://h/a%20b"),
            ("http:host:8080", "http://host:8080/"),
            (
                "HTTPS://Alice:p%40ss@Example.org:443/api",
                "https://example.org/api",
            ),
        ] {
            let parsed = parse_base(given).unwrap();
            let built_from = without_userinfo(&parsed);
            assert_eq!(built_from, built, "{given}");
            // Whatever builds has an origin, and the requests built from it match it.
            let origin = Origin::of_url(&parsed);
            let request = to_uri(&base(&built_from, "/x")).unwrap();
            assert!(origin.matches(&request), "{given}: {request}");
        }
        for bad in [
            "localhost:2112",
            "ftp://x",
            "",
            "http://",
            "::",
            "http://h/api?x=1",
            "http://h/api#top",
            "http:host:port",
        ] {
            assert!(
                matches!(parse_base(bad), Err(Error::InvalidUrl { .. })),
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
        let base = parse_base("http://[::1]:8080/api").unwrap();
        let o = Origin::of_url(&base);
        assert!(o.matches(&to_uri("http://[::1]:8080/x").unwrap()));
        assert!(!o.matches(&to_uri("http://[::1]:8081/x").unwrap()));
        let o = Origin::of_url(&parse_base("https://h").unwrap());
        assert!(o.matches(&to_uri("https://H:443/x").unwrap()));
        assert!(!o.matches(&to_uri("http://h:443/x").unwrap()));
    }

    #[test]
    fn same_resource_ignores_what_does_not_name_another_resource() {
        for (a, b) in [
            ("http://h/a", "http://h/a#x"),
            ("HTTP://H/a", "http://h/a"),
            ("http://h:80/a", "http://h/a"),
            ("https://h:443/a", "https://h/a"),
            ("http://h", "http://h/"),
            ("http://h/a/../b", "http://h/b"),
            ("http://h/caf%c3%a9", "http://h/café"),
            ("not a url#1", "not a url#2"),
        ] {
            assert!(same_resource(a, b), "{a} = {b}");
        }
        for (a, b) in [
            ("http://h/a", "http://h/A"),
            ("http://h/a", "https://h/a"),
            ("http://h:8080/a", "http://h/a"),
            ("http://h/a?p=1", "http://h/a?p=2"),
            ("http://h/a", "http://h/a/"),
        ] {
            assert!(!same_resource(a, b), "{a} != {b}");
        }
    }

    #[test]
    fn base_credentials_become_a_basic_header() {
        let header = |u: &str| basic_credentials(&parse_base(u).unwrap());
        assert_eq!(header("http://h/api"), None);
        // RFC 7617's example: Aladdin / open sesame.
        assert_eq!(
            header("http://Aladdin:open%20sesame@h/").as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert_eq!(
            header("http://root:password@h/").as_deref(),
            Some("Basic cm9vdDpwYXNzd29yZA==")
        );
        // `@` and `:` in the password, percent-encoded or as url::Url reads them.
        assert_eq!(
            header("http://u:p%40ss@h/").as_deref(),
            Some(format!("Basic {}", base64(b"u:p@ss")).as_str())
        );
        assert_eq!(
            header("http://u:pa@s3cret@h/").as_deref(),
            Some(format!("Basic {}", base64(b"u:pa@s3cret")).as_str())
        );
        assert_eq!(
            header("http://u@h/").as_deref(),
            Some(format!("Basic {}", base64(b"u:")).as_str())
        );
    }

    #[test]
    fn base64_follows_rfc_4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn link_resolution_reads_and_writes_its_names() {
        for (text, mode) in [
            ("base", LinkResolution::Base),
            ("BASE", LinkResolution::Base),
            (" Document ", LinkResolution::Document),
        ] {
            assert_eq!(text.parse::<LinkResolution>().unwrap(), mode);
            assert_eq!(mode.to_string().parse::<LinkResolution>().unwrap(), mode);
        }
        let err = "rfc".parse::<LinkResolution>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown link resolution `rfc`: use base or document"
        );
    }

    #[test]
    fn redaction_cuts_the_userinfo_wherever_the_at_falls() {
        for (url, expected) in [
            ("http://u:p@h/x", "http://h/x"),
            ("http://us:pa@s3cret@host/x", "http://host/x"),
            ("http://u:p%40ss@h/", "http://h/"),
            ("http://u@h/x", "http://h/x"),
            ("http://h/x@y", "http://h/x@y"),
            ("http://h/x?to=a@b", "http://h/x?to=a@b"),
            // Unparseable: the text is cut.
            ("http://u:p@ss@h:port/x", "http://h:port/x"),
            ("user:pw@proxy:3128", "proxy:3128"),
        ] {
            assert_eq!(redacted(url), expected, "{url}");
        }
        assert!(matches!(redacted("http://h/x"), Cow::Borrowed(_)));
    }

    #[test]
    fn no_password_shape_survives_redaction() {
        let passwords = [
            "Zsecret1",
            "Zs@cret2",
            "Zs:e:cret3",
            "Z%40s%3Aecret4",
            "Zs@@cr:et5",
            "Z!$&'()*+,;=6",
            "Zpässwört7",
            "Zsp ace8",
            "Z\\back9",
            "Z%2F%3F%23ten",
            "Z~-._11",
            "Z\"<>^`{|}12",
            "Z\t\nnl13",
            "Z[br]14",
        ];
        for pw in passwords {
            for url in [
                format!("http://user:{pw}@host.example/x"),
                format!("https://user:{pw}@host.example:8443/x?q=1#f"),
                format!("http://{pw}:{pw}@host.example"),
                format!("http://user:{pw}@host.example:notaport/x"),
                format!("http:user:{pw}@host.example/x"),
                format!("http:/user:{pw}@host.example:notaport/x"),
                format!("http://user:{pw}#frag@host.example/x"),
                format!("http://user:{pw}/slash@host.example/x"),
                format!("http://user:{pw}?q@host.example/x"),
                format!("https:/user:{pw}@host.example/x"),
                format!("HTTP://user:{pw}@[::1]:80/"),
                format!("ftp://user:{pw}@host.example/"),
                format!("http://user:{pw}@bücher.example/a b"),
                format!("user:{pw}@proxy.example:3128"),
                format!("socks5://user:{pw}@proxy.example"),
                format!("http://a:b@c:{pw}@host.example/"),
            ] {
                let out = redacted(&url);
                let encoded: String =
                    percent_encoding::utf8_percent_encode(pw, percent_encoding::NON_ALPHANUMERIC)
                        .collect();
                for secret in [pw, &encoded, pw.trim_start_matches('Z')] {
                    assert!(!out.contains(secret), "{url:?} -> {out:?} holds {secret:?}");
                }
                for err in [
                    normalize(&url).err(),
                    parse_base(&url).err(),
                    to_uri(&url).err(),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(!format!("{err}").contains(pw), "{err}");
                }
            }
        }
    }

    /// The common case: a plain href allocates one string, the output.
    #[test]
    fn the_fast_path_takes_plain_hrefs() {
        let b = "http://localhost:2112/api";
        let joined = format!("{b}/customers/1");
        assert!(is_normal(&joined));
        assert!(is_normal("https://h.example:8443/a/b?x=1&y=%3D#f"));
        for not in [
            "http://h/a/../b",
            "http://H/a",
            "http://u@h/a",
            "http://h/é",
            "http://h/%zz",
            "http://h/a#b#c",
            "http://[::1]/",
            "ftp://h/",
            "http://h:99999/",
        ] {
            assert!(!is_normal(not), "{not}");
        }
        // Rough numbers, against a `format!` of the same string (CPU time of this thread):
        // cargo test --release --lib url::tests::the_fast_path_takes -- --nocapture
        let hrefs = ["/customers/1", "orders?page=2"];
        let start = cpu_time::ThreadTime::now();
        let mut total = 0;
        for i in 0..100_000 {
            let href = hrefs[i % 2];
            total += resolve(b, None, href, LinkResolution::Base).map_or(0, |s| s.len());
        }
        let resolved = start.elapsed() / 100_000;
        let start = cpu_time::ThreadTime::now();
        for i in 0..100_000 {
            let href = hrefs[i % 2].trim_start_matches('/');
            total -= std::hint::black_box(format!("{b}/{href}")).len();
        }
        let formatted = start.elapsed() / 100_000;
        assert_eq!(total, 0, "the fast path returns the joined string as it is");
        println!("resolve: {resolved:?} per call; format!: {formatted:?}");
    }

    /// As in `proptests.rs`: a fixed seed and 512 cases unless `PROPTEST_RNG_SEED` or
    /// `PROPTEST_CASES` say otherwise.
    fn config() -> ProptestConfig {
        let mut c = ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            c.rng_seed = proptest::test_runner::RngSeed::Fixed(0x5552_4c21);
        }
        if std::env::var_os("PROPTEST_CASES").is_none() {
            c.cases = 512;
        }
        c
    }

    /// Strings with the characters URLs are made of, and anything else.
    fn url_text() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => "(https?:|[a-z]:|HTTP:)?(//)?([a-z]+(:[a-z@%]*)?@)?[a-zA-Z.é%0-9:@\\[\\]]{0,8}(/[a-z.%2eE ?#é]{0,4}){0,5}",
            1 => "[./%2e?#:@a-z é\\\\]{0,20}",
            1 => any::<String>(),
        ]
    }

    /// URLs close to the fast path's form, to check it against the slow one.
    fn near_normal() -> impl Strategy<Value = String> {
        "https?://[a-zA-Z0-9._~-]{1,6}(:[0-9]{0,6})?(/[a-zA-Z0-9.%2eE_~ ]{0,5}){0,4}(\\?[a-z=%&/.]{0,6})?(#[a-z#]{0,3})?"
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn the_fast_path_agrees_with_the_slow_one(url in near_normal()) {
            let slow = normalize_slow(&url);
            if is_normal(&url) {
                prop_assert_eq!(slow.ok(), Some(url));
            } else if let Ok(slow) = slow {
                prop_assert!(is_normal(&slow), "{} -> {}", url, slow);
            }
        }

        #[test]
        fn urls_never_panic_and_keep_their_promises(
            b in url_text(), doc in url_text(), href in url_text(), other in url_text()
        ) {
            for mode in [LinkResolution::Base, LinkResolution::Document] {
                for document in [None, Some(doc.as_str())] {
                    if let Ok(out) = resolve(&b, document, &href, mode) {
                        // The result is normal: normalizing again changes nothing.
                        let again = normalize(&out).ok();
                        prop_assert_eq!(again.as_deref(), Some(out.as_str()));
                        if let Ok(uri) = to_uri(&out) {
                            prop_assert!(matches!(uri.scheme_str(), Some("http" | "https")));
                        }
                    }
                }
            }
            if let Ok(n) = normalize(&href) {
                let path = Parts::of(&n).path;
                // A path that would read as an authority keeps a leading `/.` (as url::Url does).
                let path = path.strip_prefix("/.").filter(|p| p.starts_with("//")).unwrap_or(path);
                prop_assert!(!path.split('/').any(|s| dots(s.as_bytes()) > 0), "{}", n);
                prop_assert!(n.bytes().all(|c| c.is_ascii_graphic()));
                prop_assert!(same_resource(&href, &n));
            }
            let _ = resolve_location(&b, &href);
            let _ = parse_base(&b).map(|u| (basic_credentials(&u), without_userinfo(&u), Origin::of_url(&u)));
            prop_assert!(same_resource(&href, &href));
            let _ = same_resource(&href, &other);
            let r = redacted(&href);
            if let Ok(u) = url::Url::parse(&href)
                && let Some(pw) = u.password()
            {
                // Unless the rest of the URL holds the same text.
                let rest = without_userinfo(&u);
                prop_assert!(!r.contains(pw) || rest.contains(pw), "{} -> {}", href, r);
            }
        }
    }
}
