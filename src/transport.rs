//! One HTTP exchange over the shared agent: one deadline for the whole call, redirects,
//! credentials per hop, the body limit, and the response turned into a `Resource`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use ureq::http::{self, HeaderMap, HeaderName, Method, StatusCode, Uri, header};

use crate::api::Api;
use crate::body::Body;
use crate::error::{Error, NetworkError, Result};
use crate::headers;
use crate::meta::{self, Meta, MetaError, RequestMeta, ResponseBody, ResponseMeta};
use crate::resource::{Doc, Resource};
use crate::url::{self, Origin};
use crate::validators::Validators;

const MAX_REDIRECTS: u32 = 10;
/// How often a safe request is sent again after its connection turned out to be closed.
const MAX_STALE_RETRIES: u32 = 2;

/// The preconditions a request can carry; none survives a redirect that turns it into a GET.
pub(crate) const PRECONDITIONS: [HeaderName; 5] = [
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::IF_UNMODIFIED_SINCE,
    header::IF_MODIFIED_SINCE,
    header::IF_RANGE,
];

/// A request ready to go.
pub(crate) struct Prepared {
    pub method: Method,
    pub url: String,
    pub uri: Uri,
    /// Defaults merged with the request's own headers.
    pub headers: HeaderMap,
    /// Credential headers the request set itself (not defaults).
    pub explicit_credentials: Vec<HeaderName>,
    pub body: Option<Vec<u8>>,
    /// The whole call's time limit.
    pub timeout: Option<Duration>,
    /// The rel followed, when the request follows a link (for warnings).
    pub rel: Option<String>,
    /// The URL before `with_parameters` added to its query: a write to a resource's own URL
    /// with parameters (`self?notify=false`) carries its precondition (see
    /// `write::Ownership::Maybe`).
    pub unparameterized: Option<String>,
}

impl Prepared {
    /// The Api's headers with the request's over them, and the body encoded (its content
    /// type replacing the default one).
    pub(crate) fn new(
        api: &Api,
        method: Method,
        url: String,
        own_headers: HeaderMap,
        body: Option<Body>,
        timeout: Option<Duration>,
    ) -> Result<Prepared> {
        let uri = url::to_request_uri(&url)?;
        let mut headers = api.config.headers.clone();
        let explicit_credentials = own_headers
            .keys()
            .filter(|n| headers::is_credential(n))
            .cloned()
            .collect();
        for (name, value) in own_headers {
            if let Some(name) = name {
                headers.insert(name, value);
            }
        }
        let body = match body.map(|b| b.encode(api.config.list_style)).transpose()? {
            Some(Some((bytes, content_type))) => {
                if let Some(ct) = content_type {
                    headers.insert(header::CONTENT_TYPE, headers::value("Content-Type", &ct)?);
                }
                Some(bytes)
            }
            _ => None,
        };
        Ok(Prepared {
            method,
            url,
            uri,
            headers,
            explicit_credentials,
            body,
            timeout,
            rel: None,
            unparameterized: None,
        })
    }
}

/// A pooled keep-alive connection the server closed meanwhile fails a request with a reset or
/// an early end before any response. GET, HEAD and OPTIONS change nothing on the server, so they
/// are sent again (ureq opens a new connection); anything else returns the error, so a POST or a
/// write is never sent twice without the caller knowing.
fn is_stale_connection(method: &Method, e: &ureq::Error) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        && matches!(e, ureq::Error::Io(io) if matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
        ))
}

/// Sends the request, following redirects, and returns the response as a resource, whatever
/// its status. A network failure is `Err(Error::Network)` when `raise_on_network_error` is on,
/// else a resource with status 0.
pub(crate) fn exchange(api: &Api, prepared: Prepared) -> Result<Resource> {
    exchange_with(
        api,
        prepared,
        api.config.error_handling.raise_on_network_error,
    )
}

/// As [`exchange`], with network failures always raised.
pub(crate) fn exchange_raising(api: &Api, prepared: Prepared) -> Result<Resource> {
    exchange_with(api, prepared, true)
}

