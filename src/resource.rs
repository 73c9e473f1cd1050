//! `Resource`: a document's data, the validators of its version, and the HTTP exchange it came
//! from. Items of a page share the page: they are cheap to own and copied only when changed.

use std::fmt;
use std::ops::Index;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::forms::{self, Template};
use crate::hal::{self, Link, Multiplicity};
use crate::meta::Meta;
use crate::status::StatusCodes;
use crate::validators::{ETag, Validators};

/// A HAL document (or any JSON) with the validators of its version and the HTTP exchange it
/// came from.
///
/// Data first: index it like a `serde_json::Value` (`resource["name"]`; a missing key is
/// `Null`, never a panic), print it (`{}` compact, `{:#}` pretty), or deserialize it into your
/// own type. The HTTP details are in [`meta()`](Resource::meta).
///
/// # Invariant
///
/// A resource's data and its validators (its [`etag`](Resource::etag) and
/// [`last_modified`](Resource::last_modified)) always describe the same version. Every call
/// that changes one changes the other with it: a write through
/// [`Api::follow_mut`](crate::Api::follow_mut) brings both forward or leaves both as they
/// were, [`Api::refresh`](crate::Api::refresh) replaces both, and no failure touches either.
/// (Editing the data by hand with [`data_mut`](Resource::data_mut) keeps the validators: the
/// next write then fails safe with a conflict if the server moved on.)
///
/// # Items
///
/// Resources taken from [`embedded`](Resource::embedded), [`embedded_many`](Resource::embedded_many)
/// or [`collection`](Resource::collection) share the page they came from instead of copying it:
/// taking every item of a 10,000-item page costs about as much as walking it. An item is
/// copied out of the page the first time it is changed. Each takes its ETag from its own etag
/// field (`_etag` unless the [`Api`](crate::Api) says otherwise), so it can be written.
///
/// # Example
///
/// ```
/// use halchemy::Resource;
/// use serde_json::json;
///
/// let customer = Resource::from(json!({
///     "_links": {"self": {"href": "/customers/1"}},
///     "_etag": "abc",
///     "name": "Leslie"
/// }));
/// assert_eq!(customer["name"], "Leslie");
/// assert_eq!(customer["missing"], serde_json::Value::Null);
/// assert_eq!(customer.etag(), Some("abc"));
/// assert!(customer.has_rel("self"));
/// ```
#[derive(Clone)]
pub struct Resource {
    doc: Arc<Doc>,
    path: Path,
    validators: Validators,
    meta: Arc<Meta>,
    /// After [`data_mut`](Resource::data_mut): the data of the version the validators name,
    /// as it was read (the data itself is then a draft on top of it).
    base: Option<Box<Base>>,
}

/// The version read, kept beside a draft: shared with the page it came from.
#[derive(Clone)]
struct Base {
    doc: Arc<Doc>,
    path: Path,
}

impl Base {
    /// The version read of an item a draft holds at `keys` (and `index`): the one with the
    /// same `self` link, at the same place if it is there.
    fn version_of(&self, keys: &[&str], index: Option<usize>, item: &Value) -> Option<Base> {
        let own = self_href(item)?;
        let steps = self.path.child(keys);
        let at = |index| Path {
            steps: Some(Arc::clone(&steps)),
            index,
        };
        let found = match index {
            None => Some(None).filter(|_| self_href(at(None).get(&self.doc.value)) == Some(own)),
            Some(i) => {
                let versions = at(None).get(&self.doc.value).as_array()?;
                let same = |v: &Value| self_href(v) == Some(own);
                match versions.get(i).is_some_and(same) {
                    true => Some(Some(i)),
                    false => versions.iter().position(same).map(Some),
                }
            }
        }?;
        Some(Base {
            doc: Arc::clone(&self.doc),
            path: at(found),
        })
    }
}

/// The `href` of a document's (first) `self` link.
fn self_href(doc: &Value) -> Option<&str> {
    let link = doc.get("_links")?.get("self")?;
    let link = match link {
        Value::Array(links) => links.first()?,
        one => one,
    };
    link.get("href")?.as_str()
}

