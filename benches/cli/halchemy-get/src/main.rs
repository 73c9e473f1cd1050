//! A CLI's whole process on halchemy: build an `Api`, one GET, print the number of fields of
//! the answer, exit. `benches/cli.rs` times it against `ureq-get`, the same program on raw
//! ureq.
//!
//!     halchemy-get http://127.0.0.1:8080 /doc
#![forbid(unsafe_code)]

use std::process::ExitCode;

use halchemy::Api;

fn get(base: &str, path: &str) -> halchemy::Result<usize> {
    let api = Api::builder().base_url(base).no_config_file().build()?;
    let doc = api.using_endpoint(path).get()?;
    Ok(doc.data().as_object().map_or(0, |fields| fields.len()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, path] = args.as_slice() else {
        eprintln!("usage: halchemy-get BASE_URL PATH");
        return ExitCode::from(2);
    };
    match get(base, path) {
        Ok(fields) => {
            println!("{fields}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("halchemy-get: {e}");
            ExitCode::FAILURE
        }
    }
}
