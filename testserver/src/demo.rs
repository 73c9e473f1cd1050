//! The examples' HAL API, so they run with nothing else installed: a home document, customers
//! with ETags, a templated item link, a search with parameters, an embedded collection, and
//! `If-Match` enforced (`412` when stale, `428` when missing).
//!
//! It is a [`HalServer`] with Eve-style documents, so the concurrency rules are the store's:
//!
//! - `GET /`: links `self`, `customers`, `customer` (`/customers/{id}`) and `search`
//!   (`/customers{?city}`).
//! - `GET /customers[?city=..][&page=N]`: `count` and the customers under `_embedded.item`,
//!   each with its `_etag`, two to a page with `next` and `prev` links. `POST /customers`:
//!   `201` with `Location` and `ETag`.
//! - Each customer carries HAL-FORMS `_templates`: `default` (PATCH its name and city, the
//!   name required) and `move` (PATCH the city, one of three).
//! - `/customers/<id>`: GET (`If-None-Match` gives `304`), and PATCH (merge patch), PUT and
//!   DELETE with `If-Match` required; writes answer `200` with the whole document.
//! - Seeded with customers `A375`, `B112` and `C007`, each with `id`, `name`, `city` and
//!   `orders: 0`.
//!
//! ```
//! let server = halchemy_testserver::demo::start()?;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert_eq!(server.current("/customers/A375").unwrap().data["name"], "Leslie Knope");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::ops::Deref;

use serde_json::json;

use crate::store::{HalServer, Options, WriteAnswer};

/// The seeded customers: id, name, city.
const CUSTOMERS: [(&str, &str, &str); 3] = [
    ("A375", "Leslie Knope", "Pawnee"),
    ("B112", "Ron Swanson", "Pawnee"),
    ("C007", "Ann Perkins", "Eagleton"),
];

/// The running demo API; it derefs to its [`HalServer`] and stops when the program ends.
#[derive(Debug, Clone)]
pub struct DemoServer(HalServer);

impl DemoServer {
    /// `http://127.0.0.1:<port>`, the API's base URL.
    pub fn url(&self) -> String {
        self.0.base_url()
    }
}

impl Deref for DemoServer {
    type Target = HalServer;

    fn deref(&self) -> &HalServer {
        &self.0
    }
}

/// Starts the demo API on a free port of 127.0.0.1 with its three customers.
///
/// # Errors
///
/// When no port can be bound.
pub fn start() -> std::io::Result<DemoServer> {
    let server = HalServer::try_start(options())?;
    for (id, name, city) in CUSTOMERS {
        let customer = json!({"id": id, "name": name, "city": city, "orders": 0});
        server.put(&format!("/customers/{id}"), customer);
    }
    Ok(DemoServer(server))
}

/// The store's settings for the demo.
fn options() -> Options {
    Options {
        write_answer: WriteAnswer::Representation,
        eve_style: true,
        collection: "/customers".to_owned(),
        embedded_rel: "item".to_owned(),
        filter_fields: vec!["city".to_owned()],
        page_size: Some(2),
        templates: Some(json!({
            "default": {
                "title": "Edit the customer",
                "method": "patch",
                "properties": [
                    {"name": "name", "prompt": "Name", "required": true, "regex": "^\\S.*$"},
                    {"name": "city", "prompt": "City"}
                ]
            },
            "move": {
                "title": "Move to another city",
                "method": "patch",
                "contentType": "application/json",
                "properties": [{
                    "name": "city", "required": true,
                    "options": {"inline": ["Pawnee", "Eagleton", "Indianapolis"]}
                }]
            }
        })),
        home: Some(json!({
            "_links": {
                "self": {"href": "/"},
                "customers": {"href": "/customers", "title": "All customers"},
                "customer": {"href": "/customers/{id}", "templated": true},
                "search": {"href": "/customers{?city}", "templated": true}
            },
            "welcome": "the halchemy demo API"
        })),
        ..Options::default()
    }
}