fn exchange_with(api: &Api, prepared: Prepared, raise_network: bool) -> Result<Resource> {
    let config = &api.config;
    let started = Instant::now();
    let deadline = prepared.timeout.and_then(|t| started.checked_add(t));
    // The agent's own timeout is the Api's; only a call that needs another sets its own.
    let mut agent_timeout_fits = prepared.timeout == config.timeout;
    let Prepared {
        mut method,
        mut url,
        mut uri,
        headers: mut all_headers,
        explicit_credentials,
        mut body,
        rel,
        ..
    } = prepared;
    // Only needed (and only computed) when the request set credentials itself.
    let first_origin = match explicit_credentials.is_empty() {
        true => None,
        false => Origin::of(&uri),
    };
    // No response: an error, or a resource with status 0 (see `raise_on_network_error`).
    let failed = |method, url, headers, body, e| {
        no_response(
            api,
            method,
            url,
            headers,
            body,
            e,
            raise_network,
            started,
            deadline,
        )
    };
    let mut hops = 0;
    let mut stale_retries = 0;
    let mut busy_retries = 0;
    // The last busy (`429`/`503`) answer a repeat was sent after.
    let mut busy = None;
    loop {
        let filtered = hop_headers(
            &all_headers,
            &explicit_credentials,
            &uri,
            Some(&config.base_origin),
            first_origin.as_ref(),
        );
        let headers = filtered.as_ref().unwrap_or(&all_headers);
        let remaining = match deadline {
            None => None,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => {
                    let e = ureq::Error::Timeout(ureq::Timeout::Global);
                    return failed(method, url, filtered.unwrap_or(all_headers), body, e);
                }
            },
        };
        let timeout = (!agent_timeout_fits).then_some(remaining);
        let result = match &body {
            Some(bytes) => run(
                api,
                request(&method, &uri, headers, bytes.as_slice()),
                timeout,
            ),
            None => run(api, request(&method, &uri, headers, ()), timeout),
        };
        // Every later hop has less time left than the agent's timeout.
        agent_timeout_fits = false;
        let response = match result {
            Ok(r) => r,
            Err(e) if stale_retries < MAX_STALE_RETRIES && is_stale_connection(&method, &e) => {
                stale_retries += 1;
                log::debug!(target: "halchemy", "{method} {}: {e}; retrying on a new connection", url::redacted(&url));
                continue;
            }
            Err(e) => {
                return failed(method, url, filtered.unwrap_or(all_headers), body, e);
            }
        };
        let status = response.status();
        if let Some(location) = redirect_location(status, response.headers()) {
            if hops == MAX_REDIRECTS {
                return Err(Error::TooManyRedirects {
                    url: url::redacted(&url).into_owned(),
                    max: MAX_REDIRECTS,
                });
            }
            hops += 1;
            // Credentials withheld from this hop stay out of the rest of the chain: an origin
            // they must not reach does not get to choose where they go next.
            if let Some(without) = filtered {
                all_headers = without;
            }
            // Read the body so the connection goes back to the pool.
            let _ = response
                .into_body()
                .with_config()
                .limit(config.body_limit)
                .read_to_vec();
            let next = url::resolve_location(&url, &location)?;
            log::debug!(
                target: "halchemy",
                "{method} {} -> {} redirect to {}",
                url::redacted(&url),
                status.as_u16(),
                url::redacted(&next)
            );
            uri = url::to_request_uri(&next)?;
            url = next;
            let becomes_get = status == StatusCode::SEE_OTHER
                || (method == Method::POST
                    && matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND));
            if becomes_get && method != Method::HEAD {
                // The write is done: what follows is a plain read of the result, with no body
                // and no precondition (a stale If-Match there would fail a write that worked).
                method = Method::GET;
                body = None;
                for name in &PRECONDITIONS {
                    all_headers.remove(name);
                }
            }
            continue;
        }
        if let Some(wait) = busy_wait(
            config,
            &method,
            &all_headers,
            status,
            response.headers(),
            busy_retries,
            deadline,
        ) {
            busy_retries += 1;
            log::debug!(
                target: "halchemy",
                "{method} {} -> {}; retrying in {wait:?}",
                url::redacted(&url),
                status.as_u16()
            );
            // Read the body: the connection goes back to the pool, and a write keeps the
            // answer (see below).
            let (parts, mut busy_body) = response.into_parts();
            let bytes = read_body(&mut busy_body, &parts.headers, config.body_limit);
            busy = Some((parts, bytes.unwrap_or_default()));
            std::thread::sleep(wait);
            continue;
        }
        let (parts, mut response_body) = response.into_parts();
        // A repeated write that meets `412` may have met its own first attempt, which the busy
        // answer did not say was not done: its outcome is unknown, so the busy answer stands
        // (as without retries), never a conflict that `update` would retry on.
        if let (Some(earlier), StatusCode::PRECONDITION_FAILED, false) =
            (busy.take(), status, method.is_safe())
        {
            log::warn!(
                target: "halchemy",
                "{method} {}: the repeat after {} met 412: the first attempt may have been applied; answering the {}",
                url::redacted(&url),
                earlier.0.status.as_u16(),
                earlier.0.status.as_u16()
            );
            let _ = read_body(&mut response_body, &parts.headers, config.body_limit);
            let request = RequestMeta {
                method: method.to_string(),
                url,
                headers: filtered.unwrap_or(all_headers),
                body,
            };
            return Ok(response_resource(api, request, earlier.0, earlier.1));
        }
        let bytes = match read_body(&mut response_body, &parts.headers, config.body_limit) {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(limit)) => {
                return Err(Error::BodyTooLarge {
                    method: method.to_string(),
                    url: url::redacted(&url).into_owned(),
                    limit,
                });
            }
            Err(e) => {
                return failed(method, url, filtered.unwrap_or(all_headers), body, e);
            }
        };
        log::debug!(
            target: "halchemy",
            "{method} {} -> {} in {:?}",
            url::redacted(&url),
            status.as_u16(),
            started.elapsed()
        );
        let request = RequestMeta {
            method: method.to_string(),
            url,
            headers: filtered.unwrap_or(all_headers),
            body,
        };
        warn_if_deprecated(&request, rel.as_deref(), &parts.headers);
        return Ok(response_resource(api, request, parts, bytes));
    }
}

