//! The ureq agent an `Api` shares between its clones: the connection pool, TLS, the proxy and
//! host-name resolution.

use crate::config::{Config, Proxy};
use crate::error::{Error, Result};
use crate::url;

/// Builds the agent. Redirects are followed by halchemy itself (credentials and preconditions
/// change per hop), and every status arrives as a response.
pub(crate) fn new(config: &Config, proxy: &Proxy) -> Result<ureq::Agent> {
    let proxy = match proxy {
        Proxy::FromEnv => ureq::Proxy::try_from_env(),
        Proxy::None => None,
        Proxy::Url(u) => Some(ureq::Proxy::new(u).map_err(|e| Error::InvalidUrl {
            url: url::redacted(u).into_owned(),
            message: format!("not a usable proxy: {e}"),
        })?),
    };
    let builder = ureq::Agent::config_builder();
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_config(
        ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .build(),
    );
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
