//! Host name resolution for the agent: IP literals need none, and host names are looked up
//! once per half minute.

use std::collections::HashMap;
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
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut answers) = self.answers.write() {
            answers.retain(|_, (at, _)| at.elapsed() < TTL);
            answers.insert(key, (Instant::now(), addrs.clone()));
        }
        Ok(addrs)
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