/// The most a body's `Content-Length` makes halchemy reserve before reading: a larger body
/// grows as it arrives, so a false length cannot force a large allocation.
const MAX_PRESIZE: u64 = 1 << 20;

/// Reads a body within `limit`, into a buffer sized from its `Content-Length` (reading into
/// an empty one costs a reallocation and a read for every doubling).
fn read_body(
    body: &mut ureq::Body,
    headers: &HeaderMap,
    limit: u64,
) -> std::result::Result<Vec<u8>, ureq::Error> {
    use std::io::Read as _;
    let expected = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0)
        .min(limit)
        .min(MAX_PRESIZE);
    // One byte more than the body, so the end is seen without growing the buffer.
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0) + 1);
    body.with_config()
        .limit(limit)
        .reader()
        .read_to_end(&mut bytes)
        .map_err(ureq::Error::from)?;
    Ok(bytes)
}

/// How long to wait before sending the request again after a `429` or `503`, or `None` when
/// it is not to be sent again: retries off or used up, a method that is not safe to repeat
/// (only GET, HEAD, OPTIONS and writes carrying an entity tag's `If-Match` are), a wait longer than the
/// cap, or one that would pass the call's deadline.
fn busy_wait(
    config: &crate::config::Config,
    method: &Method,
    headers: &HeaderMap,
    status: StatusCode,
    response_headers: &HeaderMap,
    done: u32,
    deadline: Option<Instant>,
) -> Option<Duration> {
    let busy = matches!(status.as_u16(), 429 | 503);
    if !busy || done >= config.retry.max {
        return None;
    }
    let repeatable = match *method {
        Method::GET | Method::HEAD | Method::OPTIONS => true,
        // An entity tag names one version, so a repeat of a write the first attempt already
        // made meets `412` instead of applying twice. `If-Match: *` does not, and neither
        // does `If-Unmodified-Since`: a date of one-second resolution still matches after a
        // write made within that second.
        Method::PUT | Method::PATCH | Method::DELETE => headers
            .get(header::IF_MATCH)
            .is_some_and(|v| v.as_bytes().trim_ascii() != b"*"),
        _ => false,
    };
    if !repeatable {
        return None;
    }
    let wait = response_headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, std::time::SystemTime::now()))
        .unwrap_or(crate::config::DEFAULT_RETRY_WAIT);
    if wait > config.retry.max_wait {
        return None;
    }
    let in_time =
        deadline.is_none_or(|d| Instant::now().checked_add(wait).is_some_and(|at| at < d));
    in_time.then_some(wait)
}

