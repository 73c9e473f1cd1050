//! One `debug` log line per request: method, URL, status, duration, never a credential.

mod common;

use std::sync::Mutex;

use common::RawServer;

struct Capture(Mutex<Vec<(log::Level, String, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0.lock().unwrap().push((
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn each_request_logs_one_debug_line_without_credentials() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Debug);

    let s = RawServer::answering(201, &[], "{}");
    let base = format!("http://user:hunter2@127.0.0.1:{}", s.port);
    let api = common::api_at(&base);
    api.home()
        .with_headers([("Cookie", "session=topsecret")])
        .post(serde_json::json!({"a": 1}))
        .unwrap();

    let lines: Vec<_> = LOGGER
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, target, _)| target == "halchemy")
        .cloned()
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (level, _, line) = &lines[0];
    assert_eq!(*level, log::Level::Debug);
    assert!(
        line.starts_with(&format!("POST http://127.0.0.1:{}/ -> 201 in ", s.port)),
        "{line}"
    );
    for secret in ["hunter2", "topsecret", "cm9vdDpwYXNzd29yZA=="] {
        assert!(!line.contains(secret), "{line}");
    }

    // A server's Deprecation and Sunset headers are logged (a warning) without the password
    // of a URL in them.
    let deprecated = common::Server::start(|_| {
        common::Reply::new(200)
            .header("deprecation", "see http://u:S3CRETD@h.example/x")
            .header("sunset", "http://u:S3CRETS@h.example/y")
            .json(&serde_json::json!({}))
    });
    common::api_at(&deprecated.base_url()).home().get().unwrap();
    let warnings: Vec<_> = LOGGER
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(level, target, _)| target == "halchemy" && *level == log::Level::Warn)
        .map(|(_, _, line)| line.clone())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("h.example/x"), "{warnings:?}");
    assert!(!warnings[0].contains("S3CRET"), "{warnings:?}");
}
