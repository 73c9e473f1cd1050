//! A HAL resource server whose writes are an honest compare-and-swap under RFC 9110 §13.
//!
//! Items live at any path; the collection (`/items` by default) lists the items directly under
//! it and creates new ones on POST. One mutex guards the whole store, so checking a
//! precondition and applying the write happen as one step. Every behaviour a client must cope
//! with is a field of [`Options`].
//!
//! # What the server keeps, and what [`Current::data`] is
//!
//! An item is its *own fields* — the JSON object a client wrote, minus every top-level key
//! that starts with `_` — plus server-owned state: links, version, entity-tag and modification
//! time. Documents the server sends add `_links` (and `_id`, `_updated`, `_etag` in
//! [`Options::eve_style`]); fields starting with `_` in what a client sends are ignored.
//! [`own_fields`] strips a client's document the same way, so a test can check that a client
//! holding the server's current ETag holds the server's data:
//!
//! ```
//! use halchemy_testserver::{HalServer, Options, own_fields};
//! use serde_json::json;
//!
//! let server = HalServer::start(Options::default());
//! server.put("/items/1", json!({"name": "Kim", "_links": {"up": {"href": "/"}}}));
//! let current = server.current("/items/1").unwrap();
//! assert_eq!(current.data, json!({"name": "Kim"}));
//! assert_eq!(current.version, 1);
//! let client_doc = json!({"name": "Kim", "_etag": "1", "_links": {"self": {"href": "/items/1"}}});
//! assert_eq!(own_fields(&client_doc), current.data);
//! ```

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::conditions::{EntityTag, Rules, Selected, Verdict, evaluate, http_date};
use crate::http::{Reply, Request, Server, lock, trim};

/// The validators the server gives each item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Validators {
    /// A strong `ETag` such as `"7"`: opaque, new on every write. The default.
    #[default]
    Strong,
    /// A weak `ETag` such as `W/"7"`: never matches `If-Match` (strong comparison).
    Weak,
    /// A strong `ETag` holding obs-text bytes, such as `"v7\xe9"`; `_etag` fields carry the
    /// bytes read as Latin-1 (`"v7é"`), so only the header value matches `If-Match`.
    ObsText,
    /// No `ETag`; `Last-Modified` with one-second resolution, and `If-Unmodified-Since` /
    /// `If-Modified-Since` compared at that resolution: two writes in the same second both
    /// pass, which is the flaw this mode exists to show.
    LastModifiedOnly,
    /// No validators at all.
    None,
}

/// How a successful PUT or PATCH of an existing item is answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WriteAnswer {
    /// `200` with the full document, the validators and `Content-Location: <item path>`.
    Representation,
    /// `204` with the validators and no body. The default.
    #[default]
    NoContent,
    /// `200` with Eve's PATCH answer — only `_id`, `_updated`, `_etag`, `_links` (just
    /// `self`) and `_status: "OK"` — and the validators.
    Eve,
    /// `303` with `Location: <item path>`, no validators, no body.
    SeeOther,
    /// `200` with `{}` and no validators.
    Bare,
}