/// A `Retry-After` value: delta-seconds, or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`);
/// a date in the past is no wait. Other forms are not understood (`None`).
pub(crate) fn retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = imf_fixdate(value)?;
    let now = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the Unix epoch of an IMF-fixdate (RFC 9110 §5.6.7).
fn imf_fixdate(s: &str) -> Option<u64> {
    let (_, rest) = s.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month_name)? as u64
        + 1;
    let year: u64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|n| n.parse::<u64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || parts.next().is_some() || !(1..=31).contains(&day) {
        return None;
    }
    if year < 1970 || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), years from 1970 on.
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    if year > 9999 {
        return None;
    }
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

/// Runs one hop, with the time left of the call when the agent's own timeout does not fit.
fn run<B: ureq::AsSendBody>(
    api: &Api,
    request: http::Request<B>,
    timeout: Option<Option<Duration>>,
) -> std::result::Result<http::Response<ureq::Body>, ureq::Error> {
    match timeout {
        None => api.agent.run(request),
        Some(t) => {
            let request = api
                .agent
                .configure_request(request)
                .timeout_global(t)
                .build();
            api.agent.run(request)
        }
    }
}

/// The response as a resource: its JSON as data, its validators, its URL.
fn response_resource(
    api: &Api,
    request: RequestMeta,
    parts: http::response::Parts,
    bytes: Vec<u8>,
) -> Resource {
    let config = &api.config;
    let (data, kept_body) = parse_body(bytes);
    let status = parts.status;
    let code = status.as_u16();
    // A read's validators name the data only when the data is the representation: a HEAD, a
    // `304` to a caller's own conditional GET, or a body that is not JSON hold none of it.
    // (A write's are kept for bringing the resource forward; `write` unpairs them after.)
    let reads = matches!(request.method.as_str(), "GET" | "HEAD");
    let representation = status.is_success() && kept_body == ResponseBody::Json;
    let validators = match !reads || representation {
        true => Validators::of_response(&parts.headers, &data, &config.etag_field),
        false => Validators::default(),
    };
    // A GET's answer is the representation of the URL read; a write's answer is one only
    // when it says where it came from (Content-Location).
    let content_location = parts
        .headers
        .get(header::CONTENT_LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|cl| url::resolve_location(&request.url, cl).ok());
    let read = request.method == "GET" && (status.is_success() || code == 304);
    let (doc_url, url_is_own) = match content_location {
        Some(cl) => (cl, status.is_success()),
        None => (request.url.clone(), read),
    };
    let header_links = parts
        .headers
        .contains_key(header::LINK)
        .then(|| crate::hal::header_links(&parts.headers, &doc_url))
        .filter(|links| !links.is_empty());
    let doc = Doc {
        value: data,
        etag_field: Arc::clone(&config.etag_field),
        url: Some(Arc::from(doc_url)),
        url_is_own,
        header_links,
    };
    let reason = status.canonical_reason().unwrap_or("").to_owned();
    let error = (code >= 400).then(|| MetaError::Status {
        status: code,
        reason: reason.clone(),
    });
    let meta = Meta {
        request,
        response: ResponseMeta {
            status: code,
            reason,
            headers: parts.headers,
            body: kept_body,
        },
        error,
    };
    Resource::new(doc, validators, meta)
}