/// A parsed document, shared by the resource read and every item taken from it.
#[derive(Clone)]
pub(crate) struct Doc {
    pub value: Value,
    /// The field a document's own ETag is read from when it has no `ETag` header.
    pub etag_field: Arc<str>,
    /// The document's URL: relative hrefs resolve against it in document mode.
    pub url: Option<Arc<str>>,
    /// Whether `url` is the representation's own URL (a GET's final URL, or the
    /// `Content-Location` of a write's answer), so a write to it carries the validators.
    pub url_is_own: bool,
    /// Links from the response's `Link` headers (RFC 8288), for the top level only.
    pub header_links: Option<Map<String, Value>>,
}

impl Doc {
    pub(crate) fn new(value: Value, etag_field: Arc<str>) -> Doc {
        Doc {
            value,
            etag_field,
            url: None,
            url_is_own: false,
            header_links: None,
        }
    }
}

/// Where a resource's data sits inside its document: the top level, or a path to an item.
#[derive(Clone, Default)]
struct Path {
    steps: Option<Arc<[Step]>>,
    index: Option<usize>,
}

#[derive(Debug)]
enum Step {
    Key(Box<str>),
    Index(usize),
}

static NULL: Value = Value::Null;

impl Path {
    fn is_root(&self) -> bool {
        self.steps.is_none() && self.index.is_none()
    }

    fn get<'a>(&self, root: &'a Value) -> &'a Value {
        let mut v = root;
        for step in self.steps.iter().flat_map(|s| s.iter()) {
            v = match step {
                Step::Key(k) => v.get(&**k),
                Step::Index(i) => v.get(*i),
            }
            .unwrap_or(&NULL);
        }
        match self.index {
            Some(i) => v.get(i).unwrap_or(&NULL),
            None => v,
        }
    }

    /// This path followed by `keys`, shared by every item found under it.
    fn child(&self, keys: &[&str]) -> Arc<[Step]> {
        let mut steps = Vec::with_capacity(keys.len() + 3);
        for s in self.steps.iter().flat_map(|s| s.iter()) {
            steps.push(match s {
                Step::Key(k) => Step::Key(k.clone()),
                Step::Index(i) => Step::Index(*i),
            });
        }
        if let Some(i) = self.index {
            steps.push(Step::Index(i));
        }
        steps.extend(keys.iter().map(|k| Step::Key((*k).into())));
        steps.into()
    }
}

/// What [`Resource::embedded`] found: one resource or many.
///
/// # Example
///
/// ```
/// use halchemy::{Embedded, Resource};
/// use serde_json::json;
///
/// let r = Resource::from(json!({"_embedded": {"owner": {"name": "Kim"}}}));
/// match r.embedded("owner", None)? {
///     Embedded::One(owner) => assert_eq!(owner["name"], "Kim"),
///     Embedded::Many(_) => unreachable!(),
/// }
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum Embedded {
    /// The rel holds an object.
    One(Resource),
    /// The rel holds an array.
    Many(Vec<Resource>),
}

impl Resource {
    /// A response (or any document) with its validators and meta.
    pub(crate) fn new(doc: Doc, validators: Validators, meta: Meta) -> Self {
        Resource {
            doc: Arc::new(doc),
            path: Path::default(),
            validators,
            meta: Arc::new(meta),
            base: None,
        }
    }

