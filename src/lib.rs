//! A blocking client for HAL hypermedia APIs (`application/hal+json`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
mod body;
mod concurrency;
mod config_file;
mod error;
mod hal;
mod headers;
mod meta;
mod params;
mod request;
mod resource;
mod status;
mod template;
mod transport;
mod url;

pub use api::{Api, ApiBuilder, DEFAULT_BASE_URL, DEFAULT_ETAG_FIELD, ErrorHandling};
pub use body::{Body, IntoBody};
pub use concurrency::{Refresh, Updated};
pub use error::{Conflict, Error, NetworkError, NetworkErrorKind, Result};
pub use hal::{Link, Multiplicity};
pub use meta::{Meta, MetaError, RequestMeta, ResponseBody, ResponseMeta};
pub use params::ListStyle;
pub use request::{Endpoint, Followed, Follower, FollowerMut, Request, RequestMut};
pub use resource::{Embedded, Items, Resource, ResourceRef};
pub use status::{StatusCodes, StatusCodesError};

/// The `http` crate's types used in [`Meta`] (header maps, names, values), re-exported from
/// ureq.
pub use ureq::http;