/// Logs a `warn` when the server says the resource is deprecated or will go away
/// (`Deprecation`, RFC 9745; `Sunset`, RFC 8594), as the HAL draft asks of clients.
fn warn_if_deprecated(request: &RequestMeta, rel: Option<&str>, headers: &HeaderMap) {
    let value = |name: &str| {
        headers
            .get(name)
            .map(|v| url::redacted_text(&String::from_utf8_lossy(v.as_bytes())).into_owned())
    };
    let (deprecation, sunset) = (value("deprecation"), value("sunset"));
    if deprecation.is_none() && sunset.is_none() {
        return;
    }
    let mut what = Vec::new();
    if let Some(d) = deprecation {
        what.push(format!("deprecated ({d})"));
    }
    if let Some(s) = sunset {
        what.push(format!("to be withdrawn at {s}"));
    }
    let via = rel.map(|r| format!(" (link `{r}`)")).unwrap_or_default();
    log::warn!(
        target: "halchemy",
        "{} {}{via} is {}",
        request.method,
        url::redacted(&request.url),
        what.join(" and ")
    );
}

/// Raises statuses in the `raise_on_status_codes` set (status 0 is not a status).
pub(crate) fn check_status(api: &Api, response: Resource) -> Result<Resource> {
    let status = response.status();
    match &api.config.error_handling.raise_on_status_codes {
        Some(codes) if status != 0 && codes.contains(status) => {
            Err(Error::Status(Box::new(response)))
        }
        _ => Ok(response),
    }
}

fn request<B>(method: &Method, uri: &Uri, headers: &HeaderMap, body: B) -> http::Request<B> {
    let mut r = http::Request::new(body);
    *r.method_mut() = method.clone();
    *r.uri_mut() = uri.clone();
    *r.headers_mut() = headers.clone();
    r
}

/// The headers for one hop: default credentials go only to the base URL's origin; credentials
/// the request set itself go only to the origin it was sent to first. `None`: send them all.
fn hop_headers(
    all: &HeaderMap,
    explicit: &[HeaderName],
    uri: &Uri,
    base: Option<&Origin>,
    first: Option<&Origin>,
) -> Option<HeaderMap> {
    let withheld = |name: &HeaderName| {
        let home = if explicit.contains(name) { first } else { base };
        all.contains_key(name) && !home.is_some_and(|o| o.matches(uri))
    };
    let names = [
        header::AUTHORIZATION,
        header::COOKIE,
        header::PROXY_AUTHORIZATION,
    ];
    if !names.iter().any(withheld) {
        return None;
    }
    let mut headers = all.clone();
    for name in names.iter().filter(|n| withheld(n)) {
        headers.remove(name);
    }
    Some(headers)
}

fn redirect_location(status: StatusCode, headers: &HeaderMap) -> Option<String> {
    match status.as_u16() {
        301 | 302 | 303 | 307 | 308 => headers
            .get(header::LOCATION)
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .map(str::to_owned),
        _ => None,
    }
}

/// JSON becomes the data; anything else is kept as text and the data is `Null`.
fn parse_body(bytes: Vec<u8>) -> (Value, ResponseBody) {
    if bytes.is_empty() {
        return (Value::Null, ResponseBody::Empty);
    }
    match serde_json::from_slice(&bytes) {
        Ok(v) => (v, ResponseBody::Json),
        Err(_) => {
            let text = match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            };
            (Value::Null, ResponseBody::Text(text))
        }
    }
}

/// After an "unknown issuer" failure, reads which issuer the server's certificate names, so
/// the message can say it (one more connection, stopped after the certificate; never through
/// a proxy, which the probe could not use).
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn name_the_issuer(api: &Api, url: &str, error: &mut NetworkError, deadline: Option<Instant>) {
    if !crate::tls_probe::is_unknown_issuer(error.ureq_error())
        || api.agent.config().proxy().is_some()
    {
        return;
    }
    let Ok(parsed) = ::url::Url::parse(url) else {
        return;
    };
    let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
        return;
    };
    let mut timeout = api
        .config
        .connect_timeout
        .unwrap_or(Duration::from_secs(10))
        .min(Duration::from_secs(5));
    // Within the call's deadline.
    if let Some(deadline) = deadline {
        timeout = timeout.min(deadline.saturating_duration_since(Instant::now()));
    }
    if timeout.is_zero() {
        return;
    }
    if let Some(issuer) = crate::tls_probe::issuer(host, port, timeout) {
        error.name_issuer(&issuer);
    }
}