/// What the server does; build with struct update syntax over `Options::default()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The validators items get. Defaults to [`Validators::Strong`].
    pub validators: Validators,
    /// Answer `428` to a PUT, PATCH or DELETE of an existing item that has no precondition
    /// the server can evaluate (`If-Match`; or `If-Unmodified-Since` when it sends
    /// `Last-Modified`); when false, such writes are applied blindly. Defaults to true.
    pub require_precondition: bool,
    /// Read a bare token in `If-Match`/`If-None-Match` (`If-Match: 7`, as a client sends an
    /// `_etag` field) as the strong entity-tag `"7"`, as Eve does; when false such a member
    /// matches nothing. Defaults to true.
    pub unquoted_etags: bool,
    /// Evaluate `If-Match` and `If-Unmodified-Since` on GET too (`412` when false, which
    /// RFC 9110 allows). Defaults to false.
    pub if_match_on_get: bool,
    /// Answer a successful GET of an item with `204`, its validators and no body.
    /// Defaults to false.
    pub get_no_content: bool,
    /// Accept PATCH bodies sent as `application/merge-patch+json` besides
    /// `application/json`; when false, that type gets `415` as Eve gives it. Defaults to true.
    pub accept_merge_patch_type: bool,
    /// How writes are answered. Defaults to [`WriteAnswer::NoContent`].
    pub write_answer: WriteAnswer,
    /// Answer `Prefer: return=representation` as [`WriteAnswer::Representation`] and
    /// `return=minimal` as [`WriteAnswer::NoContent`], with `Preference-Applied`, whatever
    /// `write_answer` says. Defaults to true.
    pub honor_prefer: bool,
    /// Render items as Eve does: `_id`, `_updated`, `_etag` (the entity-tag without quotes)
    /// and links `self`, `parent`, `collection`; otherwise only `_links.self`.
    /// Defaults to false.
    pub eve_style: bool,
    /// Slept while holding the store's lock, after the preconditions pass and before the
    /// write is applied, to make races likely. Defaults to zero.
    pub write_delay: Duration,
    /// The collection's path (not `/`). Defaults to `/items`.
    pub collection: String,
    /// The `_embedded` rel the collection lists its items under. Defaults to `items`.
    pub embedded_rel: String,
    /// Query parameters that filter the collection: `?city=Pawnee` keeps the items whose
    /// field `city` is `Pawnee`. Other parameters are ignored. Defaults to none.
    pub filter_fields: Vec<String>,
    /// A document served as it is, without validators, for `GET /`. Defaults to none.
    pub home: Option<Value>,
    /// Pages the collection: `?page=N` (from 1) holds this many items, with `next` and
    /// `prev` links. Defaults to none (one page).
    pub page_size: Option<usize>,
    /// HAL-FORMS templates every item document carries as `_templates`. Defaults to none.
    pub templates: Option<Value>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            validators: Validators::Strong,
            require_precondition: true,
            unquoted_etags: true,
            if_match_on_get: false,
            get_no_content: false,
            accept_merge_patch_type: true,
            write_answer: WriteAnswer::NoContent,
            honor_prefer: true,
            eve_style: false,
            write_delay: Duration::ZERO,
            collection: "/items".to_owned(),
            embedded_rel: "items".to_owned(),
            filter_fields: Vec::new(),
            home: None,
            page_size: None,
            templates: None,
        }
    }
}

/// An item as the server holds it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    /// Its own fields (a JSON object without any `_`-prefixed top-level key): see the module
    /// docs and [`own_fields`].
    pub data: Value,
    /// The `ETag` header value it is served with, byte-exact; `None` when the server sends
    /// no entity-tags.
    pub etag: Option<Vec<u8>>,
    /// 1 when created (by [`HalServer::put`], PUT or POST), plus one per write applied since.
    pub version: u64,
}

/// What the server has done with client requests so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Writes applied: POST, PUT, PATCH, DELETE.
    pub applied: u64,
    /// Requests answered `412 Precondition Failed`.
    pub precondition_failed: u64,
    /// Requests answered `428 Precondition Required`.
    pub precondition_required: u64,
}

/// `doc`'s own fields: a copy without any top-level key that starts with `_` (`_links`,
/// `_embedded`, `_etag`, ...). Anything but an object is returned as it is.
pub fn own_fields(doc: &Value) -> Value {
    match doc {
        Value::Object(fields) => Value::Object(own_map(fields)),
        other => other.clone(),
    }
}

