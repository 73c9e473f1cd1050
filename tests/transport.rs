//! What one call is on the wire: one deadline for the whole call (redirects, retries, body),
//! retries of `429`/`503` only for requests safe to repeat, framing headers refused,
//! deprecation warnings.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use halchemy::{Api, Error, NetworkErrorKind, Resource};
use halchemy_testserver::{Next, Reply, Server};
use serde_json::json;

fn api(base: &str, build: impl FnOnce(halchemy::ApiBuilder) -> halchemy::ApiBuilder) -> Api {
    build(Api::builder().base_url(base).no_config_file().no_proxy())
        .build()
        .unwrap()
}

#[test]
fn the_deadline_covers_every_redirect_not_each_hop() {
    // Every hop answers after 300 ms with a redirect to the next: 10 of them take 3 s, but
    // the call may take 1 s in all, so it must stop at the fourth hop at the latest.
    let s = Server::start(|req| {
        thread::sleep(Duration::from_millis(300));
        let n: u32 = req.path().trim_start_matches("/r").parse().unwrap_or(0);
        if n < 10 {
            Reply::new(302).header("location", &format!("/r{}", n + 1))
        } else {
            Reply::new(200).json(&json!({"done": true}))
        }
    });
    let api = api(&s.base_url(), |b| b.timeout(Some(Duration::from_secs(1))));
    let err = api.using_endpoint("/r0").get().unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let hops = s.requests().len();
    assert!(
        hops <= 4,
        "{hops} hops were sent within a one-second deadline"
    );

    // With room for all of them the same walk succeeds.
    let api = self::api(&s.base_url(), |b| b.timeout(Some(Duration::from_secs(10))));
    assert_eq!(api.using_endpoint("/r0").get().unwrap()["done"], true);
}

#[test]
fn a_per_request_timeout_overrides_the_apis_and_keeps_the_pool() {
    let s = Server::start(|req| {
        if req.path() == "/slow" {
            thread::sleep(Duration::from_millis(600));
        }
        Reply::new(200).json(&json!({}))
    });
    let api = api(&s.base_url(), |b| {
        b.timeout(Some(Duration::from_millis(300)))
    });
    api.using_endpoint("/fast").get().unwrap();
    api.using_endpoint("/slow")
        .timeout(Some(Duration::from_secs(5)))
        .get()
        .unwrap();
    let connections: Vec<usize> = s.requests().iter().map(|r| r.connection).collect();
    assert_eq!(
        connections,
        [0, 0],
        "the longer call used the pooled connection"
    );
    assert!(api.using_endpoint("/slow").get().unwrap_err().is_timeout());
}

/// A server that answers `busy` times with `status` (and `retry_after`), then 200.
fn busy(status: u16, retry_after: Option<&'static str>, busy: u32) -> (Server, Arc<AtomicU32>) {
    let seen = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&seen);
    let s = Server::start(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        if n < busy {
            let mut reply = Reply::new(status).json(&json!({"busy": n}));
            if let Some(ra) = retry_after {
                reply = reply.header("retry-after", ra);
            }
            reply
        } else {
            Reply::new(200)
                .header("etag", "\"v2\"")
                .json(&json!({"ok": true}))
        }
    });
    (s, seen)
}