#[allow(clippy::too_many_arguments)]
fn no_response(
    api: &Api,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    e: ureq::Error,
    raise: bool,
    started: Instant,
    deadline: Option<Instant>,
) -> Result<Resource> {
    let error = NetworkError::new(method.as_str(), &url::redacted(&url), e);
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    let error = {
        let mut error = error;
        name_the_issuer(api, &url, &mut error, deadline);
        error
    };
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    let _ = deadline;
    log::debug!(target: "halchemy", "{error} after {:?}", started.elapsed());
    if raise {
        return Err(Error::Network(Box::new(error)));
    }
    let meta = Meta {
        request: RequestMeta {
            method: method.to_string(),
            url,
            headers,
            body,
        },
        response: ResponseMeta {
            status: 0,
            reason: meta::NO_RESPONSE.to_owned(),
            headers: HeaderMap::new(),
            body: ResponseBody::Empty,
        },
        error: Some(MetaError::Network {
            kind: error.kind(),
            message: error.to_string(),
        }),
    };
    let doc = Doc::new(Value::Null, Arc::clone(&api.config.etag_field));
    Ok(Resource::new(doc, Validators::default(), meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_json_bodies_are_kept_as_text() {
        assert_eq!(parse_body(vec![]), (Value::Null, ResponseBody::Empty));
        assert_eq!(
            parse_body(b"{\"a\":1}".to_vec()),
            (serde_json::json!({"a": 1}), ResponseBody::Json)
        );
        assert_eq!(
            parse_body(b"<p>hi</p>".to_vec()),
            (Value::Null, ResponseBody::Text("<p>hi</p>".into()))
        );
        let deep = "[".repeat(10_000);
        assert_eq!(
            parse_body(deep.clone().into_bytes()).1,
            ResponseBody::Text(deep)
        );
        assert_eq!(
            parse_body(vec![0xff, b'x']).1,
            ResponseBody::Text("\u{fffd}x".into())
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        use std::time::{SystemTime, UNIX_EPOCH};
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // Sun, 06 Nov 1994 08:49:30 GMT
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO),
            "a date in the past"
        );
        assert_eq!(imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            imf_fixdate("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        for bad in [
            "",
            "-1",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
        ] {
            assert_eq!(retry_after(bad, SystemTime::now()), None, "{bad}");
        }
    }

    #[test]
    fn credentials_stay_home() {
        let mut all = HeaderMap::new();
        all.insert(header::AUTHORIZATION, "Basic x".parse().unwrap());
        all.insert(header::COOKIE, "c=1".parse().unwrap());
        all.insert(header::ACCEPT, "a".parse().unwrap());
        let home = Origin::of(&url::to_uri("http://h:1/").unwrap());
        let away = url::to_uri("http://h:2/x").unwrap();
        let at_home = url::to_uri("http://h:1/x").unwrap();
        let h = hop_headers(&all, &[], &away, home.as_ref(), home.as_ref()).unwrap();
        assert_eq!(h.len(), 1);
        assert!(h.contains_key(header::ACCEPT));
        assert!(hop_headers(&all, &[], &at_home, home.as_ref(), home.as_ref()).is_none());
        // An explicit credential goes where the request was first sent, not elsewhere.
        let first = Origin::of(&away);
        let h = hop_headers(
            &all,
            &[header::COOKIE],
            &away,
            home.as_ref(),
            first.as_ref(),
        )
        .unwrap();
        assert!(h.contains_key(header::COOKIE) && !h.contains_key(header::AUTHORIZATION));
    }
}
