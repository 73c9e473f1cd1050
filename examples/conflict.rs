//! The README's concurrency example, runnable: a write that meets a conflict, handled.
//!
//!     cargo run --example conflict
//!
//! It starts the demo HAL API on 127.0.0.1 and lets a second client change the customer
//! between our read and our write.

use halchemy::{Api, Error, Refresh};
use serde_json::json;

fn main() -> Result<(), Error> {
    let server = halchemy_testserver::demo::start().expect("the demo server starts");
    let api = Api::new(server.url())?;

    let mut customer = api.using_endpoint("/customers/A375").get()?;
    println!("read {} with etag {:?}", customer["name"], customer.etag());

    // Someone else writes first.
    let mut theirs = api.using_endpoint("/customers/A375").get()?;
    api.follow_mut(&mut theirs)
        .to("self")
        .patch(json!({"city": "Eagleton"}))?;
    println!("another client moved them to Eagleton");

    match api
        .follow_mut(&mut customer)
        .to("self")
        .patch(json!({"name": "Leslie"}))
    {
        Ok(_) => println!("saved; etag now {:?}", customer.etag()),
        Err(Error::PreconditionFailed(conflict)) => {
            // `customer` is exactly as it was.
            println!(
                "conflict: sent If-Match {:?}, the server said {}",
                conflict.sent_etag,
                conflict.response.status()
            );
            if api.refresh(&mut customer)? == Refresh::Replaced {
                println!("refreshed: {customer}");
            }
        }
        Err(other) => return Err(other),
    }

    // Or let `update` do it: change a copy, PATCH only what changed with If-Match, and on 412
    // refresh and apply the change again.
    let done = api.update(&mut customer, |data| {
        data["orders"] = (data["orders"].as_i64().unwrap_or(0) + 1).into();
    })?;
    println!(
        "update saved orders = {} after {} conflicts; etag now {:?}",
        customer["orders"],
        done.conflicts,
        customer.etag()
    );
    Ok(())
}