    /// The JSON data (the response body when it was JSON, else `Null`).
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"a": 1}));
    /// assert_eq!(r.data()["a"], 1);
    /// ```
    pub fn data(&self) -> &Value {
        self.path.get(&self.doc.value)
    }

    /// The JSON data, to edit in hand: a draft on top of the version read. The validators
    /// keep naming that version, which the resource also keeps, so no call pairs the draft
    /// with another version's ETag:
    ///
    /// - a write through [`Api::follow_mut`](crate::Api::follow_mut) sends what it is given
    ///   (`put(r.data().clone())` sends the draft whole) with the version's precondition;
    ///   after it succeeds the resource holds the server's new version, and a draft that was
    ///   not sent is dropped;
    /// - [`Api::update`](crate::Api::update) sends the draft with its change (after a
    ///   conflict, merged three ways into the version read again) and puts the resource back
    ///   if it fails; [`Api::merge`](crate::Api::merge) merges from the version read;
    /// - items taken from a draft (`embedded_many`, `collection`) are drafts of the item with
    ///   the same `self` link in the version read (an item it does not have has no
    ///   validators);
    /// - the resource's own URL, where writes carry its validators, is the version read's: a
    ///   draft that edits `_links.self` does not move it;
    /// - [`Api::refresh`](crate::Api::refresh) keeps the draft on `304` and drops it when a
    ///   newer version arrives.
    ///
    /// An item of a page is copied out of the page here, once.
    ///
    /// # Example
    ///
    /// ```
    /// let mut r = halchemy::Resource::from(serde_json::json!({"a": 1, "_etag": "v1"}));
    /// r.data_mut()["a"] = 2.into();
    /// r.data_mut()["_etag"] = "edited".into();
    /// assert_eq!(r["a"], 2);
    /// assert_eq!(r.etag(), Some("v1"));
    /// ```
    pub fn data_mut(&mut self) -> &mut Value {
        if self.base.is_none() {
            self.base = Some(Box::new(Base {
                doc: Arc::clone(&self.doc),
                path: self.path.clone(),
            }));
        }
        self.validators.etag = self
            .validators
            .etag
            .pinned(self.data(), &self.doc.etag_field);
        self.own_document();
        &mut Arc::make_mut(&mut self.doc).value
    }

    /// Makes the data this resource's own: an item is copied out of its page.
    fn own_document(&mut self) {
        if self.path.is_root() {
            return;
        }
        let value = self.data().clone();
        self.doc = Arc::new(Doc {
            value,
            etag_field: Arc::clone(&self.doc.etag_field),
            url: self.doc.url.clone(),
            url_is_own: false,
            header_links: None,
        });
        self.path = Path::default();
    }

    /// Takes the JSON data out (copied when it is shared with other items of a page).
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!([1, 2]));
    /// assert_eq!(r.into_data(), serde_json::json!([1, 2]));
    /// ```
    pub fn into_data(self) -> Value {
        if !self.path.is_root() {
            return self.data().clone();
        }
        match Arc::try_unwrap(self.doc) {
            Ok(doc) => doc.value,
            Err(shared) => shared.value.clone(),
        }
    }

    /// Deserializes the data into your own type.
    ///
    /// # Errors
    ///
    /// [`Error::Deserialize`] when the data does not fit `T`; [`Error::Status`] instead when
    /// it does not fit and the response was not a success (a `404`'s error document is not
    /// the customer you asked for: the status and URL say more than a missing field).
    ///
    /// # Example
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Customer { name: String }
    ///
    /// let r = halchemy::Resource::from(serde_json::json!({"name": "Kim", "_etag": "x"}));
    /// let c: Customer = r.deserialize()?;
    /// assert_eq!(c.name, "Kim");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(self.data()).map_err(|e| match self.status() {
            0 | 200..=299 => Error::Deserialize(e),
            _ => Error::Status(Box::new(self.clone())),
        })
    }

    /// The ETag of the version this resource holds: the response's `ETag` header (verbatim,
    /// quotes and `W/` kept), else the body's etag field, else `None`. An ETag holding bytes
    /// that are not UTF-8 (obs-text) shows them as U+FFFD here; halchemy still sends the
    /// exact bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_etag": "v1"}));
    /// assert_eq!(r.etag(), Some("v1"));
    /// ```
    pub fn etag(&self) -> Option<&str> {
        self.validators.etag.text(self.data(), &self.doc.etag_field)
    }

    /// The response's `Last-Modified` header. Writes send it as `If-Unmodified-Since` when
    /// the resource has no ETag.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({}));
    /// assert_eq!(r.last_modified(), None);
    /// ```
    pub fn last_modified(&self) -> Option<&str> {
        self.validators
            .last_modified
            .as_ref()
            .and_then(|v| v.to_str().ok())
    }

    /// The HTTP exchange: the request as sent, the response, the error if any.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({}));
    /// assert!(r.meta().error.is_none());
    /// ```
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The response's status code (0 when none arrived): a shortcut for
    /// `meta().response.status`.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({}));
    /// assert_eq!(r.status(), 0);
    /// ```
    pub fn status(&self) -> u16 {
        self.meta.response.status
    }

    /// The rels of `_links`, in document order (empty when there are none).
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_links": {
    ///     "self": {"href": "/"}, "orders": {"href": "/orders"}}}));
    /// assert!(r.links().contains(&"orders"));
    /// ```
    pub fn links(&self) -> Vec<&str> {
        self.hal_links().rels()
    }

    /// Whether `_links` has `rel`.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_links": {"self": {"href": "/"}}}));
    /// assert!(r.has_rel("self") && !r.has_rel("next"));
    /// ```
    pub fn has_rel(&self, rel: &str) -> bool {
        self.hal_links().has_rel(rel)
    }

    /// The link of `rel`, with every HAL attribute.
    ///
    /// # Errors
    ///
    /// [`Error::RelNotFound`] (naming the rels that exist), [`Error::AmbiguousLink`] when the
    /// rel is an array of several links (see [`links_of`](Resource::links_of)), and
    /// [`Error::MalformedHal`].
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_links": {"self": {"href": "/"}}}));
    /// assert_eq!(r.link("self")?.href, "/");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn link(&self, rel: &str) -> Result<Link> {
        self.hal_links().link(rel)
    }

    /// Every link of `rel`: one for a single link, all of them for a link array.
    ///
    /// # Errors
    ///
    /// [`Error::RelNotFound`] and [`Error::MalformedHal`].
    ///
    /// # Example
    ///
    /// ```
    /// let home = halchemy::Resource::from(serde_json::json!({"_links": {"child": [
    ///     {"href": "customers", "title": "customers"}, {"href": "orders", "title": "orders"}]}}));
    /// let titles: Vec<_> = home.links_of("child")?.into_iter().filter_map(|l| l.title).collect();
    /// assert_eq!(titles, ["customers", "orders"]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn links_of(&self, rel: &str) -> Result<Vec<Link>> {
        self.hal_links().links_of(rel)
    }

    /// The documentation URL of a curied rel: the matching curie's `href` with the rel's
    /// reference in place of `{rel}` (HAL draft §8.2), or `None` when the rel is not curied
    /// by a curie of this document.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_links": {
    ///     "curies": [{"name": "ea", "href": "http://example.com/docs/rels/{rel}", "templated": true}],
    ///     "ea:orders": {"href": "/orders"}
    /// }}));
    /// assert_eq!(r.rel_documentation("ea:orders").as_deref(), Some("http://example.com/docs/rels/orders"));
    /// // The expanded rel finds the curied link too.
    /// assert!(r.has_rel("http://example.com/docs/rels/orders"));
    /// ```
    pub fn rel_documentation(&self, rel: &str) -> Option<String> {
        hal::rel_documentation(self.data(), rel)
    }

    /// The rels of `_embedded`.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"item": []}}));
    /// assert_eq!(r.embedded_rels(), ["item"]);
    /// ```
    pub fn embedded_rels(&self) -> Vec<&str> {
        hal::embedded_rels(self.data())
    }

    /// Whether `_embedded` has `rel`.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"item": []}}));
    /// assert!(r.has_embedded("item") && !r.has_embedded("other"));
    /// ```
    pub fn has_embedded(&self, rel: &str) -> bool {
        self.embedded_rels().contains(&rel)
    }

    /// The embedded resource(s) of `rel`: [`Embedded::One`] for an object,
    /// [`Embedded::Many`] for an array. With `Some(expect)`, the other shape is an error.
    ///
    /// # Errors
    ///
    /// [`Error::EmbeddedNotFound`], [`Error::EmbeddedTypeMismatch`], and
    /// [`Error::MalformedHal`] when `_embedded` is not an object.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Embedded, Multiplicity, Resource};
    ///
    /// let r = Resource::from(serde_json::json!({"_embedded": {"item": [{"n": 1}]}}));
    /// let Embedded::Many(items) = r.embedded("item", Some(Multiplicity::Many))? else { unreachable!() };
    /// assert_eq!(items[0]["n"], 1);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn embedded(&self, rel: &str, expect: Option<Multiplicity>) -> Result<Embedded> {
        let (items, found) = hal::embedded(self.data(), rel, expect)?;
        let key = hal::embedded_key(self.data(), rel).unwrap_or(rel);
        Ok(match found {
            Multiplicity::One => Embedded::One(self.one(&["_embedded", key])),
            Multiplicity::Many => Embedded::Many(self.items(&["_embedded", key], items.len())),
        })
    }

    /// The one embedded resource of `rel` (an object).
    ///
    /// # Errors
    ///
    /// As [`embedded`](Resource::embedded); an array is a type mismatch.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"owner": {"n": 1}}}));
    /// assert_eq!(r.embedded_one("owner")?["n"], 1);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn embedded_one(&self, rel: &str) -> Result<Resource> {
        hal::embedded(self.data(), rel, Some(Multiplicity::One))?;
        let key = hal::embedded_key(self.data(), rel).unwrap_or(rel);
        Ok(self.one(&["_embedded", key]))
    }

    /// The embedded resources of `rel` (an array). The items share this page instead of
    /// copying it (see [Items](Resource#items)).
    ///
    /// # Errors
    ///
    /// As [`embedded`](Resource::embedded); an object is a type mismatch.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"item": [
    ///     {"_etag": "a", "n": 1}, {"_etag": "b", "n": 2}]}}));
    /// let items = r.embedded_many("item")?;
    /// assert_eq!(items.len(), 2);
    /// assert_eq!(items[1].etag(), Some("b"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn embedded_many(&self, rel: &str) -> Result<Vec<Resource>> {
        let (items, _) = hal::embedded(self.data(), rel, Some(Multiplicity::Many))?;
        Ok(self.items(
            &[
                "_embedded",
                hal::embedded_key(self.data(), rel).unwrap_or(rel),
            ],
            items.len(),
        ))
    }

    /// Each element of the array at `field` as a resource, for collections that list items
    /// outside `_embedded`, such as Eve's `_items`. Every element must be well-formed HAL
    /// (`_links` an object with one `self` link holding a string `href`; `_embedded`, if
    /// present, an object). The items share this page (see [Items](Resource#items)).
    ///
    /// # Errors
    ///
    /// [`Error::CollectionMissing`], [`Error::CollectionNotArray`] and
    /// [`Error::CollectionItemNotHal`].
    ///
    /// # Example
    ///
    /// ```
    /// let page = halchemy::Resource::from(serde_json::json!({"_items": [
    ///     {"_links": {"self": {"href": "customers/1"}}, "_etag": "e1"}]}));
    /// let items = page.collection("_items")?;
    /// assert_eq!(items[0].etag(), Some("e1"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn collection(&self, field: &str) -> Result<Vec<Resource>> {
        let items = hal::collection(self.data(), field)?;
        Ok(self.items(&[field], items.len()))
    }

    /// The HAL-FORMS templates of the resource (its `_templates`), in name order; empty when it
    /// has none. Servers send them when asked for
    /// [`HAL_FORMS_MEDIA_TYPE`](crate::HAL_FORMS_MEDIA_TYPE) (see
    /// [`HAL_FORMS_ACCEPT`](crate::HAL_FORMS_ACCEPT)); [`Api::submit`](crate::Api::submit)
    /// sends one.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedHal`] naming the template and what is wrong with it,
    /// [`Error::FormMethod`] for a method halchemy cannot send, and [`Error::InvalidUrl`] for
    /// a `target` that is not a URL.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Resource;
    /// use serde_json::json;
    ///
    /// let employee = Resource::from(json!({"_templates": {
    ///     "default": {"method": "put"},
    ///     "partiallyUpdateEmployee": {"method": "patch"}
    /// }}));
    /// let methods: Vec<_> = employee
    ///     .templates()?
    ///     .iter()
    ///     .map(|t| format!("{} {}", t.name(), t.method()))
    ///     .collect();
    /// assert_eq!(methods, ["default PUT", "partiallyUpdateEmployee PATCH"]);
    /// assert!(Resource::from(json!({})).templates()?.is_empty());
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn templates(&self) -> Result<Vec<Template>> {
        forms::templates(self.data())
    }

    /// The HAL-FORMS template called `name` (usually `default`).
    ///
    /// # Errors
    ///
    /// [`Error::TemplateNotFound`] listing the templates the resource has, and the errors of
    /// [`templates`](Resource::templates) for that template.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Error, Resource};
    /// use serde_json::json;
    ///
    /// let employee = Resource::from(json!({"_templates": {"default": {"method": "put"}}}));
    /// assert_eq!(employee.template("default")?.method(), "PUT");
    /// match employee.template("fire") {
    ///     Err(Error::TemplateNotFound { available, .. }) => assert_eq!(available, ["default"]),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn template(&self, name: &str) -> Result<Template> {
        forms::template(self.data(), name)
    }

    /// The items of this page under `_embedded[rel]`, leniently (see [`hal::page_items`]): none
    /// without `_embedded`, one for an object. They share this page.
    pub(crate) fn page_items(&self, rel: &str) -> Result<Vec<Resource>> {
        let found = hal::page_items(self.data(), rel)?.len();
        let Some(key) = hal::embedded_key(self.data(), rel).filter(|_| found > 0) else {
            return Ok(Vec::new());
        };
        let keys = ["_embedded", key];
        Ok(match self.data()["_embedded"][key].is_object() {
            true => vec![self.one(&keys)],
            false => self.items(&keys, found),
        })
    }

    /// Each element of the data when it is an array (a page whose body is a JSON array, as
    /// GitHub's REST API sends); none otherwise. They share this page.
    pub(crate) fn elements(&self) -> Vec<Resource> {
        self.items(&[], self.data().as_array().map_or(0, Vec::len))
    }

    /// The items at `keys` under this resource, `len` of them, sharing the document.
    fn items(&self, keys: &[&str], len: usize) -> Vec<Resource> {
        let steps = self.path.child(keys);
        (0..len)
            .map(|i| self.item(keys, Arc::clone(&steps), Some(i)))
            .collect()
    }

    /// The one item at `keys` under this resource, sharing the document.
    fn one(&self, keys: &[&str]) -> Resource {
        self.item(keys, self.path.child(keys), None)
    }

    /// An item; taken from a draft (see [`data_mut`](Resource::data_mut)), it is a draft too,
    /// of the item with the same `self` link in the version read, whose ETag it takes. An item
    /// the version read does not have (the draft added it, or it has no `self` link to be
    /// known by) has no validators.
    fn item(&self, keys: &[&str], steps: Arc<[Step]>, index: Option<usize>) -> Resource {
        let path = Path {
            steps: Some(steps),
            index,
        };
        let (etag, base) = match &self.base {
            _ if self.validators.excerpt => (ETag::None, None),
            None => (ETag::Field, None),
            Some(parent) => match parent.version_of(keys, index, path.get(&self.doc.value)) {
                Some(base) => {
                    let field = &self.doc.etag_field;
                    let etag = ETag::Field.pinned(base.path.get(&base.doc.value), field);
                    (etag, Some(Box::new(base)))
                }
                None => (ETag::None, None),
            },
        };
        Resource {
            doc: Arc::clone(&self.doc),
            path,
            validators: Validators {
                etag,
                last_modified: None,
                deleted: false,
                excerpt: self.validators.excerpt,
                // An item's version is its own etag field, which a write to the page did not
                // work out.
                predicted: false,
            },
            meta: Arc::clone(&self.meta),
            base,
        }
    }

    /// Returns the resource, or [`Error::Status`] when its status is in `codes`
    /// (a [`StatusCodes`] set such as `">399"` or `"400-403, 500"`).
    ///
    /// # Errors
    ///
    /// [`Error::Status`] holding this resource, or [`Error::StatusCodes`] when `codes` does not
    /// parse.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({}));
    /// let r = r.raise_for_status_codes(">399")?; // status 0: not in the set
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn raise_for_status_codes(self, codes: &str) -> Result<Resource> {
        let codes: StatusCodes = codes.parse()?;
        if codes.contains(self.status()) {
            Err(Error::Status(Box::new(self)))
        } else {
            Ok(self)
        }
    }

    /// [`raise_for_status_codes(">399")`](Resource::raise_for_status_codes): any 4xx or 5xx is
    /// an error.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] holding this resource.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let home = api.home().get()?.raise_for_status()?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn raise_for_status(self) -> Result<Resource> {
        if self.status() > 399 {
            Err(Error::Status(Box::new(self)))
        } else {
            Ok(self)
        }
    }

    // ------------------------------------------------------------ crate-internal

    /// The links of `_links`, and of the response's `Link` headers for the top level.
    pub(crate) fn hal_links(&self) -> hal::Links<'_> {
        hal::Links::new(self.data(), self.header_links())
    }

    /// The `Link` header's links, for the resource a response is (not for its items).
    fn header_links(&self) -> Option<&Map<String, Value>> {
        match self.path.is_root() {
            true => self.doc.header_links.as_ref(),
            false => None,
        }
    }

    /// The links of the version the validators name: a draft that edits `_links` (its
    /// `self`, say) does not move the resource's own URL.
    pub(crate) fn version_links(&self) -> hal::Links<'_> {
        hal::Links::new(self.version_data(), self.header_links())
    }

    pub(crate) fn validators(&self) -> &Validators {
        &self.validators
    }

    /// The field this resource's ETag is read from when no header gave one.
    /// The ETag as a precondition sends it (as `Conflict::sent_etag` records it).
    pub(crate) fn sent_etag(&self) -> Option<String> {
        let raw = self
            .validators
            .etag
            .value(self.data(), &self.doc.etag_field)?;
        Some(String::from_utf8_lossy(raw.as_bytes()).into_owned())
    }

    pub(crate) fn etag_field(&self) -> &str {
        &self.doc.etag_field
    }

    /// Whether the resource has any validator.
    pub(crate) fn has_validators(&self) -> bool {
        self.etag().is_some() || self.validators.last_modified.is_some()
    }

    /// The URL relative hrefs resolve against in document mode.
    pub(crate) fn document_url(&self) -> Option<&str> {
        self.doc.url.as_deref()
    }

    /// The URL this representation was read from, when it counts as its own (top level only).
    pub(crate) fn read_url(&self) -> Option<&str> {
        match self.path.is_root() && self.doc.url_is_own {
            true => self.doc.url.as_deref(),
            false => None,
        }
    }

    /// Sets new data and validators together, keeping this resource's URL; the meta becomes
    /// `meta`.
    pub(crate) fn advance(&mut self, data: Value, validators: Validators, meta: Arc<Meta>) {
        self.base = None;
        self.own_document();
        let doc = Arc::make_mut(&mut self.doc);
        doc.value = data;
        self.validators = validators;
        self.meta = meta;
    }

    /// Forgets the validators (of an answer that is not a representation).
    pub(crate) fn clear_validators(&mut self) {
        self.validators = Validators::default();
        self.base = None;
    }

    /// A write's answer that is not a representation: no validators, for it or its items.
    pub(crate) fn mark_excerpt(&mut self) {
        self.clear_validators();
        self.validators.excerpt = true;
    }

    /// After a successful DELETE of the resource: no version of it exists any more.
    pub(crate) fn mark_deleted(&mut self) {
        self.clear_validators();
        self.validators.deleted = true;
    }

    /// The data of the version the validators name: the data as read, before any edit made
    /// with [`data_mut`](Resource::data_mut).
    pub(crate) fn version_data(&self) -> &Value {
        match &self.base {
            Some(base) => base.path.get(&base.doc.value),
            None => self.data(),
        }
    }

    /// The edits made with [`data_mut`](Resource::data_mut) and not sent yet, as a JSON merge
    /// patch against the version read (`null` for a removed field); `None` when there are
    /// none. A successful write, or a refresh that brings a newer version, ends the draft.
    ///
    /// # Example
    ///
    /// ```
    /// use serde_json::json;
    ///
    /// let mut r = halchemy::Resource::from(json!({"name": "Kim", "city": "Pawnee"}));
    /// assert_eq!(r.draft(), None);
    /// r.data_mut()["name"] = json!("Lee");
    /// assert_eq!(r.draft(), Some(json!({"name": "Lee"})));
    /// ```
    pub fn draft(&self) -> Option<Value> {
        self.base.as_ref()?;
        crate::merge::merge_patch_between(self.version_data(), self.data())
    }

    pub(crate) fn set_meta(&mut self, meta: Arc<Meta>) {
        self.meta = meta;
    }

    pub(crate) fn meta_arc(&self) -> &Arc<Meta> {
        &self.meta
    }
}

