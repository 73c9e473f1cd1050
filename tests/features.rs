//! What a feature left out does: ureq panics on a SOCKS proxy set by hand without its
//! `socks-proxy` feature, and on an `https` URL without a TLS backend; halchemy returns a typed
//! error instead, before anything is sent.

use halchemy::Api;

#[cfg(not(feature = "socks-proxy"))]
#[test]
fn a_socks_proxy_without_the_socks_proxy_feature_is_an_error_at_build() {
    for proxy in [
        "socks5://127.0.0.1:1080",
        "socks4://u:hidden@127.0.0.1:1080",
    ] {
        let err = Api::builder()
            .no_config_file()
            .proxy(proxy)
            .build()
            .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, halchemy::Error::InvalidUrl { .. }), "{err:?}");
        assert!(message.contains("socks-proxy"), "{message}");
        assert!(!message.contains("hidden"), "{message}");
    }
    // An http proxy is fine.
    Api::builder()
        .no_config_file()
        .proxy("http://127.0.0.1:3128")
        .build()
        .unwrap();
}

#[cfg(feature = "socks-proxy")]
#[test]
fn a_socks_proxy_is_accepted_with_the_socks_proxy_feature() {
    Api::builder()
        .no_config_file()
        .proxy("socks5://127.0.0.1:1080")
        .build()
        .unwrap();
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
#[test]
fn https_without_a_tls_backend_is_refused_before_anything_is_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let api = Api::builder()
        .base_url(format!("https://127.0.0.1:{port}"))
        .no_config_file()
        .no_proxy()
        .raise_on_network_error(false)
        .build()
        .unwrap();
    let err = api.home().get().unwrap_err();
    assert!(matches!(err, halchemy::Error::InvalidUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("tls backend"), "{err}");
    assert!(listener.accept().is_err(), "no connection was made");
}

/// `{"zipped":true}`, gzip-compressed.
const GZIPPED: [u8; 35] = [
    31, 139, 8, 0, 0, 0, 0, 0, 2, 255, 171, 86, 170, 202, 44, 40, 72, 77, 81, 178, 42, 41, 42, 77,
    173, 5, 0, 132, 40, 188, 8, 15, 0, 0, 0,
];

#[test]
fn gzip_responses_are_asked_for_and_decompressed_with_the_gzip_feature() {
    let server = halchemy_testserver::Server::start(|_| {
        halchemy_testserver::Reply::new(200)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(GZIPPED.to_vec())
    });
    let api = Api::builder()
        .base_url(server.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let result = api.home().get();
    let asked = server.last().header("accept-encoding").map(str::to_owned);
    if cfg!(feature = "gzip") {
        assert!(asked.is_some_and(|a| a.contains("gzip")));
        assert_eq!(result.unwrap()["zipped"], true);
    } else {
        assert_eq!(asked, None);
        // The bytes as they came: not JSON, so the data is null.
        assert!(result.unwrap().data().is_null());
    }
}
