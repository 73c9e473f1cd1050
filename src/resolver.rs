//! Host name resolution for the agent: IP literals need none.

use std::net::{IpAddr, SocketAddr};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// ureq's resolver starts a thread for every request that has a timeout, so a lookup can be
/// abandoned, even when the host is an IP address and even when a pooled connection is reused.
/// An IP literal is answered here without one; host names go to ureq's resolver.
#[derive(Debug, Default)]
pub(crate) struct LiteralFirst(DefaultResolver);

impl Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if let Some(addr) = literal(uri) {
            let mut out = self.empty();
            out.push(addr);
            return Ok(out);
        }
        self.0.resolve(uri, config, timeout)
    }
}

fn literal(uri: &Uri) -> Option<SocketAddr> {
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = host.parse().ok()?;
    let port = uri.port_u16().or(match uri.scheme_str()? {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })?;
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_are_recognised_with_their_port() {
        let cases = [
            ("http://127.0.0.1:8080/x", Some("127.0.0.1:8080")),
            ("http://127.0.0.1/x", Some("127.0.0.1:80")),
            ("https://[::1]/x", Some("[::1]:443")),
            ("http://[::1]:9/x", Some("[::1]:9")),
            ("http://localhost:9/x", None),
            ("http://example.org/", None),
        ];
        for (uri, expected) in cases {
            let got = literal(&uri.parse().unwrap()).map(|a| a.to_string());
            assert_eq!(got.as_deref(), expected, "{uri}");
        }
    }
}
