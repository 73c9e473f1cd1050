//! No credential in any text the crate produces: secrets are planted in headers, the base URL,
//! link URLs, redirect `Location`s, the proxy URL and config files — passwords holding `@`, `:`
//! and percent-escapes — and every `Debug`, every `Display` of the errors provoked, and every
//! log line is searched for them.

use std::io::Write as _;
use std::sync::Mutex;

use halchemy::{Api, Error, Resource};
use halchemy_testserver::{Reply, Server};
use serde_json::json;

/// Parts of every secret planted; none may appear in any text.
const NEEDLES: [&str; 6] = [
    "T0KEN",
    "C00KIE",
    "W0RD",
    "PR0XY",
    "F1LE",
    "dXNlcjpwYUBXMFJE", // the start of base64("user:pa@W0RD...")
];

/// A password with `@`, `:` and a percent-escape in it.
const PASSWORD: &str = "pa@W0RD:x%40y";

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0.lock().unwrap().push(format!(
            "{} {} {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

/// Every text checked, with where it came from.
#[derive(Default)]
struct Texts(Vec<(String, String)>);

impl Texts {
    fn debug(&mut self, what: &str, v: &impl std::fmt::Debug) {
        self.0.push((format!("{what} (Debug)"), format!("{v:?}")));
        self.0
            .push((format!("{what} (Debug, alternate)"), format!("{v:#?}")));
    }

    fn error(&mut self, what: &str, e: &Error) {
        self.debug(what, e);
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(" | ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        self.0.push((format!("{what} (Display and causes)"), text));
        if let Some(u) = e.url() {
            self.0.push((format!("{what} (url())"), u.to_owned()));
        }
    }

    fn check(&self) {
        let mut leaks = Vec::new();
        for (what, text) in &self.0 {
            for needle in NEEDLES {
                if text.contains(needle) {
                    leaks.push(format!("{what} shows {needle}: {text}"));
                }
            }
        }
        assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
        assert!(self.0.len() > 40, "too few texts checked: {}", self.0.len());
    }
}

fn userinfo_base(port: u16) -> String {
    format!("http://user:{PASSWORD}@127.0.0.1:{port}")
}

#[test]
fn no_text_the_crate_produces_shows_a_credential() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let mut texts = Texts::default();

    // A server that links with passwords in URLs, redirects through one, sets a cookie,
    // answers 412, and sends a body over the limit.
    let s = Server::start(|req| match req.path() {
        "/" => Reply::new(200)
            .header("set-cookie", "sid=C00KIE-from-server")
            .header("etag", "\"v1\"")
            .json(&json!({"_links": {
                "self": {"href": "/"},
                "away": {"href": format!("http://user:{PASSWORD}@127.0.0.1:9/x")},
                "bad": {"href": format!("http://user:{PASSWORD}@[::1/x")},
                "redirect": {"href": "/redirect"},
                "badredirect": {"href": "/badredirect"},
                "big": {"href": "/big"},
            }})),
        "/redirect" => {
            Reply::new(302).header("location", &format!("http://u:{PASSWORD}@127.0.0.1:9/x"))
        }
        "/badredirect" => {
            Reply::new(302).header("location", &format!("http://u:{PASSWORD}@[::1/x"))
        }
        "/big" => Reply::new(200).body(vec![b'x'; 4096]),
        _ => Reply::new(412).json(&json!({"_error": "stale"})),
    });

    let builder = Api::builder()
        .base_url(userinfo_base(s.port()))
        .header("Authorization", "Bearer T0KEN-secret")
        .header("Cookie", "sid=C00KIE-secret")
        .header("Proxy-Authorization", "Basic PR0XY-secret")
        .proxy(format!("http://proxy:{PASSWORD}PR0XY@127.0.0.1:9"))
        .no_config_file();
    texts.debug("ApiBuilder", &builder);
    let api_with_proxy = builder.clone().build().unwrap();
    texts.debug("Api with a proxy", &api_with_proxy);

    let mut api = builder.no_proxy().body_limit(1024).build().unwrap();
    texts.debug("Api", &api);
    let home = api.home().get().unwrap();
    texts.debug("Resource", &home);
    texts
        .0
        .push(("Resource (Display)".into(), format!("{home} {home:#}")));
    assert!(
        serde_json::to_string(&home).unwrap().contains("W0RD"),
        "serializing gives the document exactly as it came"
    );
    texts.debug("Meta", home.meta());
    texts.debug("RequestMeta", &home.meta().request);
    texts.debug("ResponseMeta", &home.meta().response);
    texts.debug(
        "Request",
        &api.follow(&home)
            .to("away")
            .with_headers([("Cookie", "C00KIE-2")]),
    );
    texts.debug(
        "Endpoint request",
        &api.using_endpoint(format!("http://u:{PASSWORD}@h.invalid/")),
    );
    texts.debug("Follower", &api.follow(&home));
    texts.debug("Link", &home.link("away").unwrap());
    texts.debug(
        "Traversal",
        &api.home()
            .with_headers([("Authorization", "Bearer T0KEN-3")])
            .then("away"),
    );
    texts.debug(
        "Pages",
        &api.follow(&home)
            .to("self")
            .with_headers([("Cookie", "C00KIE-3")])
            .pages(),
    );
    let form = Resource::from(json!({
        "_links": {"self": {"href": format!("http://u:{PASSWORD}@127.0.0.1:9/x")}},
        "_templates": {"default": {"method": "post", "target": format!("http://u:{PASSWORD}@127.0.0.1:9/y"),
            "properties": [{"name": "password", "required": true}]}}
    }));
    texts.debug("Template", &form.template("default").unwrap());
    texts.debug(
        "Submit",
        &api.submit(&form, "default")
            .with_values(json!({"password": "W0RD-value"}))
            .with_headers([("Authorization", "Bearer T0KEN-4")]),
    );
    match api.submit(&form, "default").with_values(json!({})).send() {
        Ok(r) => texts.debug("submit answer", &r),
        Err(e) => texts.error("submit error", &e),
    }

    for rel in ["away", "bad", "redirect", "badredirect", "big"] {
        match api.follow(&home).to(rel).get() {
            Ok(r) => texts.debug(rel, &r),
            Err(e) => texts.error(rel, &e),
        }
    }
    texts.error("url()", &api.follow(&home).to("bad").url().unwrap_err());
    let bad_base = Api::builder()
        .base_url(format!("ftp://user:{PASSWORD}@host/"))
        .no_config_file()
        .build()
        .unwrap_err();
    texts.error("InvalidUrl (base)", &bad_base);
    let bad_proxy = Api::builder()
        .proxy(format!("nonsense://u:{PASSWORD}PR0XY@"))
        .no_config_file()
        .build();
    if let Err(e) = bad_proxy {
        texts.error("InvalidUrl (proxy)", &e);
    }

    // A conflict: the 412's error, Debug and Display.
    let mut r = Resource::from(json!({"_links": {"self": {"href": "/item"}}, "_etag": "e1"}));
    let conflict = api
        .follow_mut(&mut r)
        .to("self")
        .patch(json!({"a": 1}))
        .unwrap_err();
    texts.error("PreconditionFailed", &conflict);
    if let Error::PreconditionFailed(c) = &conflict {
        texts.debug("Conflict", c);
        let merging = api.merge(&mut r, c);
        match merging {
            Ok(m) => {
                texts.debug("Merging", &m);
                texts.0.push(("Merging (Display)".into(), m.to_string()));
            }
            Err(e) => texts.error("merge error", &e),
        }
    }
    // Status errors raised by the status set.
    api.error_handling_mut().raise_on_status_codes = Some(">399".parse().unwrap());
    texts.error("Status", &api.using_endpoint("/item").get().unwrap_err());
    // A network failure with raising off: recorded in meta.
    api.error_handling_mut().raise_on_network_error = false;
    let failed = api.follow(&home).to("away").get().unwrap();
    texts.debug("Resource after a network failure", &failed);
    texts.0.push((
        "MetaError".into(),
        failed.meta().error.as_ref().unwrap().to_string(),
    ));

    // Config files: a secret header, an invalid credential value, a base URL with a password.
    let dir = tempfile::tempdir().unwrap();
    for (i, text) in [
        "[headers]\nAuthorization = Bearer F1LE-secret\n".to_owned(),
        "[headers]\nAuthorization = Bearer F1LE\u{7}secret\n".to_owned(),
        format!("[halchemy]\nbase_url = ftp://user:{PASSWORD}F1LE@h/\n"),
        format!("[halchemy]\nbase_url = http://user:{PASSWORD}F1LE@h/\nnonsense = 1\n"),
    ]
    .iter()
    .enumerate()
    {
        let path = dir.path().join(format!("c{i}"));
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        match Api::builder().config_file(&path).build() {
            Ok(api) => texts.debug("Api from a config file", &api),
            Err(e) => texts.error("config file error", &e),
        }
    }

    // halchemy's own lines. ureq logs request and response headers itself at debug and trace
    // (targets `ureq` and `ureq_proto`), which halchemy cannot stop: the crate docs say to
    // filter those targets.
    let lines = LOGGER.0.lock().unwrap();
    let ours: Vec<&String> = lines
        .iter()
        .filter(|l| l.split(' ').nth(1) == Some("halchemy"))
        .collect();
    assert!(ours.len() > 5, "{ours:?}");
    for line in ours {
        texts.0.push(("log line".into(), line.clone()));
    }
    texts.check();
}

#[test]
fn base_url_user_info_goes_as_basic_credentials_to_the_base_origin_only() {
    let away = Server::answering(200, &[], "{}");
    let away_url = away.url("/x");
    let s = Server::start(move |req| match req.path() {
        "/" => Reply::new(200).json(&json!({"_links": {
            "here": {"href": "/here"},
            "away": {"href": away_url},
        }})),
        _ => Reply::new(200).json(&json!({})),
    });
    let api = Api::builder()
        .base_url(userinfo_base(s.port()))
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(api.base_url(), format!("http://127.0.0.1:{}", s.port()));
    let home = api.home().get().unwrap();
    api.follow(&home).to("here").get().unwrap();
    api.follow(&home).to("away").get().unwrap();
    let expected = "Basic dXNlcjpwYUBXMFJEOnhAeQ=="; // base64("user:pa@W0RD:x@y")
    for req in s.requests() {
        assert_eq!(
            req.header("authorization"),
            Some(expected),
            "{}",
            req.target
        );
    }
    assert_eq!(
        away.last().header("authorization"),
        None,
        "never to another origin"
    );
    // An Authorization set beside the base URL wins over its user info.
    let api = Api::builder()
        .base_url(userinfo_base(s.port()))
        .header("Authorization", "Bearer other")
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    api.home().get().unwrap();
    assert_eq!(s.last().header("authorization"), Some("Bearer other"));
}

#[test]
fn a_bad_template_with_a_password_in_it_shows_no_password() {
    let api = Api::builder()
        .base_url("http://127.0.0.1:9")
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let r = Resource::from(json!({"_links": {
        "t": {"href": "http://alice:S3CRET@127.0.0.1:9/x/{id", "templated": true},
    }}));
    let err = api
        .follow(&r)
        .to("t")
        .with_template_values(json!({"id": 1}))
        .url()
        .unwrap_err();
    let endpoint = api
        .using_endpoint("http://bob:HUNTER2@127.0.0.1:9/{x")
        .with_template_values(json!({"x": 1}))
        .get()
        .unwrap_err();
    for e in [&err, &endpoint] {
        assert!(matches!(e, Error::UriTemplate { .. }), "{e}");
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("S3CRET") && !shown.contains("HUNTER2"),
            "{shown}"
        );
    }
    assert!(err.to_string().contains("127.0.0.1:9/x/{id"), "{err}");
}

#[test]
fn a_merge_report_shows_no_password() {
    let base = json!({"hook": "https://svc:OLDPASS@hooks.example/a"});
    let mine = json!({"hook": "https://svc:MINEPASS@hooks.example/a"});
    let theirs = json!({"hook": "https://svc:THEIRPASS@hooks.example/a"});
    let mut merge = halchemy::Merge::new(&base, &mine, &theirs);
    merge
        .resolve(
            "/hook",
            halchemy::Choice::Value(json!("https://svc:CHOSENPASS@hooks.example/a")),
        )
        .unwrap();
    let shown = format!(
        "{merge} {merge:?} {} {:?}",
        merge.conflicts()[0],
        merge.conflicts()[0]
    );
    assert!(!shown.contains("PASS"), "{shown}");
    assert!(shown.contains("hooks.example/a"), "{shown}");
    let err = Error::MergeConflicts(Box::new(merge));
    assert!(!format!("{err} {err:?}").contains("PASS"));
}

#[test]
fn urls_with_user_info_in_headers_keys_and_odd_shapes_show_no_password() {
    let s = Server::start(|_| {
        Reply::new(201)
            .header("location", "http://user:S3CRETL@127.0.0.1:9/new")
            .header("content-location", "http://user:S3CRETC@127.0.0.1:9/new")
            .header(
                "link",
                "<http://user:S3CRETK@127.0.0.1:9/a>; rel=next, <http://u:S3CRETK2@h/b>; rel=prev",
            )
            .json(&json!({"_links": {
                "http://user:S3CRETKEY@rels.example/orders": {"href": "/orders"},
                "x": {"href": "http:/user:S3CRET1@host:notaport/x"}
            }}))
    });
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .build()
        .unwrap();
    let r = api.using_endpoint("/").post(json!({})).unwrap();
    let missing = api.follow(&r).to("nope").get().unwrap_err();
    let odd = api.follow(&r).to("x").get().unwrap_err();
    let shown = format!(
        "{r} {r:?} {:?} {missing} {missing:?} {odd} {odd:?}",
        r.meta()
    );
    assert!(!shown.contains("S3CRET"), "{shown}");
    // What is not a password is still there.
    assert!(shown.contains("rels.example/orders") && shown.contains("127.0.0.1:9/new"));
}

#[test]
fn passwords_in_bodies_odd_bytes_and_slashless_urls_are_not_shown() {
    let s = Server::start(|req| match req.method.as_str() {
        "POST" => Reply::new(201)
            .header_bytes("location", b"http://user:S3CRETB@127.0.0.1:9/new\xe9")
            .header("content-location", "http:user:S3CRETH@127.0.0.1:9/new")
            .json(&json!({"_links": {
                "x": {"href": "http:user:S3CRETJ@127.0.0.1:9/x"},
                "y": {"href": "http:\\\\user:S3CRETS@127.0.0.1:9/y"}
            }})),
        _ => Reply::new(500).text("see http://user:S3CRETT@127.0.0.1:9/x"),
    });
    let api = Api::builder()
        .base_url(s.base_url())
        .no_config_file()
        .no_proxy()
        .raise_on_status_codes(">399")
        .build()
        .unwrap();
    let r = api.using_endpoint("/").post(json!({})).unwrap();
    let err = api
        .using_endpoint("/")
        .put(json!({"hook": "http://user:S3CRETQ@h/"}))
        .unwrap_err();
    let shown = format!("{r} {r:?} {err} {err:?}");
    assert!(!shown.contains("S3CRET"), "{shown}");
    assert!(shown.contains("see http://127.0.0.1:9/x"), "{shown}");
}