/// `fields` without the keys that start with `_`.
fn own_map(fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// One item.
#[derive(Debug, Default)]
struct Item {
    data: Map<String, Value>,
    links: Map<String, Value>,
    version: u64,
    /// The store-wide write number its entity-tag is made from (never reused).
    stamp: u64,
    /// Unix seconds of its last write.
    modified: u64,
}

/// Everything behind the lock.
#[derive(Debug, Default)]
struct State {
    items: BTreeMap<String, Item>,
    stamp: u64,
    counters: Counters,
}

impl State {
    /// Applies a write to the item at `path` (created when missing).
    fn write(&mut self, path: &str, change: impl FnOnce(&mut Item)) -> &Item {
        self.stamp += 1;
        let stamp = self.stamp;
        let item = self.items.entry(path.to_owned()).or_default();
        change(item);
        item.version += 1;
        item.stamp = stamp;
        item.modified = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        item
    }
}

/// The options and the state they act on.
#[derive(Debug)]
struct Store {
    options: Options,
    state: Mutex<State>,
}

/// A running HAL resource server. It derefs to [`Server`] for the URL and the request log.
#[derive(Debug, Clone)]
pub struct HalServer {
    server: Server,
    store: Arc<Store>,
}

impl Deref for HalServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl HalServer {
    /// Starts an empty store on a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// When no port can be bound.
    pub fn start(options: Options) -> HalServer {
        HalServer::try_start(options).unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1: {e}"))
    }

    /// [`HalServer::start`] that returns the error instead of panicking.
    pub(crate) fn try_start(options: Options) -> std::io::Result<HalServer> {
        let store = Arc::new(Store {
            options,
            state: Mutex::default(),
        });
        let shared = Arc::clone(&store);
        let server = Server::try_start(move |req| shared.handle(req))?;
        Ok(HalServer { server, store })
    }

    /// Creates or replaces the item at `path`, as another client's write would: its own
    /// fields become `doc`'s, its extra links `doc`'s `_links` (`self` is always the path).
    /// Not counted in [`HalServer::counters`].
    pub fn put(&self, path: &str, doc: Value) {
        let fields = doc.as_object().cloned().unwrap_or_default();
        let links = fields
            .get("_links")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        lock(&self.store.state).write(path, |item| {
            item.data = own_map(&fields);
            item.links = links;
        });
    }

    /// The item at `path` as the server holds it now.
    pub fn current(&self, path: &str) -> Option<Current> {
        let state = lock(&self.store.state);
        let item = state.items.get(path)?;
        Some(Current {
            data: Value::Object(item.data.clone()),
            etag: self.store.tag(item).map(|t| t.header()),
            version: item.version,
        })
    }

    /// What the server has done with client requests so far.
    pub fn counters(&self) -> Counters {
        lock(&self.store.state).counters
    }
}

/// `{"error": message}` with `status`.
fn problem(status: u16, message: &str) -> Reply {
    Reply::new(status).json(&json!({ "error": message }))
}

/// The last segment of `path`: an item's id.
fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `body` as a JSON object, or `None`.
fn parse_object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body).ok()? {
        Value::Object(fields) => Some(fields),
        _ => None,
    }
}