impl Default for Resource {
    fn default() -> Self {
        Resource::from(Value::Null)
    }
}

impl From<Value> for Resource {
    /// A document held in hand; its ETag comes from its `_etag` field. Relative hrefs resolve
    /// against the base URL, in either resolution mode.
    ///
    /// Data saved right after a write whose new data was worked out here (see
    /// [`Api::refresh`](crate::Api::refresh)) names the new version in its etag field while
    /// what the server keeps itself (links, computed fields) may be older: rebuilt from it, a
    /// resource does not know that, so read such a resource again rather than rebuild it.
    fn from(data: Value) -> Self {
        let field: Arc<str> = Arc::from(crate::DEFAULT_ETAG_FIELD);
        let validators = Validators::of_document(&data, &field);
        Resource {
            doc: Arc::new(Doc::new(data, field)),
            path: Path::default(),
            validators,
            meta: Arc::default(),
            base: None,
        }
    }
}

impl Index<&str> for Resource {
    type Output = Value;

    /// `resource["key"]`: the field, or `Null` when it is missing or the data is not an object.
    fn index(&self, key: &str) -> &Value {
        &self.data()[key]
    }
}

impl Index<usize> for Resource {
    type Output = Value;

    /// `resource[0]`: the element, or `Null` when it is missing or the data is not an array.
    fn index(&self, i: usize) -> &Value {
        &self.data()[i]
    }
}

