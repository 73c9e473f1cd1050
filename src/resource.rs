//! `Resource`: a document's data, its last-seen ETag and the HTTP details beside it.

use std::fmt;
use std::ops::Index;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::hal::{self, Link, Multiplicity};
use crate::meta::Meta;
use crate::status::StatusCodes;

/// A HAL document (or any JSON) with its last-seen ETag and the HTTP exchange it came from.
///
/// Data first: index it like a `serde_json::Value` (`resource["name"]`; a missing key is
/// `Null`, never a panic), print it (`{}` compact, `{:#}` pretty), or deserialize it into your
/// own type. The HTTP details are in [`meta()`](Resource::meta).
///
/// Resources taken from [`embedded`](Resource::embedded) or
/// [`collection`](Resource::collection) take their ETag from the etag field (`_etag` unless the
/// [`Api`](crate::Api) says otherwise) and share the meta of the response they arrived in.
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
    data: Value,
    etag: Option<String>,
    last_modified: Option<String>,
    meta: Arc<Meta>,
}

/// A borrowed view of a resource: one item of a collection or of an embedded array, without
/// copying it. Anything [`Api::follow`](crate::Api::follow) takes.
///
/// # Example
///
/// ```
/// use halchemy::Resource;
/// use serde_json::json;
///
/// let page = Resource::from(json!({"_embedded": {"item": [
///     {"_links": {"self": {"href": "/1"}}, "n": 1},
///     {"_links": {"self": {"href": "/2"}}, "n": 2}
/// ]}}));
/// let total: i64 = page.iter_embedded("item")?.map(|item| item["n"].as_i64().unwrap()).sum();
/// assert_eq!(total, 3);
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct ResourceRef<'a> {
    data: &'a Value,
    etag: Option<&'a str>,
    last_modified: Option<&'a str>,
    meta: &'a Arc<Meta>,
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

/// Iterator over borrowed items, from [`Resource::iter_embedded`] and
/// [`Resource::iter_collection`].
///
/// # Example
///
/// ```
/// use halchemy::Resource;
/// use serde_json::json;
///
/// let r = Resource::from(json!({"_embedded": {"item": [{"n": 1}, {"n": 2}]}}));
/// assert_eq!(r.iter_embedded("item")?.len(), 2);
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone)]
pub struct Items<'a> {
    inner: std::slice::Iter<'a, Value>,
    meta: &'a Arc<Meta>,
}

impl<'a> Iterator for Items<'a> {
    type Item = ResourceRef<'a>;

    fn next(&mut self) -> Option<ResourceRef<'a>> {
        let meta = self.meta;
        self.inner.next().map(|data| ResourceRef::item(data, meta))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Items<'_> {}

impl fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("remaining", &self.len())
            .finish()
    }
}

fn field_etag<'a>(data: &'a Value, meta: &Meta) -> Option<&'a str> {
    data.get(meta.etag_field()).and_then(Value::as_str)
}

impl<'a> ResourceRef<'a> {
    fn item(data: &'a Value, meta: &'a Arc<Meta>) -> Self {
        ResourceRef {
            data,
            etag: field_etag(data, meta),
            last_modified: None,
            meta,
        }
    }