#[test]
fn busy_answers_are_retried_for_safe_requests_after_retry_after() {
    for (status, retry_after) in [(429, Some("0")), (503, Some("1")), (503, None)] {
        let (s, seen) = busy(status, retry_after, 2);
        let api = api(&s.base_url(), |b| b.retries(3));
        let r = api.using_endpoint("/x").get().unwrap();
        assert_eq!(r["ok"], true, "{status} {retry_after:?}");
        assert_eq!(
            seen.load(Ordering::SeqCst),
            3,
            "two busy answers, then the answer"
        );
    }
    // An HTTP date a few seconds ahead is honoured too (here: within the cap).
    let date = format_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    let date: &'static str = Box::leak(date.into_boxed_str());
    let (s, seen) = busy(503, Some(date), 1);
    let api = api(&s.base_url(), |b| b.retries(1));
    assert_eq!(api.using_endpoint("/x").get().unwrap()["ok"], true);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[test]
fn retries_are_off_by_default_capped_and_never_repeat_a_post() {
    let (s, seen) = busy(503, Some("0"), 5);
    let plain = api(&s.base_url(), |b| b);
    assert_eq!(plain.using_endpoint("/x").get().unwrap().status(), 503);
    assert_eq!(seen.load(Ordering::SeqCst), 1, "off by default");

    let (s, seen) = busy(503, Some("0"), 5);
    let api = api(&s.base_url(), |b| b.retries(2));
    assert_eq!(api.using_endpoint("/x").get().unwrap().status(), 503);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "the first try and two retries"
    );

    let (s, seen) = busy(429, Some("0"), 5);
    let api = self::api(&s.base_url(), |b| b.retries(5));
    assert_eq!(
        api.using_endpoint("/x").post(json!({})).unwrap().status(),
        429
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1, "a POST is never sent twice");

    // A write without a precondition is not repeated; one with a precondition is.
    let (s, seen) = busy(503, Some("0"), 1);
    let api = self::api(&s.base_url(), |b| b.retries(5));
    assert_eq!(
        api.using_endpoint("/x").put(json!({})).unwrap().status(),
        503
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let (s, seen) = busy(503, Some("0"), 1);
    let api = self::api(&s.base_url(), |b| b.retries(5));
    let mut r = Resource::from(json!({"_links": {"self": {"href": "/x"}}, "_etag": "v1"}));
    api.follow_mut(&mut r)
        .to("self")
        .put(json!({"a": 1}))
        .unwrap();
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "the conditional PUT was sent again"
    );
    assert_eq!(s.last().header("if-match"), Some("v1"));
    assert_eq!(r.etag(), Some("\"v2\""));

    // A wait longer than the cap, or past the deadline, returns the busy answer at once.
    let (s, seen) = busy(503, Some("120"), 5);
    let api = self::api(&s.base_url(), |b| b.retries(5));
    assert_eq!(api.using_endpoint("/x").get().unwrap().status(), 503);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let (s, seen) = busy(503, Some("5"), 5);
    let api = self::api(&s.base_url(), |b| {
        b.retries(5).timeout(Some(Duration::from_secs(2)))
    });
    assert_eq!(api.using_endpoint("/x").get().unwrap().status(), 503);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[test]
fn framing_headers_are_refused_and_nothing_is_sent() {
    let s = Server::answering(200, &[], "{}");
    let api = api(&s.base_url(), |b| b);
    for (name, value) in [("Content-Length", "0"), ("Transfer-Encoding", "chunked")] {
        let err = api
            .using_endpoint("/x")
            .with_headers([(name, value)])
            .post(json!({"a": 1}))
            .unwrap_err();
        assert!(matches!(err, Error::InvalidHeader { .. }), "{err:?}");
    }
    assert!(s.requests().is_empty());
    let err = Api::builder()
        .header("content-length", "5")
        .no_config_file()
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidHeader { .. }), "{err:?}");
}

#[test]
fn a_connection_reset_is_retried_within_the_deadline_only() {
    // The server resets every connection after 400 ms; with a 1 s deadline the GET cannot be
    // tried three times.
    let s = Server::raw(|_, _| {
        thread::sleep(Duration::from_millis(400));
        Next::Close
    });
    let api = api(&s.base_url(), |b| b.timeout(Some(Duration::from_secs(1))));
    let err = api.using_endpoint("/x").get().unwrap_err();
    let Error::Network(e) = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            e.kind(),
            NetworkErrorKind::Timeout | NetworkErrorKind::ConnectionClosed
        ),
        "{err}"
    );
    assert!(s.requests().len() <= 3, "{}", s.requests().len());
}

/// An IMF-fixdate, as a server writes `Retry-After`.
fn format_http_date(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let days = secs / 86_400;
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(mo <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y} {h:02}:{m:02}:{s:02} GMT")
}