impl fmt::Display for Resource {
    /// The data as JSON: compact with `{}`, pretty with `{:#}`. A password in a URL the data
    /// holds is redacted, as in every text halchemy produces; serialize the resource (it is
    /// `Serialize`) or its [`data`](Resource::data) for the document exactly as it came.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&crate::url::RedactedJson(self.data()), f)
    }
}

impl fmt::Debug for Resource {
    /// The data (with any password in a URL it holds redacted), validators and meta.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("data", &crate::url::RedactedJson(self.data()))
            .field("etag", &self.etag())
            .field("last_modified", &self.last_modified())
            .field("meta", &self.meta)
            .finish()
    }
}

impl serde::Serialize for Resource {
    /// Serializes the data.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.data().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indexing_never_panics() {
        let r = Resource::from(json!({"a": [1, 2]}));
        assert_eq!(r["a"][1], 2);
        assert_eq!(r["b"], Value::Null);
        assert_eq!(r[3], Value::Null);
        assert_eq!(Resource::from(json!(5))["x"], Value::Null);
        assert_eq!(Resource::from(json!([9]))[0], 9);
    }

    #[test]
    fn display_is_compact_and_alternate_is_pretty() {
        let r = Resource::from(json!({"a": 1}));
        assert_eq!(r.to_string(), r#"{"a":1}"#);
        assert_eq!(format!("{r:#}"), "{\n  \"a\": 1\n}");
    }

    #[test]
    fn embedded_items_take_the_etag_field() {
        let r = Resource::from(json!({"_embedded": {
            "one": {"_etag": "x"},
            "many": [{"_etag": "a"}, {"_etag": 5}]
        }}));
        assert_eq!(r.embedded_one("one").unwrap().etag(), Some("x"));
        let many = r.embedded_many("many").unwrap();
        assert_eq!(many[0].etag(), Some("a"));
        assert_eq!(many[1].etag(), None);
        assert!(matches!(
            r.embedded_one("many"),
            Err(Error::EmbeddedTypeMismatch { .. })
        ));
        assert!(matches!(
            r.embedded_many("one"),
            Err(Error::EmbeddedTypeMismatch { .. })
        ));
        let err = r.embedded("none", None).unwrap_err();
        assert!(err.to_string().contains("many, one") || err.to_string().contains("one, many"));
        assert!(matches!(
            Resource::from(json!({"_embedded": {"s": "x"}})).embedded("s", None),
            Err(Error::EmbeddedTypeMismatch { .. })
        ));
    }

    #[test]
    fn items_share_the_page_until_changed() {
        let page = Resource::from(json!({"_embedded": {"item": [
            {"n": 1, "_etag": "a", "_embedded": {"sub": [{"m": 7}]}},
            {"n": 2, "_etag": "b"}
        ]}}));
        let mut items = page.embedded_many("item").unwrap();
        assert!(Arc::ptr_eq(&items[0].doc, &page.doc), "no copy");
        let nested = items[0].embedded_many("sub").unwrap();
        assert_eq!(nested[0]["m"], 7);
        items[1].data_mut()["n"] = 20.into();
        items[1].data_mut()["_etag"] = "edited".into();
        assert_eq!(items[1]["n"], 20);
        assert_eq!(
            items[1].etag(),
            Some("b"),
            "editing by hand keeps the validator"
        );
        assert_eq!(
            page["_embedded"]["item"][1]["n"], 2,
            "the page is untouched"
        );
        assert_eq!(items[0].clone().into_data()["n"], 1);
        let c = Resource::from(json!({"_items": [
            {"_links": {"self": {"href": "/1"}}, "_etag": "e1"}
        ]}));
        assert_eq!(c.collection("_items").unwrap()[0].etag(), Some("e1"));
    }
}
