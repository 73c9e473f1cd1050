//! A tour of halchemy against a small HAL API it starts on 127.0.0.1: follow links, fill a
//! template, add parameters, read embedded resources, then write safely while someone else
//! writes too.
//!
//!     cargo run -p tour            (the README's first command: the library's dependencies only)
//!     cargo run --example tour     (the same, after building the tests' dev-dependencies too)
//!
//! Pass a base URL to walk your own copy of the demo API instead.

use halchemy::{Api, Error, Refresh, Resource};
use serde_json::json;

fn main() {
    if let Err(e) = tour() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// A JSON value for printing: strings without their quotes.
fn text(v: &serde_json::Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

fn step(n: u32, what: &str, r: &Resource) {
    let m = r.meta();
    println!(
        "{n:>2}. {what}\n    {} {} -> {} {}",
        m.request.method, m.request.url, m.response.status, m.response.reason
    );
}

fn tour() -> Result<(), Box<dyn std::error::Error>> {
    let base = match std::env::args().nth(1) {
        Some(url) => url,
        None => halchemy_testserver::demo::start()?.url(),
    };
    println!("halchemy tour of the demo HAL API at {base}\n");
    let api = Api::new(&base)?;

    // 1. The API's home: links to everything else.
    let home = api.home().get()?;
    step(1, "the home document lists what the API offers", &home);
    println!("    rels: {}", home.links().join(", "));

    // 2. Follow a link by its rel: no URL built by hand.
    let customers = api.follow(&home).to("customers").get()?;
    step(
        2,
        "follow `customers`: a page with its items embedded",
        &customers,
    );
    for item in customers.embedded_many("item")? {
        println!(
            "    - {} ({}), etag {}",
            text(&item["name"]),
            text(&item["id"]),
            item.etag().unwrap_or("-")
        );
    }

    // 3. A templated link, filled in.
    let mut leslie = api
        .follow(&home)
        .to("customer")
        .with_template_values(json!({"id": "A375"}))
        .get()?;
    step(
        3,
        "follow the templated `customer` link with id A375",
        &leslie,
    );
    println!(
        "    {} lives in {}; etag {}",
        text(&leslie["name"]),
        text(&leslie["city"]),
        leslie.etag().unwrap_or("-")
    );

    // 4. Query parameters, encoded for you.
    let pawnee = api
        .follow(&home)
        .to("search")
        .with_template_values(json!({"city": "Pawnee"}))
        .with_parameters(json!({"note": "found by the tour"}))
        .get()?;
    step(
        4,
        "search customers in Pawnee (template + parameters)",
        &pawnee,
    );
    println!("    {} customers found", text(&pawnee["count"]));

    // 5. Embedded resources come with their own ETag, ready to be written.
    let ron = pawnee
        .embedded_many("item")?
        .into_iter()
        .find(|c| c["id"] == "B112")
        .ok_or("B112 is not in the search result")?;
    println!(
        " 5. the embedded Ron Swanson carries etag {}",
        ron.etag().unwrap_or("-")
    );

    // 6. A conditional write: If-Match goes with it, and `leslie` moves to the new version,
    //    data and ETag together.
    let before = leslie.etag().unwrap_or("-").to_owned();
    let saved = api
        .follow_mut(&mut leslie)
        .to("self")
        .patch(json!({"orders": 1}))?;
    step(6, "PATCH Leslie with If-Match", &saved);
    println!(
        "    etag {before} -> {}, orders now {}",
        leslie.etag().unwrap_or("-"),
        leslie["orders"]
    );

    // 7. Meanwhile, someone else changes her (another thread, its own copy).
    let other_api = api.clone();
    let url = api.follow(&leslie).to("self").url()?;
    let theirs = std::thread::spawn(move || -> halchemy::Result<Resource> {
        let mut copy = other_api.using_endpoint(url).get()?;
        other_api
            .follow_mut(&mut copy)
            .to("self")
            .patch(json!({"city": "Washington"}))
    })
    .join()
    .expect("the other thread ran")?;
    step(7, "another thread moves Leslie to Washington", &theirs);

    // 8. Our next write is stale: the server says 412 and `leslie` is left as it was.
    let snapshot = (leslie.data().clone(), leslie.etag().map(str::to_owned));
    match api
        .follow_mut(&mut leslie)
        .to("self")
        .patch(json!({"orders": 2}))
    {
        Err(Error::PreconditionFailed(conflict)) => {
            step(
                8,
                "our PATCH with the old etag is refused",
                &conflict.response,
            );
            println!(
                "    sent If-Match {}",
                conflict.sent_etag.as_deref().unwrap_or("-")
            );
            assert_eq!(
                snapshot,
                (leslie.data().clone(), leslie.etag().map(str::to_owned))
            );
            println!(
                "    leslie is untouched: still {} in {}",
                text(&leslie["name"]),
                text(&leslie["city"])
            );
        }
        Ok(_) => return Err("the stale write should have been refused".into()),
        Err(e) => return Err(e.into()),
    }

    // 9. Refresh: a conditional GET brings the current version.
    let outcome = api.refresh(&mut leslie)?;
    step(9, "refresh Leslie", &leslie);
    println!(
        "    {outcome:?}: now in {}, etag {}",
        text(&leslie["city"]),
        leslie.etag().unwrap_or("-")
    );
    let again = api.refresh(&mut leslie)?;
    println!(
        "    refreshing again: {again:?} ({} {})",
        leslie.status(),
        leslie.meta().response.reason
    );
    assert_eq!(again, Refresh::NotModified);

    // 10. Or let `update` do it all: change, PATCH only what changed, retry on conflict.
    let done = api.update(&mut leslie, |data| {
        data["orders"] = (data["orders"].as_i64().unwrap_or(0) + 1).into();
    })?;
    step(
        10,
        "update: orders + 1, sent as a merge patch with If-Match",
        &leslie,
    );
    println!(
        "    {} orders, {} conflicts retried",
        text(&leslie["orders"]),
        done.conflicts
    );

    // 11. A write without any ETag is refused by this API (428).
    let mut bare = Resource::from(json!({"_links": {"self": {"href": "/customers/C007"}}}));
    match api
        .follow_mut(&mut bare)
        .to("self")
        .patch(json!({"orders": 9}))
    {
        Err(Error::PreconditionRequired(response)) => {
            step(11, "a PATCH without any etag", &response);
        }
        other => return Err(format!("expected 428, got {other:?}").into()),
    }

    println!("\nThe tour is over: every write was conditional, and no update was lost.");
    Ok(())
}
