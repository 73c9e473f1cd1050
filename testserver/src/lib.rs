//! Loopback test servers for halchemy's tests, examples and benchmarks: plain `std` threads
//! and `serde_json`, nothing async.
//!
//! - [`http`]: a raw HTTP/1.1 server on `127.0.0.1` that records every request and answers
//!   with a closure — a [`Reply`], or raw bytes that may break the protocol on purpose — plus
//!   a fast server of prebuilt responses for the benchmarks.
//! - [`store`]: a HAL resource server whose writes are an honest compare-and-swap under the
//!   conditional-request rules of RFC 9110 §13, every behaviour switchable in [`Options`].
//! - [`demo`]: the examples' customers API, built on [`store`].
//!
//! ```
//! use halchemy_testserver::{Reply, Server};
//!
//! let server = Server::start(|req| Reply::new(200).text(&format!("you asked for {}", req.path())));
//! assert!(server.base_url().starts_with("http://127.0.0.1:"));
//! assert!(server.requests().is_empty());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod conditions;
pub mod demo;
pub mod http;
pub mod store;

pub use demo::DemoServer;
pub use http::{HAL_JSON, Next, Reply, Request, Server, fixed_response};
pub use store::{Counters, Current, HalServer, Options, Validators, WriteAnswer, own_fields};