/// RFC 7396 JSON merge patch of `target` by the object `patch`: `null` removes a field,
/// objects merge per field, anything else replaces.
fn merge_patch(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(inner) => {
                let entry = target.entry(key.clone()).or_insert_with(|| json!({}));
                if !entry.is_object() {
                    *entry = json!({});
                }
                if let Value::Object(fields) = entry {
                    merge_patch(fields, inner);
                }
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// A field's value as query text: a string as it is, anything else as JSON.
fn field_text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

impl Store {
    /// Answers one request.
    fn handle(&self, req: &Request) -> Reply {
        let (path, method) = (req.path(), req.method.as_str());
        if let (Some(home), "/", "GET") = (&self.options.home, path, method) {
            return Reply::new(200).json(home);
        }
        let mut state = lock(&self.state);
        if path == self.options.collection {
            return match method {
                "GET" => self.list(&state, req),
                "POST" => self.create(&mut state, req),
                _ => problem(405, "use GET or POST on the collection").header("allow", "GET, POST"),
            };
        }
        match method {
            "GET" => self.read(&mut state, req, path),
            "PUT" | "PATCH" | "DELETE" => self.write(&mut state, req, path),
            _ => problem(405, "use GET, PUT, PATCH or DELETE on an item")
                .header("allow", "GET, PUT, PATCH, DELETE"),
        }
    }

    /// The item's entity-tag, if this server sends them.
    fn tag(&self, item: &Item) -> Option<EntityTag> {
        let (weak, prefix) = match self.options.validators {
            Validators::Strong => (false, ""),
            Validators::Weak => (true, ""),
            Validators::ObsText => (false, "v"),
            Validators::LastModifiedOnly | Validators::None => return None,
        };
        let mut opaque = format!("{prefix}{}", item.stamp).into_bytes();
        if self.options.validators == Validators::ObsText {
            opaque.push(0xE9);
        }
        Some(EntityTag { weak, opaque })
    }

    /// Whether this server sends `Last-Modified`.
    fn dates(&self) -> bool {
        self.options.validators == Validators::LastModifiedOnly
    }

    /// What preconditions are evaluated against for `item`.
    fn selected(&self, item: Option<&Item>) -> Selected {
        item.map_or_else(Selected::default, |item| Selected {
            exists: true,
            tag: self.tag(item),
            modified: self.dates().then_some(item.modified),
        })
    }

    /// `reply` with `item`'s validators: `ETag` or `Last-Modified`, or none.
    fn validators(&self, reply: Reply, item: &Item) -> Reply {
        match self.tag(item) {
            Some(tag) => reply.header_bytes("etag", &tag.header()),
            None if self.dates() => reply.header("last-modified", &http_date(item.modified)),
            None => reply,
        }
    }

    /// The document for `item` at `path`; with `etag_field` (collection listings) it carries
    /// `_etag` in any style.
    fn render(&self, path: &str, item: &Item, etag_field: bool) -> Value {
        let mut doc = item.data.clone();
        let mut links = item.links.clone();
        links.insert("self".into(), json!({ "href": path }));
        if self.options.eve_style {
            doc.insert("_id".into(), last_segment(path).into());
            doc.insert("_updated".into(), http_date(item.modified).into());
            links.insert("parent".into(), json!({"href": "/"}));
            links.insert(
                "collection".into(),
                json!({ "href": self.options.collection }),
            );
        }
        if let (true, Some(tag)) = (self.options.eve_style || etag_field, self.tag(item)) {
            doc.insert("_etag".into(), tag.field().into());
        }
        if let Some(templates) = &self.options.templates {
            doc.insert("_templates".into(), templates.clone());
        }
        doc.insert("_links".into(), Value::Object(links));
        Value::Object(doc)
    }

    /// GET of the collection: its direct items, filtered by [`Options::filter_fields`].
    fn list(&self, state: &State, req: &Request) -> Reply {
        let prefix = format!("{}/", self.options.collection);
        let filters: Vec<(String, String)> = req
            .query()
            .into_iter()
            .filter(|(key, _)| self.options.filter_fields.contains(key))
            .collect();
        let items: Vec<Value> = state
            .items
            .iter()
            .filter(|(path, _)| {
                path.strip_prefix(&prefix)
                    .is_some_and(|id| !id.is_empty() && !id.contains('/'))
            })
            .filter(|(_, item)| {
                filters
                    .iter()
                    .all(|(key, want)| item.data.get(key).is_some_and(|v| field_text(v) == *want))
            })
            .map(|(path, item)| self.render(path, item, true))
            .collect();
        let count = items.len();
        let collection = &self.options.collection;
        let mut links = Map::new();
        let items = match self.options.page_size {
            None => {
                links.insert("self".into(), json!({ "href": collection }));
                items
            }
            Some(size) => {
                let size = size.max(1);
                let page = req
                    .query()
                    .into_iter()
                    .find(|(k, _)| k == "page")
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(1)
                    .max(1);
                let at = |n: usize| json!({ "href": format!("{collection}?page={n}") });
                links.insert("self".into(), at(page));
                if page * size < count {
                    links.insert("next".into(), at(page + 1));
                }
                if page > 1 {
                    links.insert("prev".into(), at(page - 1));
                }
                items
                    .into_iter()
                    .skip((page - 1) * size)
                    .take(size)
                    .collect()
            }
        };
        let mut embedded = Map::new();
        embedded.insert(self.options.embedded_rel.clone(), Value::Array(items));
        Reply::new(200).json(&json!({
            "_links": links,
            "count": count,
            "_embedded": embedded,
        }))
    }

    /// POST to the collection: a new item at `<collection>/<first free number>`.
    fn create(&self, state: &mut State, req: &Request) -> Reply {
        let Some(fields) = parse_object(&req.body) else {
            return problem(400, "send a JSON object");
        };
        let path = (1..)
            .map(|n| format!("{}/{n}", self.options.collection))
            .find(|path| !state.items.contains_key(path))
            .unwrap_or_default();
        state.counters.applied += 1;
        let item = state.write(&path, |item| item.data = own_map(&fields));
        self.created(&path, item)
    }

    /// `201` with `Location`, the validators and the document.
    fn created(&self, path: &str, item: &Item) -> Reply {
        let reply = Reply::new(201).json(&self.render(path, item, false));
        self.validators(reply, item).header("location", path)
    }

    /// GET of an item, conditional on `If-None-Match`/`If-Modified-Since` (and `If-Match`/
    /// `If-Unmodified-Since` with [`Options::if_match_on_get`]).
    fn read(&self, state: &mut State, req: &Request, path: &str) -> Reply {
        let Some(item) = state.items.get(path) else {
            return problem(404, "no resource at this path");
        };
        let rules = Rules {
            safe: true,
            write_conditions: self.options.if_match_on_get,
            unquoted: self.options.unquoted_etags,
        };
        let reply = match evaluate(req, &self.selected(Some(item)), rules) {
            Verdict::Failed => problem(412, "the resource does not match your precondition"),
            Verdict::NotModified => Reply::new(304),
            Verdict::Proceed if self.options.get_no_content => Reply::new(204),
            Verdict::Proceed => Reply::new(200).json(&self.render(path, item, false)),
        };
        let reply = self.validators(reply, item);
        if reply.status() == 412 {
            state.counters.precondition_failed += 1;
        }
        reply
    }

    /// Whether `req` has a precondition this server can evaluate.
    fn has_precondition(&self, req: &Request) -> bool {
        req.values("if-match").next().is_some()
            || req.values("if-none-match").next().is_some()
            || (self.dates() && req.values("if-unmodified-since").next().is_some())
    }

    /// Whether a PATCH's content type is one this server applies as a merge patch.
    fn patch_type_ok(&self, req: &Request) -> bool {
        let media_type = req.values("content-type").next().map(|v| {
            let essence = v.split(|&b| b == b';').next().unwrap_or_default();
            trim(essence).to_ascii_lowercase()
        });
        match media_type.as_deref() {
            Some(b"application/json") => true,
            Some(b"application/merge-patch+json") => self.options.accept_merge_patch_type,
            _ => false,
        }
    }

    /// PUT, PATCH or DELETE of an item: the compare-and-swap.
    fn write(&self, state: &mut State, req: &Request, path: &str) -> Reply {
        let method = req.method.as_str();
        let current = state.items.get(path);
        if current.is_none() && method != "PUT" {
            return problem(404, "no resource at this path: create it with PUT or POST");
        }
        if method == "PATCH" && !self.patch_type_ok(req) {
            return problem(415, "send the merge patch as application/json").header(
                "accept-patch",
                "application/json, application/merge-patch+json",
            );
        }
        if current.is_some() && self.options.require_precondition && !self.has_precondition(req) {
            state.counters.precondition_required += 1;
            return problem(428, "send If-Match with the resource's ETag");
        }
        let rules = Rules {
            safe: false,
            write_conditions: true,
            unquoted: self.options.unquoted_etags,
        };
        if evaluate(req, &self.selected(current), rules) != Verdict::Proceed {
            let reply = problem(
                412,
                "the resource was changed by someone else: read it again",
            );
            let reply = match current {
                Some(item) => self.validators(reply, item),
                None => reply,
            };
            state.counters.precondition_failed += 1;
            return reply;
        }
        if !self.options.write_delay.is_zero() {
            std::thread::sleep(self.options.write_delay);
        }
        if method == "DELETE" {
            state.items.remove(path);
            state.counters.applied += 1;
            return Reply::new(204);
        }
        let Some(change) = parse_object(&req.body) else {
            return problem(400, "send a JSON object");
        };
        let created = current.is_none();
        state.counters.applied += 1;
        let item = state.write(path, |item| match method {
            "PUT" => item.data = own_map(&change),
            _ => merge_patch(&mut item.data, &own_map(&change)),
        });
        if created {
            self.created(path, item)
        } else {
            self.answer(req, path, item)
        }
    }

    /// The answer to a successful PUT or PATCH, per `Prefer` and [`Options::write_answer`].
    fn answer(&self, req: &Request, path: &str, item: &Item) -> Reply {
        let (answer, applied) = self.preferred(req);
        let reply = match answer {
            WriteAnswer::Representation => self
                .validators(Reply::new(200).json(&self.render(path, item, false)), item)
                .header("content-location", path),
            WriteAnswer::NoContent => self.validators(Reply::new(204), item),
            WriteAnswer::Eve => {
                let mut body = json!({
                    "_id": last_segment(path),
                    "_updated": http_date(item.modified),
                    "_links": {"self": {"href": path}},
                    "_status": "OK",
                });
                if let Some(tag) = self.tag(item) {
                    body["_etag"] = tag.field().into();
                }
                self.validators(Reply::new(200).json(&body), item)
            }
            WriteAnswer::SeeOther => Reply::new(303).header("location", path),
            WriteAnswer::Bare => Reply::new(200).json(&json!({})),
        };
        match applied {
            Some(preference) => reply.header("preference-applied", preference),
            None => reply,
        }
    }

    /// The answer `Prefer` asks for (when honoured) and the preference applied, else the
    /// configured one.
    fn preferred(&self, req: &Request) -> (WriteAnswer, Option<&'static str>) {
        if self.options.honor_prefer {
            let preferences = req.values("prefer").flat_map(|v| v.split(|&b| b == b','));
            for preference in preferences {
                let preference = trim(preference.split(|&b| b == b';').next().unwrap_or_default());
                if preference.eq_ignore_ascii_case(b"return=representation") {
                    return (WriteAnswer::Representation, Some("return=representation"));
                }
                if preference.eq_ignore_ascii_case(b"return=minimal") {
                    return (WriteAnswer::NoContent, Some("return=minimal"));
                }
            }
        }
        (self.options.write_answer, None)
    }
}
