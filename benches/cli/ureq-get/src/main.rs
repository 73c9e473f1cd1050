//! The same CLI as `halchemy-get` on raw ureq: one GET with ureq's default agent, the body
//! read with `read_to_vec` and parsed with `serde_json::from_slice`, the number of fields
//! printed.
//!
//!     ureq-get http://127.0.0.1:8080 /doc
#![forbid(unsafe_code)]

use std::process::ExitCode;

use serde_json::Value;

fn get(base: &str, path: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let bytes = ureq::get(format!("{base}{path}"))
        .header(
            "accept",
            "application/hal+json, application/json;q=0.9, */*;q=0.8",
        )
        .call()?
        .body_mut()
        .read_to_vec()?;
    let doc: Value = serde_json::from_slice(&bytes)?;
    Ok(doc.as_object().map_or(0, |fields| fields.len()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, path] = args.as_slice() else {
        eprintln!("usage: ureq-get BASE_URL PATH");
        return ExitCode::from(2);
    };
    match get(base, path) {
        Ok(fields) => {
            println!("{fields}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ureq-get: {e}");
            ExitCode::FAILURE
        }
    }
}
