//! The README's concurrency example, runnable: writes that meet a conflict, and the three ways
//! to handle one — refresh, update, merge — with default settings.
//!
//!     cargo run --example conflict
//!
//! It starts the demo HAL API on 127.0.0.1 and lets a second client change the customer
//! between our read and our write.

use halchemy::{Api, Choice, Error, Refresh};
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

    // 1. A write meets the conflict and changes nothing; refresh reloads data and ETag together.
    match api
        .follow_mut(&mut customer)
        .to("self")
        .patch(json!({"name": "Leslie"}))
    {
        Ok(_) => println!("saved; etag now {:?}", customer.etag()),
        Err(Error::PreconditionFailed(conflict)) => {
            println!(
                "conflict: sent If-Match {:?}, the server said {}; {} is unchanged",
                conflict.sent_etag,
                conflict.response.status(),
                customer["name"]
            );
            // 2. Merge: our change (the name) and theirs (the city) touch different fields, so
            //    both are kept, and the merged change goes out conditionally on their version.
            let merging = api.merge(&mut customer, &conflict)?;
            println!("merge: {} conflicts", merging.conflicts().len());
            merging.send()?;
            println!(
                "merged: {} in {}, etag {:?}",
                customer["name"],
                customer["city"],
                customer.etag()
            );
        }
        Err(other) => return Err(other),
    }

    // Both sides rename the customer: the merge reports the clash field by field.
    api.refresh(&mut theirs)?;
    api.follow_mut(&mut theirs)
        .to("self")
        .patch(json!({"name": "Ann Perkins"}))?;
    if let Err(Error::PreconditionFailed(conflict)) = api
        .follow_mut(&mut customer)
        .to("self")
        .patch(json!({"name": "Leslie Knope"}))
    {
        let mut merging = api.merge(&mut customer, &conflict)?;
        println!("both renamed the customer:\n{merging}");
        merging.resolve("/name", Choice::Mine)?;
        merging.send()?;
        println!("kept ours: {}", customer["name"]);
    }

    // 3. Or let `update` do it: change a copy, PATCH only what changed with If-Match, and on
    //    412 back off, refresh and apply the change again.
    api.refresh(&mut theirs)?;
    api.follow_mut(&mut theirs)
        .to("self")
        .patch(json!({"orders": 10}))?;
    let done = api.update(&mut customer, |data| {
        data["orders"] = (data["orders"].as_i64().unwrap_or(0) + 1).into();
    })?;
    println!(
        "update saved orders = {} after {} conflicts; etag now {:?}",
        customer["orders"],
        done.conflicts,
        customer.etag()
    );
    // The data was worked out here from the PATCH: a refresh reads the server's whole
    // representation once, and after it the resource is current.
    api.refresh(&mut customer)?;
    if api.refresh(&mut customer)? == Refresh::NotModified {
        println!("and the resource is current: refresh says 304");
    }
    Ok(())
}
