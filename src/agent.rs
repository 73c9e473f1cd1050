//! The ureq agent an `Api` shares between its clones: the connection pool, TLS, the proxy,
//! host-name resolution and, with the `cookies` feature, the cookie jar.

use crate::config::{Config, Proxy};
use crate::error::{Error, Result};
use crate::tls::TlsSettings;
use crate::url;

/// Builds the agent. Redirects are followed by halchemy itself (credentials and preconditions
/// change per hop), and every status arrives as a response.
pub(crate) fn new(config: &Config, proxy: &Proxy, tls: &TlsSettings) -> Result<ureq::Agent> {
    let proxy = match proxy {
        Proxy::FromEnv => ureq::Proxy::try_from_env(),
        Proxy::None => None,
        Proxy::Url(u) => Some(manual_proxy(u)?),
    };
    let builder = ureq::Agent::config_builder();
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    let builder = builder.tls_config(tls.config()?);
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    let _ = tls;
    let agent_config = builder
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(config.timeout)
        .timeout_connect(config.connect_timeout)
        .user_agent(concat!("halchemy/", env!("CARGO_PKG_VERSION"), " (rust)"))
        .max_idle_connections(64)
        .max_idle_connections_per_host(32)
        .proxy(proxy)
        .build();
    Ok(ureq::Agent::with_parts(
        agent_config,
        ureq::unversioned::transport::DefaultConnector::default(),
        crate::resolver::Cached::<ureq::unversioned::resolver::DefaultResolver>::default(),
    ))
}

/// A proxy set on the builder. Without the `socks-proxy` feature ureq panics on the first
/// request through a SOCKS proxy set by hand, so that is an error here.
fn manual_proxy(u: &str) -> Result<ureq::Proxy> {
    let invalid = |message: String| Error::InvalidUrl {
        url: url::redacted(u).into_owned(),
        message,
    };
    let proxy = ureq::Proxy::new(u).map_err(|e| invalid(format!("not a usable proxy: {e}")))?;
    let socks = !matches!(
        proxy.protocol(),
        ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
    );
    if cfg!(not(feature = "socks-proxy")) && socks {
        return Err(invalid(
            "a socks proxy needs halchemy's `socks-proxy` feature: enable it, or use an http proxy"
                .to_owned(),
        ));
    }
    Ok(proxy)
}
