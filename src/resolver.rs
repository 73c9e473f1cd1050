//! Host name resolution for the agent: IP literals need none, and host names are looked up
//! once per half minute. A failed lookup is a [`DnsError`] naming the host.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a looked-up address is used before it is looked up again (curl keeps its DNS
/// answers for 60 s by default).
const TTL: Duration = Duration::from_secs(30);

/// ureq's resolver starts a thread for every request that has a timeout, so a slow lookup can
/// be abandoned — even when the host is an IP address, and even when a pooled connection is
/// reused. This one answers IP literals itself, and keeps host names' answers for [`TTL`]; only
/// a real lookup goes to the inner resolver (ureq's, with its thread and timeout).
#[derive(Debug, Default)]
pub(crate) struct Cached<R = DefaultResolver> {
    inner: R,
    answers: RwLock<HashMap<(String, u16), (Instant, ResolvedSocketAddrs)>>,
}

impl<R: Resolver> Resolver for Cached<R> {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some((host, port)) = host_and_port(uri) else {
            return self.inner.resolve(uri, config, timeout);
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            let mut out = self.empty();
            out.push(SocketAddr::new(ip, port));
            return Ok(out);
        }
        let key = (host.to_ascii_lowercase(), port);
        if let Ok(answers) = self.answers.read()
            && let Some((at, addrs)) = answers.get(&key)
            && at.elapsed() < TTL
        {
            return Ok(addrs.clone());
        }
        let addrs = self
            .inner
            .resolve(uri, config, timeout)
            .map_err(|e| DnsError::wrap(host, e))?;
        if let Ok(mut answers) = self.answers.write() {
            answers.retain(|_, (at, _)| at.elapsed() < TTL);
            answers.insert(key, (Instant::now(), addrs.clone()));
        }
        Ok(addrs)
    }
}

/// A host name that did not resolve, with the lookup's own error (ureq reports a failed
/// `getaddrinfo` as an uncategorized I/O error, which cannot be told from other I/O errors).
#[derive(Debug)]
pub(crate) struct DnsError {
    host: String,
    /// `None` when the lookup succeeded with no usable address.
    source: Option<std::io::Error>,
}

impl DnsError {
    /// A lookup's failure as a `DnsError` inside `ureq::Error::Other`; a timeout stays a
    /// timeout.
    fn wrap(host: &str, e: ureq::Error) -> ureq::Error {
        let source = match e {
            ureq::Error::Io(io) => Some(io),
            ureq::Error::HostNotFound => None,
            other => return other,
        };
        ureq::Error::Other(Box::new(DnsError {
            host: host.to_owned(),
            source,
        }))
    }
}

#[cfg(test)]
impl DnsError {
    /// A failed lookup of `host`, as `getaddrinfo` reports it.
    pub(crate) fn for_test(host: &str) -> DnsError {
        DnsError {
            host: host.to_owned(),
            source: Some(std::io::Error::other(
                "failed to lookup address information: Name or service not known",
            )),
        }
    }
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(e) => write!(f, "cannot resolve the host name `{}`: {e}", self.host),
            None => write!(f, "the host name `{}` has no address", self.host),
        }
    }
}

impl std::error::Error for DnsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// The host (without IPv6 brackets) and the port (explicit, else the scheme's default).
fn host_and_port(uri: &Uri) -> Option<(&str, u16)> {
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port = uri.port_u16().or(match uri.scheme_str()? {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })?;
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers every name with 10.0.0.1 and counts the lookups.
    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);

    impl Resolver for Counting {
        fn resolve(
            &self,
            uri: &Uri,
            _: &Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let mut out = self.empty();
            out.push(SocketAddr::new(
                [10, 0, 0, 1].into(),
                uri.port_u16().unwrap_or(80),
            ));
            Ok(out)
        }
    }

    /// Fails every lookup as ureq's resolver does when `getaddrinfo` fails, or times out.
    #[derive(Debug, Default)]
    struct Failing {
        timeout: bool,
    }

    impl Resolver for Failing {
        fn resolve(
            &self,
            _: &Uri,
            _: &Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            Err(match self.timeout {
                true => ureq::Error::Timeout(ureq::Timeout::Resolve),
                false => ureq::Error::Io(std::io::Error::other(
                    "failed to lookup address information: Name or service not known",
                )),
            })
        }
    }

    #[test]
    fn a_failed_lookup_is_a_dns_error_naming_the_host() {
        let r = Cached::<Failing>::default();
        let uri: Uri = "http://api.example:81/a".parse().unwrap();
        let err = r
            .resolve(&uri, &Config::default(), NextTimeout::default())
            .unwrap_err();
        let ureq::Error::Other(inner) = &err else {
            panic!("{err:?}")
        };
        let dns = inner.downcast_ref::<DnsError>().unwrap();
        assert_eq!(dns.host, "api.example");
        assert!(dns.to_string().contains("`api.example`"), "{dns}");
        let cause = std::error::Error::source(dns).unwrap().to_string();
        assert!(cause.contains("failed to lookup address"), "{cause}");
        // Nothing was cached: the next call looks up again (and fails again).
        assert!(r.answers.read().unwrap().is_empty());

        let r = Cached {
            inner: Failing { timeout: true },
            answers: RwLock::default(),
        };
        let err = r
            .resolve(&uri, &Config::default(), NextTimeout::default())
            .unwrap_err();
        assert!(matches!(err, ureq::Error::Timeout(_)), "{err:?}");
    }

    fn resolve(r: &Cached<Counting>, uri: &str) -> Vec<String> {
        r.resolve(
            &uri.parse().unwrap(),
            &Config::default(),
            NextTimeout::default(),
        )
        .unwrap()
        .iter()
        .map(|a| a.to_string())
        .collect()
    }

    #[test]
    fn ip_literals_are_answered_without_a_lookup() {
        let r = Cached::<Counting>::default();
        assert_eq!(resolve(&r, "http://127.0.0.1:8080/x"), ["127.0.0.1:8080"]);
        assert_eq!(resolve(&r, "http://127.0.0.1/x"), ["127.0.0.1:80"]);
        assert_eq!(resolve(&r, "https://[::1]/x"), ["[::1]:443"]);
        assert_eq!(resolve(&r, "http://[::1]:9/x"), ["[::1]:9"]);
        assert_eq!(r.inner.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn host_names_are_looked_up_once_per_host_and_port() {
        let r = Cached::<Counting>::default();
        assert_eq!(resolve(&r, "http://api.example:81/a"), ["10.0.0.1:81"]);
        assert_eq!(resolve(&r, "http://API.example:81/b"), ["10.0.0.1:81"]);
        assert_eq!(r.inner.0.load(Ordering::SeqCst), 1);
        resolve(&r, "http://api.example:82/a");
        resolve(&r, "http://other.example:81/a");
        assert_eq!(r.inner.0.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn answers_expire() {
        let r = Cached::<Counting>::default();
        resolve(&r, "http://api.example/a");
        let key = ("api.example".to_owned(), 80);
        r.answers.write().unwrap().get_mut(&key).unwrap().0 -= TTL;
        resolve(&r, "http://api.example/a");
        assert_eq!(r.inner.0.load(Ordering::SeqCst), 2);
    }
}