    /// The JSON data.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"a": {"x": 1}}}));
    /// let a = r.iter_embedded("a")?.next().unwrap();
    /// assert_eq!(a.data()["x"], 1);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn data(&self) -> &'a Value {
        self.data
    }

    /// The ETag (for an item: its etag field).
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"a": {"_etag": "e1"}}}));
    /// assert_eq!(r.iter_embedded("a")?.next().unwrap().etag(), Some("e1"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn etag(&self) -> Option<&'a str> {
        self.etag
    }

    /// The HTTP exchange the item arrived in.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"a": {}}}));
    /// assert_eq!(r.iter_embedded("a")?.next().unwrap().meta().response.status, 0);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn meta(&self) -> &'a Meta {
        self.meta
    }

    /// The rels of `_links`. See [`Resource::links`].
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_links": {"self": {"href": "/"}}}));
    /// assert_eq!(halchemy::ResourceRef::from(&r).links(), ["self"]);
    /// ```
    pub fn links(&self) -> Vec<&'a str> {
        hal::rels(self.data)
    }

    /// Whether `_links` has `rel`. See [`Resource::has_rel`].
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_links": {"self": {"href": "/"}}}));
    /// assert!(halchemy::ResourceRef::from(&r).has_rel("self"));
    /// ```
    pub fn has_rel(&self, rel: &str) -> bool {
        hal::has_rel(self.data, rel)
    }

    /// The link of `rel`. See [`Resource::link`].
    ///
    /// # Errors
    ///
    /// As [`Resource::link`].
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_links": {"self": {"href": "/"}}}));
    /// assert_eq!(halchemy::ResourceRef::from(&r).link("self")?.href, "/");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn link(&self, rel: &str) -> Result<Link> {
        hal::link(self.data, rel)
    }

    /// Copies the item into an owned [`Resource`], which [`Api::follow_mut`](crate::Api::follow_mut)
    /// can write through.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"a": {"_etag": "e"}}}));
    /// let owned = r.iter_embedded("a")?.next().unwrap().to_resource();
    /// assert_eq!(owned.etag(), Some("e"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn to_resource(&self) -> Resource {
        Resource {
            data: self.data.clone(),
            etag: self.etag.map(str::to_owned),
            last_modified: self.last_modified.map(str::to_owned),
            meta: Arc::clone(self.meta),
        }
    }
}

impl<'a> From<&'a Resource> for ResourceRef<'a> {
    fn from(r: &'a Resource) -> Self {
        ResourceRef {
            data: &r.data,
            etag: r.etag.as_deref(),
            last_modified: r.last_modified.as_deref(),
            meta: &r.meta,
        }
    }
}

impl<'a> From<&ResourceRef<'a>> for ResourceRef<'a> {
    /// So `api.follow(&item)` works for a borrowed item as it does for a resource.
    fn from(r: &ResourceRef<'a>) -> Self {
        *r
    }
}

impl<'a> From<&'a mut Resource> for ResourceRef<'a> {
    fn from(r: &'a mut Resource) -> Self {
        ResourceRef::from(&*r)
    }
}

impl Index<&str> for ResourceRef<'_> {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        &self.data[key]
    }
}

impl fmt::Display for ResourceRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.data, f)
    }
}

impl fmt::Debug for ResourceRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceRef")
            .field("data", self.data)
            .field("etag", &self.etag)
            .finish_non_exhaustive()
    }
}

impl Resource {
    pub(crate) fn new(
        data: Value,
        etag: Option<String>,
        last_modified: Option<String>,
        meta: Meta,
    ) -> Self {
        Resource {
            data,
            etag,
            last_modified,
            meta: Arc::new(meta),
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
        &self.data
    }

    /// The JSON data, to edit in hand (the ETag stays as it is).
    ///
    /// # Example
    ///
    /// ```
    /// let mut r = halchemy::Resource::from(serde_json::json!({"a": 1}));
    /// r.data_mut()["a"] = 2.into();
    /// assert_eq!(r["a"], 2);
    /// ```
    pub fn data_mut(&mut self) -> &mut Value {
        &mut self.data
    }

    /// Takes the JSON data out.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!([1, 2]));
    /// assert_eq!(r.into_data(), serde_json::json!([1, 2]));
    /// ```
    pub fn into_data(self) -> Value {
        self.data
    }

    /// Deserializes the data into your own type.
    ///
    /// # Errors
    ///
    /// [`Error::Deserialize`] when the data does not fit `T`.
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
        T::deserialize(&self.data).map_err(Error::Deserialize)
    }

    /// The ETag this resource was last seen with: the response's `ETag` header (verbatim,
    /// quotes and `W/` kept), else the body's etag field, else `None`.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_etag": "v1"}));
    /// assert_eq!(r.etag(), Some("v1"));
    /// ```
    pub fn etag(&self) -> Option<&str> {
        self.etag.as_deref()
    }

    /// The response's `Last-Modified` header, sent as `If-Unmodified-Since` on writes when the
    /// resource has no ETag.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({}));
    /// assert_eq!(r.last_modified(), None);
    /// ```
    pub fn last_modified(&self) -> Option<&str> {
        self.last_modified.as_deref()
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
        hal::rels(&self.data)
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
        hal::has_rel(&self.data, rel)
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
        hal::link(&self.data, rel)
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
        hal::links_of(&self.data, rel)
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
        hal::embedded_rels(&self.data)
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
    /// Each resource is a copy; [`iter_embedded`](Resource::iter_embedded) borrows instead.
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
        let (items, found) = hal::embedded(&self.data, rel, expect)?;
        let mut owned = self.items(items).map(|i| i.to_resource());
        Ok(match found {
            Multiplicity::One => Embedded::One(owned.next().unwrap_or_default()),
            Multiplicity::Many => Embedded::Many(owned.collect()),
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
        let (items, _) = hal::embedded(&self.data, rel, Some(Multiplicity::One))?;
        Ok(self
            .items(items)
            .map(|i| i.to_resource())
            .next()
            .unwrap_or_default())
    }

    /// The embedded resources of `rel` (an array), each a copy. To iterate a large page use
    /// [`iter_embedded`](Resource::iter_embedded) (borrows) or
    /// [`into_embedded_many`](Resource::into_embedded_many) (moves); both copy nothing.
    ///
    /// # Errors
    ///
    /// As [`embedded`](Resource::embedded); an object is a type mismatch.
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"item": [{}, {}]}}));
    /// assert_eq!(r.embedded_many("item")?.len(), 2);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn embedded_many(&self, rel: &str) -> Result<Vec<Resource>> {
        Ok(self
            .iter_embedded_expect(rel, Some(Multiplicity::Many))?
            .map(|i| i.to_resource())
            .collect())
    }

    /// Takes the embedded resources of `rel` out of this page without copying them: each
    /// item's JSON is moved into its own [`Resource`] (with its own ETag from the etag field).
    /// The cheap way to own every item of a large page.
    ///
    /// # Errors
    ///
    /// As [`embedded_many`](Resource::embedded_many).
    ///
    /// # Example
    ///
    /// ```
    /// let page = halchemy::Resource::from(serde_json::json!({"_embedded": {"item": [
    ///     {"_etag": "a", "n": 1}, {"_etag": "b", "n": 2}]}}));
    /// let items = page.into_embedded_many("item")?;
    /// assert_eq!(items[1].etag(), Some("b"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn into_embedded_many(mut self, rel: &str) -> Result<Vec<Resource>> {
        hal::embedded(&self.data, rel, Some(Multiplicity::Many))?;
        let items = self.data["_embedded"][rel].take();
        Ok(self.take_items(items))
    }

    /// Takes the elements of the collection at `field` out of this page without copying them.
    ///
    /// # Errors
    ///
    /// As [`collection`](Resource::collection).
    ///
    /// # Example
    ///
    /// ```
    /// let page = halchemy::Resource::from(serde_json::json!({"_items": [
    ///     {"_links": {"self": {"href": "customers/1"}}, "_etag": "e1"}]}));
    /// let items = page.into_collection("_items")?;
    /// assert_eq!(items[0].etag(), Some("e1"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn into_collection(mut self, field: &str) -> Result<Vec<Resource>> {
        hal::collection(&self.data, field)?;
        let items = self.data[field].take();
        Ok(self.take_items(items))
    }

    fn take_items(&self, items: Value) -> Vec<Resource> {
        let Value::Array(items) = items else {
            return Vec::new();
        };
        items
            .into_iter()
            .map(|data| Resource {
                etag: field_etag(&data, &self.meta).map(str::to_owned),
                data,
                last_modified: None,
                meta: Arc::clone(&self.meta),
            })
            .collect()
    }

    /// Borrows each embedded resource of `rel` (one for an object, each element for an array)
    /// without copying: the fast way through a large page.
    ///
    /// # Errors
    ///
    /// [`Error::EmbeddedNotFound`] and [`Error::MalformedHal`].
    ///
    /// # Example
    ///
    /// ```
    /// let r = halchemy::Resource::from(serde_json::json!({"_embedded": {"item": [{"n": 1}, {"n": 2}]}}));
    /// let ns: Vec<_> = r.iter_embedded("item")?.map(|i| i["n"].clone()).collect();
    /// assert_eq!(ns, [1, 2]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn iter_embedded(&self, rel: &str) -> Result<Items<'_>> {
        self.iter_embedded_expect(rel, None)
    }

    fn iter_embedded_expect(&self, rel: &str, expect: Option<Multiplicity>) -> Result<Items<'_>> {
        let (items, _) = hal::embedded(&self.data, rel, expect)?;
        Ok(self.items(items))
    }

    /// Each element of the array at `field` as a resource (a copy), for collections that list
    /// items outside `_embedded`, such as Eve's `_items`. Every element must be well-formed HAL
    /// (`_links` an object with a `self` link holding a string `href`; `_embedded`, if present,
    /// an object).
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
        Ok(self
            .iter_collection(field)?
            .map(|i| i.to_resource())
            .collect())
    }

    /// Borrows each element of the collection at `field` without copying.
    ///
    /// # Errors
    ///
    /// As [`collection`](Resource::collection).
    ///
    /// # Example
    ///
    /// ```
    /// let page = halchemy::Resource::from(serde_json::json!({"_items": [
    ///     {"_links": {"self": {"href": "customers/1"}}}]}));
    /// assert_eq!(page.iter_collection("_items")?.count(), 1);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn iter_collection(&self, field: &str) -> Result<Items<'_>> {
        Ok(self.items(hal::collection(&self.data, field)?))
    }

    fn items<'a>(&'a self, items: &'a [Value]) -> Items<'a> {
        Items {
            inner: items.iter(),
            meta: &self.meta,
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

    pub(crate) fn set_etag(&mut self, etag: Option<String>) {
        self.etag = etag;
    }

    pub(crate) fn set_last_modified(&mut self, last_modified: Option<String>) {
        self.last_modified = last_modified;
    }

    pub(crate) fn set_meta(&mut self, meta: Arc<Meta>) {
        self.meta = meta;
    }

    pub(crate) fn meta_arc(&self) -> &Arc<Meta> {
        &self.meta
    }

    pub(crate) fn set_data(&mut self, data: Value) {
        self.data = data;
    }
}

impl Default for Resource {
    fn default() -> Self {
        Resource::from(Value::Null)
    }
}

impl From<Value> for Resource {
    /// A document held in hand; its ETag comes from its `_etag` field.
    fn from(data: Value) -> Self {
        let etag = data
            .get(crate::DEFAULT_ETAG_FIELD)
            .and_then(Value::as_str)
            .map(str::to_owned);
        Resource {
            data,
            etag,
            last_modified: None,
            meta: Arc::default(),
        }
    }
}

impl Index<&str> for Resource {
    type Output = Value;

    /// `resource["key"]`: the field, or `Null` when it is missing or the data is not an object.
    fn index(&self, key: &str) -> &Value {
        &self.data[key]
    }
}

impl Index<usize> for Resource {
    type Output = Value;

    /// `resource[0]`: the element, or `Null` when it is missing or the data is not an array.
    fn index(&self, i: usize) -> &Value {
        &self.data[i]
    }
}

impl fmt::Display for Resource {
    /// The data as JSON: compact with `{}`, pretty with `{:#}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.data, f)
    }
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("data", &self.data)
            .field("etag", &self.etag)
            .field("last_modified", &self.last_modified)
            .field("meta", &self.meta)
            .finish()
    }
}

impl serde::Serialize for Resource {
    /// Serializes the data.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.data.serialize(s)
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
}
