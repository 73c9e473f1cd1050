//! HAL reading over a `serde_json::Value`: links (every attribute, CURIEs, RFC 8288 `Link`
//! headers, absent links), link arrays, embedded resources, pages and collections.
//!
//! Everything here is a pure function of the document (and of the `Link` headers the transport
//! kept beside it): no I/O, no panics on any input.
//!
//! # Which links a resource has
//!
//! [`Links`] reads `_links` first and the response's `Link` headers second: a rel in `_links`
//! always wins, header links only add rels `_links` lacks. A rel whose value is `null`, a link
//! whose `href` is `null` (OpenProject's unset associations), and a link array holding only such
//! links are *absent*: [`Links::rels`] leaves them out, [`Links::has_rel`] is false, and a lookup
//! gives [`Error::RelNotFound`] with `null: true`. An explicit `null` in `_links` is the body's
//! word that there is none, so a header link of that rel does not fill it in. Null elements
//! inside a link array are skipped (indices for `at(i)` count only the present links).
//!
//! `curies` is listed by [`Links::rels`] like any other key of `_links` (it is there, and
//! [`Links::links_of`] reads it); a rel is found by its literal name, by its CURIE expansion, or
//! by its curied name when `_links` spells it as a full URI (see [`find_rel`]).

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::params::json_type;

/// One HAL link: the attributes HAL names as fields, and every attribute the server wrote
/// (`method`, `params`, …) through [`attribute`](Link::attribute) and
/// [`attributes`](Link::attributes).
///
/// # Example
///
/// ```
/// use halchemy::Resource;
/// use serde_json::json;
///
/// let r = Resource::from(json!({"_links": {
///     "item": {"href": "/customers/{id}", "templated": true, "title": "A customer"},
///     "cancel": {"href": "/v1/payments/hu20/cancel", "method": "POST"}
/// }}));
/// let link = r.link("item")?;
/// assert_eq!(link.href, "/customers/{id}");
/// assert!(link.templated);
/// assert_eq!(link.title.as_deref(), Some("A customer"));
/// assert_eq!(r.link("cancel")?.attribute("method"), Some(&json!("POST")));
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Link {
    /// The target URL or URI template.
    pub href: String,
    /// Whether `href` is an RFC 6570 template.
    pub templated: bool,
    /// The `type` attribute: the media type expected at the target.
    pub media_type: Option<String>,
    /// The `deprecation` attribute: a URL explaining the deprecation.
    pub deprecation: Option<String>,
    /// The `name` attribute, which tells apart links of one rel.
    pub name: Option<String>,
    /// The `profile` attribute.
    pub profile: Option<String>,
    /// The `title` attribute.
    pub title: Option<String>,
    /// The `hreflang` attribute.
    pub hreflang: Option<String>,
    /// The link object as written: every attribute, the named ones included.
    attributes: Map<String, Value>,
}

impl Link {
    pub(crate) fn from_json(rel: &str, value: &Value) -> Result<Link> {
        let (href, obj) = href_of(rel, value)?;
        let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(Link {
            href: href.to_owned(),
            templated: obj.get("templated").and_then(Value::as_bool) == Some(true),
            media_type: text("type"),
            deprecation: text("deprecation"),
            name: text("name"),
            profile: text("profile"),
            title: text("title"),
            hreflang: text("hreflang"),
            attributes: obj.clone(),
        })
    }

    /// The attribute `name` as the server wrote it (any attribute: `href`, `method`,
    /// `params`, …), or `None` when the link has none.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Resource;
    /// use serde_json::json;
    ///
    /// let payment = Resource::from(json!({"_links": {"next_url_post": {
    ///     "href": "https://www.payments.service.gov.uk/secure", "method": "POST",
    ///     "type": "application/x-www-form-urlencoded", "params": {"chargeTokenId": "bb0a"}
    /// }}}));
    /// let link = payment.link("next_url_post")?;
    /// assert_eq!(link.attribute("method"), Some(&json!("POST")));
    /// assert_eq!(link.attribute("params"), Some(&json!({"chargeTokenId": "bb0a"})));
    /// assert_eq!(link.attribute("nope"), None);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        self.attributes.get(name)
    }

    /// Every attribute of the link as the server wrote it, `href` included.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Resource;
    /// use serde_json::json;
    ///
    /// let wp = Resource::from(json!({"_links": {
    ///     "delete": {"href": "/api/v3/work_packages/1528", "method": "delete"}}}));
    /// let delete = wp.link("delete")?;
    /// let names: Vec<&String> = delete.attributes().keys().collect();
    /// assert_eq!(names, ["href", "method"]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn attributes(&self) -> &Map<String, Value> {
        &self.attributes
    }
}
impl fmt::Debug for Link {
    /// Every attribute, with the password of any URL redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn text(v: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
            v.as_deref().map(crate::url::redacted)
        }
        f.debug_struct("Link")
            .field("href", &crate::url::redacted(&self.href))
            .field("templated", &self.templated)
            .field("media_type", &self.media_type)
            .field("deprecation", &text(&self.deprecation))
            .field("name", &self.name)
            .field("profile", &text(&self.profile))
            .field("title", &self.title)
            .field("hreflang", &self.hreflang)
            .field(
                "attributes",
                &crate::url::RedactedJson(&Value::Object(self.attributes.clone())),
            )
            .finish()
    }
}

/// How many resources an embedded rel is expected to hold, for
/// [`Resource::embedded`](crate::Resource::embedded).
///
/// # Example
///
/// ```
/// use halchemy::{Multiplicity, Resource};
/// use serde_json::json;
///
/// let r = Resource::from(json!({"_embedded": {"item": [{"id": 1}]}}));
/// assert!(r.embedded("item", Some(Multiplicity::One)).is_err());
/// assert!(r.embedded("item", Some(Multiplicity::Many)).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Multiplicity {
    /// An object: one resource.
    One,
    /// An array: many resources.
    Many,
}

impl fmt::Display for Multiplicity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Multiplicity::One => "one resource",
            Multiplicity::Many => "many resources",
        })
    }
}

/// Which link of a link array to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pick {
    At(usize),
    Named(String),
    Titled(String),
}

impl fmt::Display for Pick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pick::At(i) => write!(f, "at index {i}"),
            Pick::Named(n) => write!(f, "named {n:?}"),
            Pick::Titled(t) => write!(f, "titled {t:?}"),
        }
    }
}

/// The part of a link a request needs, borrowed from the document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub href: &'a str,
    pub templated: bool,
    /// The link's `deprecation` attribute.
    pub deprecation: Option<&'a str>,
}

/// The links of one resource: its `_links` and the `Link` headers of the response that
/// carried it. Every link lookup goes through here (see the module docs for the rules).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Links<'a> {
    /// `_links`, when it is an object.
    body: Option<&'a Map<String, Value>>,
    /// The links of the response's `Link` headers, as [`header_links`] groups them.
    header: Option<&'a Map<String, Value>>,
    /// The JSON type of `_links` when it is not an object: every lookup is then an error.
    malformed: Option<&'static str>,
    /// `_embedded`, to say so when a rel asked for as a link is embedded instead.
    embedded: Option<&'a Map<String, Value>>,
}

/// What a lookup of one rel found.
enum Found<'a> {
    /// The present links of the rel (null elements skipped), never empty.
    Present(Vec<&'a Value>),
    /// The server wrote the rel as null (or only null links): there is none.
    Null,
    /// Neither `_links` nor the headers have the rel.
    Missing,
}

impl<'a> Links<'a> {
    /// The links of `data` (its `_links`), with `header` (from [`header_links`]) consulted
    /// after them.
    pub(crate) fn new(data: &'a Value, header: Option<&'a Map<String, Value>>) -> Links<'a> {
        let (body, malformed) = match data.get("_links") {
            None | Some(Value::Null) => (None, None),
            Some(Value::Object(map)) => (Some(map), None),
            Some(other) => (None, Some(json_type(other))),
        };
        Links {
            body,
            header,
            malformed,
            embedded: data.get("_embedded").and_then(Value::as_object),
        }
    }

    /// The `curies` entry of `_links`.
    fn curies(&self) -> Option<&'a Value> {
        self.body.and_then(|b| b.get("curies"))
    }

    /// Where `rel` lives: `_links` first (exactly or through a CURIE), then the headers.
    fn find(&self, rel: &str) -> Option<&'a Value> {
        if let Some((_, value)) = self.body.and_then(|b| find_rel(b, rel)) {
            return Some(value);
        }
        let header = self.header?;
        let lower = rel.to_ascii_lowercase();
        if let Some(value) = header.get(&lower) {
            return Some(value);
        }
        let expanded = expand_curie(rel, self.curies())?.to_ascii_lowercase();
        header.get(&expanded)
    }

    fn lookup(&self, rel: &str) -> Result<Found<'a>> {
        if let Some(kind) = self.malformed {
            return Err(malformed_links(kind));
        }
        match self.find(rel) {
            None => Ok(Found::Missing),
            Some(value) => classify(rel, value),
        }
    }

    /// The rels present, `_links` first, then header rels `_links` lacks; absent (null) rels
    /// are left out, and a malformed `_links` gives none.
    pub(crate) fn rels(&self) -> Vec<&'a str> {
        if self.malformed.is_some() {
            return Vec::new();
        }
        let body = self.body.into_iter().flatten();
        let mut out: Vec<&'a str> = body
            .filter(|(_, v)| !is_absent(v))
            .map(|(k, _)| k.as_str())
            .collect();
        let Some(header) = self.header else {
            return out;
        };
        // What the body answers, read once: its rels, and their CURIE expansions.
        let table = self.curies().map(curie_table).unwrap_or_default();
        let mut answered = std::collections::HashSet::new();
        for key in self.body.into_iter().flat_map(|b| b.keys()) {
            answered.insert(Cow::Borrowed(key.as_str()));
            answered.extend(expand_with(&table, key).map(Cow::Owned));
        }
        for (key, value) in header {
            let want = expand_with(&table, key);
            let in_body = answered.contains(key.as_str())
                || want.is_some_and(|w| answered.contains(w.as_str()));
            if !in_body && !is_absent(value) {
                out.push(key);
            }
        }
        out
    }

    /// Whether `rel` is present (a malformed link of `rel` counts: following it names the fault).
    pub(crate) fn has_rel(&self, rel: &str) -> bool {
        if self.malformed.is_some() {
            return false;
        }
        self.find(rel).is_some_and(|v| !is_absent(v))
    }

    /// The present links of `rel`, or why there are none.
    fn present(&self, rel: &str) -> Result<Vec<&'a Value>> {
        match self.lookup(rel)? {
            Found::Present(links) => Ok(links),
            Found::Null => Err(self.not_found(rel, true)),
            Found::Missing => Err(self.not_found(rel, false)),
        }
    }

    fn not_found(&self, rel: &str, null: bool) -> Error {
        let curies = self.curies();
        Error::RelNotFound {
            rel: crate::url::redacted(rel).into_owned(),
            // An extension rel is a URL: without its password, as every text shows it.
            available: self
                .rels()
                .into_iter()
                .map(|r| crate::url::redacted(r).into_owned())
                .collect(),
            null,
            embedded: self
                .embedded
                .is_some_and(|m| find_in(m, rel, curies).is_some()),
        }
    }

    /// Finds the link of `rel` to follow, applying `pick` to link arrays.
    pub(crate) fn target(&self, rel: &str, pick: Option<&Pick>) -> Result<Target<'a>> {
        let links = self.present(rel)?;
        let chosen = match (pick, links.as_slice()) {
            (None, [one]) => *one,
            (None, _) => {
                return Err(Error::AmbiguousLink {
                    rel: rel.to_owned(),
                    choices: choices(&links),
                });
            }
            (Some(pick), _) => {
                let text = |l: &Value, key: &str, want: &str| {
                    l.get(key).and_then(Value::as_str) == Some(want)
                };
                let found = match pick {
                    Pick::At(i) => links.get(*i).copied(),
                    Pick::Named(n) => links.iter().copied().find(|l| text(l, "name", n)),
                    Pick::Titled(t) => links.iter().copied().find(|l| text(l, "title", t)),
                };
                found.ok_or_else(|| Error::NoMatchingLink {
                    rel: rel.to_owned(),
                    wanted: pick.to_string(),
                    choices: choices(&links),
                })?
            }
        };
        let (href, obj) = href_of(rel, chosen)?;
        Ok(Target {
            href,
            templated: obj.get("templated").and_then(Value::as_bool) == Some(true),
            deprecation: obj.get("deprecation").and_then(Value::as_str),
        })
    }

    /// The one link of `rel` (an error when the rel is an array of several).
    pub(crate) fn link(&self, rel: &str) -> Result<Link> {
        match self.present(rel)?.as_slice() {
            [one] => Link::from_json(rel, one),
            links => Err(Error::AmbiguousLink {
                rel: rel.to_owned(),
                choices: choices(links),
            }),
        }
    }

    /// Every present link of `rel`.
    pub(crate) fn links_of(&self, rel: &str) -> Result<Vec<Link>> {
        self.present(rel)?
            .into_iter()
            .map(|l| Link::from_json(rel, l))
            .collect()
    }
}

fn malformed_links(kind: &str) -> Error {
    Error::MalformedHal(format!("`_links` is {kind}, not an object"))
}

/// A link object whose `href` is `null` (OpenProject's unset association).
fn is_null_link(link: &Value) -> bool {
    link.get("href") == Some(&Value::Null)
}

/// Whether a rel's value says there is no link: `null`, a null-href link, or an array of only
/// those (the empty array included).
fn is_absent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().all(|l| l.is_null() || is_null_link(l)),
        other => is_null_link(other),
    }
}

/// Sorts a rel's value into present links, null, or a malformed-HAL error.
fn classify<'a>(rel: &str, value: &'a Value) -> Result<Found<'a>> {
    if is_absent(value) {
        return Ok(Found::Null);
    }
    match value {
        Value::Array(items) => Ok(Found::Present(
            items
                .iter()
                .filter(|l| !l.is_null() && !is_null_link(l))
                .collect(),
        )),
        Value::Object(_) => Ok(Found::Present(vec![value])),
        other => Err(Error::MalformedHal(format!(
            "link `{rel}` is {}, not an object or an array of objects",
            json_type(other)
        ))),
    }
}

fn href_of<'a>(rel: &str, value: &'a Value) -> Result<(&'a str, &'a Map<String, Value>)> {
    let obj = value.as_object().ok_or_else(|| {
        Error::MalformedHal(format!(
            "link `{rel}` is {}, not an object",
            json_type(value)
        ))
    })?;
    match obj.get("href") {
        Some(Value::String(href)) => Ok((href, obj)),
        Some(other) => Err(Error::MalformedHal(format!(
            "the href of link `{rel}` is {}, not a string",
            json_type(other)
        ))),
        None => Err(Error::MalformedHal(format!("link `{rel}` has no href"))),
    }
}

fn choices(links: &[&Value]) -> Vec<String> {
    links
        .iter()
        .enumerate()
        .map(|(i, link)| {
            let attr = |k: &str| link.get(k).and_then(Value::as_str);
            let href = attr("href").map(crate::url::redacted);
            let mut line = format!("[{i}] {}", href.as_deref().unwrap_or("(no href)"));
            if let Some(n) = attr("name") {
                line.push_str(&format!(" name {n:?}"));
            }
            if let Some(t) = attr("title") {
                line.push_str(&format!(" title {t:?}"));
            }
            line
        })
        .collect()
}

/// The entry of `rel` in `links` (a `_links` object), with the key it is stored under.
///
/// Found by its literal name first; then, through `links.curies` (HAL draft §8.2), a curied
/// name (`ea:orders`) finds the rel stored under its expansion
/// (`http://example.com/docs/rels/orders`) or under another prefix with the same expansion,
/// and a full URI finds the rel stored under its curied name.
/// Whether a top-level key is one of HAL's own parts (`_links`, `_embedded`, `_templates`):
/// the server's to write, never data a client sends or merges.
pub(crate) fn is_hal_part(key: &str) -> bool {
    matches!(key, "_links" | "_embedded" | "_templates")
}

pub(crate) fn find_rel<'a>(
    links: &'a Map<String, Value>,
    rel: &str,
) -> Option<(&'a str, &'a Value)> {
    find_in(links, rel, links.get("curies"))
}

/// [`find_rel`] over any map keyed by rels (`_links`, `_embedded`), with the curies to use.
fn find_in<'a>(
    map: &'a Map<String, Value>,
    rel: &str,
    curies: Option<&Value>,
) -> Option<(&'a str, &'a Value)> {
    if let Some((key, value)) = map.get_key_value(rel) {
        return Some((key.as_str(), value));
    }
    let table = curie_table(curies?);
    let want = expand_with(&table, rel).map_or(Cow::Borrowed(rel), Cow::Owned);
    map.iter()
        .find(|(key, _)| {
            key.as_str() == want || expand_with(&table, key).is_some_and(|e| e == *want)
        })
        .map(|(key, value)| (key.as_str(), value))
}

/// The curies by name (the first of a name counts), read once per lookup: a document with
/// many rels and many curies costs the sum of the two, not their product.
fn curie_table(curies: &Value) -> std::collections::HashMap<&str, &str> {
    let list = match curies {
        Value::Array(items) => items.as_slice(),
        one @ Value::Object(_) => std::slice::from_ref(one),
        _ => &[],
    };
    let mut table = std::collections::HashMap::with_capacity(list.len());
    for c in list {
        if let (Some(name), Some(href)) = (
            c.get("name").and_then(Value::as_str),
            c.get("href").and_then(Value::as_str),
        ) && !name.is_empty()
        {
            table.entry(name).or_insert(href);
        }
    }
    table
}

/// The expansion of a curied rel (`ea:find` → `http://example.com/docs/rels/find`): the href
/// of the curie named by the prefix, with `{rel}` replaced by the reference. `None` when `rel`
/// is not `prefix:reference` or no curie of that name has an href holding `{rel}`.
fn expand_curie(rel: &str, curies: Option<&Value>) -> Option<String> {
    expand_with(&curie_table(curies?), rel)
}

/// [`expand_curie`] with the curies already in a table.
fn expand_with(table: &std::collections::HashMap<&str, &str>, rel: &str) -> Option<String> {
    let (prefix, reference) = rel.split_once(':')?;
    if prefix.is_empty() || reference.is_empty() {
        return None;
    }
    table
        .get(prefix)
        .filter(|href| href.contains("{rel}"))
        .map(|href| href.replace("{rel}", reference))
}

/// The documentation URL of a curied rel: its curie's href with `{rel}` replaced by the rel's
/// reference part (`ea:find` → `http://example.com/docs/rels/find`), as written (not resolved).
/// `None` for a rel that is not curied or whose prefix `_links.curies` does not define.
pub(crate) fn rel_documentation(data: &Value, rel: &str) -> Option<String> {
    expand_curie(rel, data.get("_links").and_then(|l| l.get("curies")))
}

fn embedded_map(data: &Value) -> Result<Option<&Map<String, Value>>> {
    match data.get("_embedded") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(Error::MalformedHal(format!(
            "`_embedded` is {}, not an object",
            json_type(other)
        ))),
    }
}

/// The entry of `rel` in `_embedded`, found as [`find_rel`] finds links (CURIEs from `_links`).
fn embedded_entry<'a>(data: &'a Value, rel: &str) -> Result<Option<&'a Value>> {
    let curies = data.get("_links").and_then(|l| l.get("curies"));
    Ok(embedded_map(data)?
        .and_then(|m| find_in(m, rel, curies))
        .map(|(_, v)| v))
}

/// The rels of `_embedded` (empty when it is missing or malformed).
pub(crate) fn embedded_rels(data: &Value) -> Vec<&str> {
    match embedded_map(data) {
        Ok(Some(map)) => map.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The embedded entry of `rel` as a slice of documents and its multiplicity.
pub(crate) fn embedded<'a>(
    data: &'a Value,
    rel: &str,
    expect: Option<Multiplicity>,
) -> Result<(&'a [Value], Multiplicity)> {
    let found = match embedded_entry(data, rel)? {
        Some(one @ Value::Object(_)) => (std::slice::from_ref(one), Multiplicity::One),
        Some(Value::Array(items)) => (items.as_slice(), Multiplicity::Many),
        Some(other) => {
            return Err(Error::EmbeddedTypeMismatch {
                rel: rel.to_owned(),
                expected: expect.unwrap_or(Multiplicity::One),
                found: json_type(other).to_owned(),
            });
        }
        None => {
            return Err(Error::EmbeddedNotFound {
                rel: rel.to_owned(),
                available: embedded_rels(data).into_iter().map(str::to_owned).collect(),
            });
        }
    };
    match expect {
        Some(e) if e != found.1 => Err(Error::EmbeddedTypeMismatch {
            rel: rel.to_owned(),
            expected: e,
            found: found.1.to_string(),
        }),
        _ => Ok(found),
    }
}

/// The items of one page, leniently: no `_embedded`, no entry for `rel`, or a `null` entry
/// gives none (Spring Data REST's empty page); an object is one item (AWS API Gateway's page of
/// one); an array is its elements.
///
/// # Errors
///
/// [`Error::MalformedHal`] when `_embedded` is not an object, [`Error::EmbeddedTypeMismatch`]
/// when the entry is neither an object nor an array.
pub(crate) fn page_items<'a>(data: &'a Value, rel: &str) -> Result<&'a [Value]> {
    match embedded_entry(data, rel)? {
        // A page with items under other rels: the rel asked for is most likely misspelled.
        None if embedded_map(data)?.is_some_and(|m| !m.is_empty()) => {
            Err(Error::EmbeddedNotFound {
                rel: rel.to_owned(),
                available: embedded_rels(data).into_iter().map(str::to_owned).collect(),
            })
        }
        None | Some(Value::Null) => Ok(&[]),
        Some(one @ Value::Object(_)) => Ok(std::slice::from_ref(one)),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(Error::EmbeddedTypeMismatch {
            rel: rel.to_owned(),
            expected: Multiplicity::Many,
            found: json_type(other).to_owned(),
        }),
    }
}

/// The key `rel`'s entry is stored under in `_embedded`: `rel` itself, or another spelling of
/// it through the CURIEs (a curied rel stored under its expansion, say).
pub(crate) fn embedded_key<'a>(data: &'a Value, rel: &str) -> Option<&'a str> {
    let curies = data.get("_links").and_then(|l| l.get("curies"));
    find_in(embedded_map(data).ok()??, rel, curies).map(|(key, _)| key)
}

/// The array at `field`, each element checked to be well-formed HAL.
pub(crate) fn collection<'a>(data: &'a Value, field: &str) -> Result<&'a [Value]> {
    let items = match data.get(field) {
        None => {
            return Err(Error::CollectionMissing {
                field: field.to_owned(),
            });
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(Error::CollectionNotArray {
                field: field.to_owned(),
                found: json_type(other),
            });
        }
    };
    for (index, item) in items.iter().enumerate() {
        if let Some(reason) = not_hal(item) {
            return Err(Error::CollectionItemNotHal {
                field: field.to_owned(),
                index,
                reason,
            });
        }
    }
    Ok(items)
}

/// Why `doc` is not well-formed HAL, or `None` when it is: an object whose `_links.self` is
/// one link object with a string href (or an array of exactly one, as Spring writes it), and
/// whose `_embedded`, if any, is an object.
pub(crate) fn not_hal(doc: &Value) -> Option<String> {
    let Some(obj) = doc.as_object() else {
        return Some(format!("it is {}, not an object", json_type(doc)));
    };
    let links = match obj.get("_links") {
        Some(Value::Object(l)) => l,
        Some(other) => return Some(format!("`_links` is {}", json_type(other))),
        None => return Some("it has no `_links`".to_owned()),
    };
    let self_link = match links.get("self") {
        Some(Value::Array(items)) => match items.as_slice() {
            [one] => one,
            [] => return Some("its self link is an empty array".to_owned()),
            many => {
                return Some(format!(
                    "it has {} self links; a resource has exactly one",
                    many.len()
                ));
            }
        },
        Some(one) => one,
        None => return Some("it has no self link".to_owned()),
    };
    match self_link {
        Value::Object(s) => match s.get("href") {
            Some(Value::String(_)) => {}
            Some(other) => return Some(format!("its self href is {}", json_type(other))),
            None => return Some("its self link has no href".to_owned()),
        },
        other => return Some(format!("its self link is {}", json_type(other))),
    }
    match obj.get("_embedded") {
        None | Some(Value::Object(_)) => None,
        Some(other) => Some(format!("`_embedded` is {}", json_type(other))),
    }
}

/// One link of a `Link` header (RFC 8288 §3), for one relation type: a `rel` of several
/// space-separated types gives one `LinkValue` each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkValue {
    /// The target as written between `<` and `>`, not resolved.
    pub href: String,
    /// The relation type, ASCII-lowercased (RFC 8288 compares them case-insensitively).
    pub rel: String,
    /// The `anchor` parameter: the link's context, when it is not the response itself.
    pub anchor: Option<String>,
    /// The other parameters as strings, names lowercased, the first of each kept: `title`,
    /// `type`, `hreflang` and unknown ones. An ext-value parameter (`title*=UTF-8''…`,
    /// RFC 8187) is decoded into the plain name (`title`) and wins over it.
    pub attributes: Map<String, Value>,
}

/// Parses one `Link` header value: links separated by commas, each `<uri-reference>` followed
/// by `; name=value` parameters (token or quoted string). Malformed links (no `<`, no `>`, an
/// unbalanced quote, stray text) are skipped and parsing resumes at the next link; a link
/// without `rel` is dropped. Never panics, and runs in time linear in the input.
pub(crate) fn parse_link_header(value: &str) -> Vec<LinkValue> {
    let mut out = Vec::new();
    let mut c = Cursor { s: value, pos: 0 };
    loop {
        c.skip(|b| matches!(b, b' ' | b'\t' | b','));
        match c.peek() {
            None => break,
            Some(b'<') => c.pos += 1,
            Some(_) => {
                c.skip_to_next_link();
                continue;
            }
        }
        let Some(target) = c.target() else {
            continue;
        };
        match c.params() {
            Some(params) => link_values(target, params, &mut out),
            None => c.skip_to_next_link(),
        }
    }
    out
}

/// A byte cursor over a header value. It only stops on ASCII bytes, so every slice it takes
/// falls on `char` boundaries.
struct Cursor<'s> {
    s: &'s str,
    pos: usize,
}

impl<'s> Cursor<'s> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    /// Advances over bytes matching `keep` and returns them.
    fn skip(&mut self, keep: impl Fn(u8) -> bool) -> &'s str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }

    /// Skips past the next comma outside a quoted string and `<…>`, or to the end.
    fn skip_to_next_link(&mut self) {
        let (mut quoted, mut escaped, mut angle) = (false, false, false);
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' if !angle => quoted = !quoted,
                b'<' if !quoted => angle = true,
                b'>' if !quoted => angle = false,
                b',' if !quoted && !angle => return,
                _ => {}
            }
        }
    }

    /// The target after `<`, up to `>`. `None` (the cursor left at the next `<` or at the end)
    /// when a `<` or the end comes first.
    fn target(&mut self) -> Option<&'s str> {
        let target = self.skip(|b| b != b'>' && b != b'<');
        if self.peek() == Some(b'>') {
            self.pos += 1;
            Some(target.trim())
        } else {
            None
        }
    }

    /// The `; name[=value]` parameters up to the next comma or the end; `None` when the link
    /// is malformed.
    fn params(&mut self) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        loop {
            self.skip(is_space);
            match self.peek() {
                None | Some(b',') => return Some(params),
                Some(b';') => self.pos += 1,
                Some(_) => return None,
            }
            self.skip(is_space);
            let name = self.skip(is_tchar);
            if name.is_empty() {
                match self.peek() {
                    None | Some(b';' | b',') => continue,
                    Some(_) => return None,
                }
            }
            self.skip(is_space);
            let mut value = String::new();
            if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip(is_space);
                value = if self.peek() == Some(b'"') {
                    self.quoted()?
                } else {
                    self.skip(|b| !matches!(b, b';' | b',' | b'"') && !is_space(b))
                        .to_owned()
                };
            }
            params.push((name.to_ascii_lowercase(), value));
        }
    }

    /// The quoted string at the cursor (on its opening quote), escapes undone; `None` when it
    /// never closes.
    fn quoted(&mut self) -> Option<String> {
        let rest = self.s.get(self.pos + 1..)?;
        let mut text = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '"' => {
                    self.pos += 1 + i + 1;
                    return Some(text);
                }
                '\\' => text.extend(chars.next().map(|(_, escaped)| escaped)),
                other => text.push(other),
            }
        }
        self.pos = self.s.len();
        None
    }
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A `tchar` of RFC 9110 §5.6.2, plus `*` for ext-value names (`title*`).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Turns one parsed link into a [`LinkValue`] per relation type.
fn link_values(href: &str, params: Vec<(String, String)>, out: &mut Vec<LinkValue>) {
    let (mut rel, mut anchor) = (None, None);
    let mut attributes = Map::new();
    let mut decoded = Map::new();
    for (name, value) in params {
        match name.as_str() {
            "rel" => {
                rel.get_or_insert(value);
            }
            "anchor" => {
                anchor.get_or_insert(value);
            }
            // The link object's own href is the target; a parameter cannot replace it.
            "href" | "rel*" | "anchor*" | "href*" => {}
            _ => match name.strip_suffix('*') {
                Some(plain) if !plain.is_empty() => {
                    if let Some(text) = decode_ext_value(&value) {
                        decoded.entry(plain).or_insert(Value::String(text));
                    }
                }
                _ => {
                    attributes.entry(name).or_insert(Value::String(value));
                }
            },
        }
    }
    attributes.extend(decoded);
    let Some(rel) = rel else { return };
    let mut seen: Vec<String> = Vec::new();
    for one in rel.split_ascii_whitespace() {
        let one = one.to_ascii_lowercase();
        if seen.contains(&one) {
            continue;
        }
        seen.push(one.clone());
        out.push(LinkValue {
            href: href.to_owned(),
            rel: one,
            anchor: anchor.clone(),
            attributes: attributes.clone(),
        });
    }
}

/// Decodes an RFC 8187 ext-value (`UTF-8'en'%E2%82%AC%20rates`); `None` for another charset,
/// a missing `'`, or bytes that are not valid in the charset.
fn decode_ext_value(value: &str) -> Option<String> {
    let (charset, rest) = value.split_once('\'')?;
    let (_language, encoded) = rest.split_once('\'')?;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.into_iter().map(char::from).collect())
    } else {
        None
    }
}

/// The links of every `Link` header of a response, grouped as HAL writes `_links`: rel
/// (lowercase) → a link object `{"href": …, "title": …, …}`, or an array of them when a rel
/// repeats (exact duplicates are kept once). Hrefs are resolved against `response_url`; a link
/// whose href cannot be resolved is skipped, and so is a link whose `anchor` names another
/// context than the response itself (its fragment included: `anchor="#x"` is about a part of
/// the document, not the document). Header values that are not UTF-8 are skipped; an
/// unparsable `response_url` gives no links.
pub(crate) fn header_links(
    headers: &ureq::http::HeaderMap,
    response_url: &str,
) -> Map<String, Value> {
    let mut out = Map::new();
    let Ok(base) = ::url::Url::parse(response_url) else {
        return out;
    };
    let mut document = base.clone();
    document.set_fragment(None);
    for value in headers.get_all(ureq::http::header::LINK) {
        let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
            continue;
        };
        for link in parse_link_header(text) {
            let about_another =
                |anchor: &String| base.join(anchor).ok().as_ref() != Some(&document);
            if link.anchor.as_ref().is_some_and(about_another) {
                continue;
            }
            let Ok(href) = base.join(&link.href) else {
                continue;
            };
            let mut object = Map::new();
            object.insert("href".to_owned(), Value::String(href.into()));
            object.extend(link.attributes);
            add_link(&mut out, link.rel, Value::Object(object));
        }
    }
    out
}

/// Adds `link` under `rel`, turning a single link into an array on the second one.
fn add_link(map: &mut Map<String, Value>, rel: String, link: Value) {
    match map.get_mut(&rel) {
        None => {
            map.insert(rel, link);
        }
        Some(Value::Array(links)) => {
            if !links.contains(&link) {
                links.push(link);
            }
        }
        Some(one) => {
            if *one != link {
                let first = one.take();
                *one = Value::Array(vec![first, link]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eve_home() -> Value {
        json!({"_links": {"child": [
            {"href": "customers", "title": "customers"},
            {"href": "orders", "title": "orders", "name": "o"}
        ]}})
    }

    fn target<'a>(doc: &'a Value, rel: &str, pick: Option<&Pick>) -> Result<Target<'a>> {
        Links::new(doc, None).target(rel, pick)
    }

    fn link(doc: &Value, rel: &str) -> Result<Link> {
        Links::new(doc, None).link(rel)
    }

    fn links_of(doc: &Value, rel: &str) -> Result<Vec<Link>> {
        Links::new(doc, None).links_of(rel)
    }

    /// The HAL draft's orders example (draft-kelly-json-hal §6), as the spec writes it.
    fn hal_orders() -> Value {
        json!({
            "_links": {
                "self": {"href": "/orders"},
                "curies": [{"name": "ea", "href": "http://example.com/docs/rels/{rel}", "templated": true}],
                "next": {"href": "/orders?page=2"},
                "ea:find": {"href": "/orders{?id}", "templated": true},
                "ea:admin": [
                    {"href": "/admins/2", "title": "Fred"},
                    {"href": "/admins/5", "title": "Kate"}
                ]
            },
            "currentlyProcessing": 14,
            "shippedToday": 20,
            "_embedded": {"ea:order": [
                {"_links": {"self": {"href": "/orders/123"}, "ea:basket": {"href": "/baskets/98712"},
                            "ea:customer": {"href": "/customers/7809"}},
                 "total": 30.00, "currency": "USD", "status": "shipped"},
                {"_links": {"self": {"href": "/orders/124"}, "ea:basket": {"href": "/baskets/97213"},
                            "ea:customer": {"href": "/customers/12369"}},
                 "total": 20.00, "currency": "USD", "status": "processing"}
            ]}
        })
    }

    /// Mollie v2, the last page of a customer's mandates: `"next": null`.
    fn mollie_last_page() -> Value {
        json!({
            "count": 1,
            "_embedded": {"mandates": [{
                "resource": "mandate", "id": "mdt_h3gAaD5zP", "mode": "test", "status": "valid",
                "method": "directdebit",
                "_links": {"self": {"href": "https://api.mollie.com/v2/customers/cst_8wmqcHMN4U/mandates/mdt_h3gAaD5zP", "type": "application/hal+json"}}
            }]},
            "_links": {
                "self": {"href": "https://api.mollie.com/v2/customers/cst_8wmqcHMN4U/mandates?from=mdt_AcQl5fdL4h&limit=2", "type": "application/hal+json"},
                "previous": {"href": "https://api.mollie.com/v2/customers/cst_8wmqcHMN4U/mandates?limit=2", "type": "application/hal+json"},
                "next": null,
                "documentation": {"href": "https://docs.mollie.com/reference/v2/mandates-api/revoke-mandate", "type": "text/html"}
            }
        })
    }

    /// An OpenProject API v3 work package: root-relative hrefs, `method`, null associations.
    fn openproject_work_package() -> Value {
        json!({
            "_type": "WorkPackage", "id": 1528, "subject": "Develop API", "lockVersion": 3,
            "_links": {
                "self": {"href": "/api/v3/work_packages/1528", "title": "Develop API"},
                "update": {"href": "/api/v3/work_packages/1528/form", "method": "post"},
                "updateImmediately": {"href": "/api/v3/work_packages/1528", "method": "patch"},
                "delete": {"href": "/api/v3/work_packages/1528", "method": "delete"},
                "assignee": {"href": null},
                "parent": {"href": null, "title": "x"},
                "project": {"href": "/api/v3/projects/14", "title": "A project"},
                "watchers": [null, {"href": "/api/v3/users/1", "title": "Alice"}, {"href": null}]
            }
        })
    }

    /// A GOV.UK Pay payment: links with `method`, one with `params` and `type`.
    fn govuk_pay_payment() -> Value {
        json!({
            "amount": 1200, "state": {"status": "created", "finished": false},
            "payment_id": "hu20sqlact5260q2nanm0q8u93",
            "_links": {
                "self": {"href": "https://publicapi.payments.service.gov.uk/v1/payments/hu20sqlact5260q2nanm0q8u93", "method": "GET"},
                "next_url": {"href": "https://www.payments.service.gov.uk/secure/bb0a272c-8eaf-468d-b3xf-ae5e000d2231", "method": "GET"},
                "next_url_post": {
                    "type": "application/x-www-form-urlencoded",
                    "params": {"chargeTokenId": "bb0a272c-8eaf-468d-b3xf-ae5e000d2231"},
                    "href": "https://www.payments.service.gov.uk/secure", "method": "POST"
                },
                "events": {"href": "https://publicapi.payments.service.gov.uk/v1/payments/hu20sqlact5260q2nanm0q8u93/events", "method": "GET"},
                "cancel": {"href": "https://publicapi.payments.service.gov.uk/v1/payments/hu20sqlact5260q2nanm0q8u93/cancel", "method": "POST"}
            }
        })
    }

    /// AWS API Gateway's HAL management API: curies, `{?limit,embed}`, one item as an object.
    fn aws_deployments() -> Value {
        json!({
            "_links": {
                "curies": {"href": "https://docs.aws.amazon.com/apigateway/latest/developerguide/restapi-deployment-{rel}.html", "name": "deployment", "templated": true},
                "self": {"href": "/restapis/fugvjdxtri/deployments{?limit,embed}", "templated": true},
                "deployment:by-id": {"href": "/restapis/fugvjdxtri/deployments/{deployment_id}{?embed}", "templated": true},
                "deployment:create": {"href": "/restapis/fugvjdxtri/deployments"}
            },
            "_embedded": {"item": {
                "_links": {"self": {"href": "/restapis/fugvjdxtri/deployments/dzacq7"}},
                "createdDate": "2016-06-03T17:56:06Z", "id": "dzacq7"
            }}
        })
    }

    fn headers(values: &[&str]) -> ureq::http::HeaderMap {
        let mut map = ureq::http::HeaderMap::new();
        for v in values {
            map.append(
                ureq::http::header::LINK,
                ureq::http::HeaderValue::from_str(v).expect("test header"),
            );
        }
        map
    }

    #[test]
    fn single_links_and_picks() {
        let doc = json!({"_links": {"self": {"href": "/"}, "one": [{"href": "/only"}]}});
        assert_eq!(target(&doc, "self", None).unwrap().href, "/");
        assert_eq!(target(&doc, "one", None).unwrap().href, "/only");
        assert_eq!(target(&doc, "self", Some(&Pick::At(0))).unwrap().href, "/");
        let home = eve_home();
        let pick = |p: Pick| target(&home, "child", Some(&p)).map(|t| t.href);
        assert_eq!(pick(Pick::Titled("orders".into())).unwrap(), "orders");
        assert_eq!(pick(Pick::Named("o".into())).unwrap(), "orders");
        assert_eq!(pick(Pick::At(0)).unwrap(), "customers");
        let err = pick(Pick::At(2)).unwrap_err();
        assert!(matches!(err, Error::NoMatchingLink { .. }), "{err}");
    }

    #[test]
    fn ambiguous_and_missing_rels_name_the_choices() {
        let err = target(&eve_home(), "child", None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("customers") && msg.contains("orders") && msg.contains(".titled"));
        let err = target(&eve_home(), "nope", None).unwrap_err();
        assert!(
            matches!(&err, Error::RelNotFound { available, null: false, .. } if available == &["child"]),
            "{err}"
        );
        assert!(err.to_string().starts_with("no link `nope`"), "{err}");
        assert!(matches!(
            target(&json!({}), "x", None),
            Err(Error::RelNotFound { .. })
        ));
        assert!(matches!(
            target(&json!(5), "x", None),
            Err(Error::RelNotFound { .. })
        ));
    }

    #[test]
    fn malformed_links_are_named() {
        for (doc, hint) in [
            (json!({"_links": "x"}), "`_links` is a string"),
            (json!({"_links": []}), "`_links` is an array"),
            (
                json!({"_links": {"a": {"href": 5}}}),
                "href of link `a` is a number",
            ),
            (json!({"_links": {"a": {}}}), "link `a` has no href"),
            (json!({"_links": {"a": "x"}}), "link `a` is a string"),
            (json!({"_links": {"a": [7]}}), "link `a` is a number"),
        ] {
            let err = target(&doc, "a", None).unwrap_err();
            assert!(
                matches!(&err, Error::MalformedHal(m) if m.contains(hint)),
                "{doc}: {err}"
            );
        }
        // A malformed `_links` stays an error even when a header has the rel.
        let header = json!({"a": {"href": "http://h/a"}});
        let doc = json!({"_links": "x"});
        let links = Links::new(&doc, header.as_object());
        assert!(matches!(links.link("a"), Err(Error::MalformedHal(_))));
        assert!(links.rels().is_empty() && !links.has_rel("a"));
    }

    #[test]
    fn link_exposes_every_attribute() {
        let doc = json!({"_links": {"a": {
            "href": "/a{?x}", "templated": true, "type": "application/hal+json",
            "deprecation": "/dep", "name": "n", "profile": "/p", "title": "t", "hreflang": "en"
        }}});
        let l = link(&doc, "a").unwrap();
        assert_eq!(
            l,
            Link {
                href: "/a{?x}".into(),
                templated: true,
                media_type: Some("application/hal+json".into()),
                deprecation: Some("/dep".into()),
                name: Some("n".into()),
                profile: Some("/p".into()),
                title: Some("t".into()),
                hreflang: Some("en".into()),
                attributes: doc["_links"]["a"].as_object().unwrap().clone(),
            }
        );
        assert!(matches!(
            link(&eve_home(), "child"),
            Err(Error::AmbiguousLink { .. })
        ));
        assert_eq!(links_of(&eve_home(), "child").unwrap().len(), 2);
    }

    #[test]
    fn govuk_pay_method_and_params_are_readable() {
        let doc = govuk_pay_payment();
        let post = link(&doc, "next_url_post").unwrap();
        assert_eq!(post.href, "https://www.payments.service.gov.uk/secure");
        assert_eq!(post.attribute("method"), Some(&json!("POST")));
        assert_eq!(
            post.attribute("params"),
            Some(&json!({"chargeTokenId": "bb0a272c-8eaf-468d-b3xf-ae5e000d2231"}))
        );
        assert_eq!(
            post.media_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(post.attributes().len(), 4);
        assert_eq!(post.attribute("title"), None);
        let cancel = link(&doc, "cancel").unwrap();
        assert_eq!(cancel.attribute("method"), Some(&json!("POST")));
    }

    #[test]
    fn mollie_next_null_is_absent_and_says_so() {
        let doc = mollie_last_page();
        let links = Links::new(&doc, None);
        assert!(!links.has_rel("next"));
        assert!(links.has_rel("previous"));
        assert_eq!(links.rels(), ["documentation", "previous", "self"]);
        for err in [
            links.target("next", None).map(|_| ()).unwrap_err(),
            links.link("next").map(|_| ()).unwrap_err(),
            links.links_of("next").map(|_| ()).unwrap_err(),
        ] {
            assert!(
                matches!(&err, Error::RelNotFound { rel, null: true, .. } if rel == "next"),
                "{err:?}"
            );
            assert!(
                err.to_string()
                    .contains("link `next` is null: the server says there is none"),
                "{err}"
            );
        }
        assert_eq!(
            link(&doc, "documentation").unwrap().media_type.as_deref(),
            Some("text/html")
        );
    }

    #[test]
    fn openproject_null_hrefs_are_absent_and_methods_kept() {
        let doc = openproject_work_package();
        let links = Links::new(&doc, None);
        for rel in ["assignee", "parent"] {
            assert!(!links.has_rel(rel), "{rel}");
            assert!(!links.rels().contains(&rel), "{rel}");
            assert!(
                matches!(
                    links.target(rel, None),
                    Err(Error::RelNotFound { null: true, .. })
                ),
                "{rel}"
            );
        }
        // Null elements and null-href links inside an array are skipped, indices included.
        assert!(links.has_rel("watchers"));
        assert_eq!(
            links.target("watchers", None).unwrap().href,
            "/api/v3/users/1"
        );
        assert_eq!(
            links.target("watchers", Some(&Pick::At(0))).unwrap().href,
            "/api/v3/users/1"
        );
        assert_eq!(links.links_of("watchers").unwrap().len(), 1);
        let update = links.link("updateImmediately").unwrap();
        assert_eq!(update.href, "/api/v3/work_packages/1528");
        assert_eq!(update.attribute("method"), Some(&json!("patch")));
        assert_eq!(
            links.link("delete").unwrap().attribute("method"),
            Some(&json!("delete"))
        );
        // Arrays of nothing but nulls, and the empty array, are null too.
        let doc = json!({"_links": {"a": [null, {"href": null}], "b": []}});
        let links = Links::new(&doc, None);
        assert!(links.rels().is_empty());
        for rel in ["a", "b"] {
            assert!(matches!(
                links.links_of(rel),
                Err(Error::RelNotFound { null: true, .. })
            ));
        }
    }

    #[test]
    fn curied_rels_are_found_by_name_and_by_expansion() {
        let doc = hal_orders();
        let links = Links::new(&doc, None);
        let find = links.target("ea:find", None).unwrap();
        assert_eq!((find.href, find.templated), ("/orders{?id}", true));
        let by_uri = links
            .target("http://example.com/docs/rels/find", None)
            .unwrap();
        assert_eq!(by_uri.href, "/orders{?id}");
        let admins = links
            .links_of("http://example.com/docs/rels/admin")
            .unwrap();
        assert_eq!(admins.len(), 2);
        assert!(links.has_rel("http://example.com/docs/rels/admin"));
        assert!(!links.has_rel("http://example.com/docs/rels/nope"));
        assert!(!links.has_rel("ex:find"));
        let body = doc["_links"].as_object().unwrap();
        assert_eq!(
            find_rel(body, "http://example.com/docs/rels/find").map(|(k, _)| k),
            Some("ea:find")
        );
        // `curies` is listed like any other key of `_links`, and readable.
        assert!(links.rels().contains(&"curies"));
        assert_eq!(
            links.links_of("curies").unwrap()[0].name.as_deref(),
            Some("ea")
        );

        // The other way round: stored under the full URI, found by the curied name; and a
        // second prefix with the same expansion finds it too.
        let doc = json!({"_links": {
            "curies": [{"name": "ea", "href": "http://example.com/docs/rels/{rel}", "templated": true},
                       {"name": "ex", "href": "http://example.com/docs/rels/{rel}", "templated": true}],
            "http://example.com/docs/rels/orders": {"href": "/orders"},
            "ex:find": {"href": "/find"}
        }});
        let body = doc["_links"].as_object().unwrap();
        assert_eq!(
            find_rel(body, "ea:orders").map(|(k, _)| k),
            Some("http://example.com/docs/rels/orders")
        );
        assert_eq!(find_rel(body, "ea:find").map(|(k, _)| k), Some("ex:find"));
        assert_eq!(find_rel(body, "zz:orders"), None);
        // Without curies nothing is expanded.
        let plain = json!({"_links": {"ea:find": {"href": "/f"}}});
        let body = plain["_links"].as_object().unwrap();
        assert!(find_rel(body, "http://example.com/docs/rels/find").is_none());
    }

    #[test]
    fn rel_documentation_expands_the_curie() {
        let doc = hal_orders();
        assert_eq!(
            rel_documentation(&doc, "ea:find").as_deref(),
            Some("http://example.com/docs/rels/find")
        );
        assert_eq!(rel_documentation(&doc, "next"), None);
        assert_eq!(rel_documentation(&doc, "zz:find"), None);
        assert_eq!(rel_documentation(&doc, "ea:"), None);
        assert_eq!(rel_documentation(&json!(null), "ea:find"), None);
        let bad =
            json!({"_links": {"curies": [{"name": "ea", "href": "http://x/no-placeholder"}]}});
        assert_eq!(rel_documentation(&bad, "ea:find"), None);
        let aws = aws_deployments();
        assert_eq!(
            rel_documentation(&aws, "deployment:by-id").as_deref(),
            Some(
                "https://docs.aws.amazon.com/apigateway/latest/developerguide/restapi-deployment-by-id.html"
            )
        );
    }

    #[test]
    fn aws_api_gateway_curies_templates_and_a_page_of_one() {
        let doc = aws_deployments();
        let links = Links::new(&doc, None);
        let by_id = links.target("deployment:by-id", None).unwrap();
        assert!(by_id.templated);
        assert_eq!(
            by_id.href,
            "/restapis/fugvjdxtri/deployments/{deployment_id}{?embed}"
        );
        let expanded = "https://docs.aws.amazon.com/apigateway/latest/developerguide/restapi-deployment-create.html";
        assert_eq!(
            links.link(expanded).unwrap().href,
            "/restapis/fugvjdxtri/deployments"
        );
        let me = links.link("self").unwrap();
        assert!(me.templated && me.href.ends_with("{?limit,embed}"));
        let items = page_items(&doc, "item").unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], "dzacq7");
    }

    #[test]
    fn page_items_are_lenient_about_shape() {
        assert!(page_items(&json!({}), "item").unwrap().is_empty());
        assert!(
            page_items(&json!({"_embedded": {}}), "item")
                .unwrap()
                .is_empty()
        );
        assert!(
            page_items(&json!({"_embedded": {"item": null}}), "item")
                .unwrap()
                .is_empty()
        );
        assert!(
            page_items(&json!({"_embedded": null}), "item")
                .unwrap()
                .is_empty()
        );
        // Spring Data REST's empty page: no `_embedded` at all.
        let sdr_empty = json!({"_links": {"self": {"href": "http://localhost:8080/people{?page,size,sort}", "templated": true}},
                               "page": {"size": 20, "totalElements": 0, "totalPages": 0, "number": 0}});
        assert!(page_items(&sdr_empty, "people").unwrap().is_empty());
        let mollie = mollie_last_page();
        assert_eq!(
            page_items(&mollie, "mandates").unwrap()[0]["id"],
            "mdt_h3gAaD5zP"
        );
        // Curied embedded rels are found by their expansion too.
        assert_eq!(
            page_items(&hal_orders(), "http://example.com/docs/rels/order")
                .unwrap()
                .len(),
            2
        );
        assert!(matches!(
            page_items(&json!({"_embedded": {"item": 3}}), "item"),
            Err(Error::EmbeddedTypeMismatch {
                expected: Multiplicity::Many,
                ..
            })
        ));
        assert!(matches!(
            page_items(&json!({"_embedded": [1]}), "item"),
            Err(Error::MalformedHal(m)) if m.contains("`_embedded` is an array")
        ));
    }

    #[test]
    fn link_header_pager() {
        let got = parse_link_header(
            r#"<https://api.example/items?page=2>; rel="next", <https://api.example/items?page=5>; rel="last""#,
        );
        let pairs: Vec<(&str, &str)> = got
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("next", "https://api.example/items?page=2"),
                ("last", "https://api.example/items?page=5")
            ]
        );
        let map = header_links(
            &headers(&[
                r#"<https://api.example/items?page=2>; rel="next", <https://api.example/items?page=5>; rel="last""#,
            ]),
            "https://api.example/items?page=1",
        );
        assert_eq!(
            Value::Object(map),
            json!({"next": {"href": "https://api.example/items?page=2"},
                   "last": {"href": "https://api.example/items?page=5"}})
        );
    }

    #[test]
    fn link_header_params() {
        let got = parse_link_header(
            "</a>; rel=\"next LAST\"; title=\"a, b; c \\\"q\\\"\"; type=text/html; hreflang=en; foo=bar; rel=ignored",
        );
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].rel.as_str(), got[1].rel.as_str()), ("next", "last"));
        assert_eq!(got[0].href, "/a");
        assert_eq!(
            Value::Object(got[0].attributes.clone()),
            json!({"title": "a, b; c \"q\"", "type": "text/html", "hreflang": "en", "foo": "bar"})
        );
        let got =
            parse_link_header("</b>;rel=Next;title*=UTF-8'de'n%c3%a4chstes%20Kapitel;title=plain");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].rel, "next");
        assert_eq!(got[0].attributes["title"], "nächstes Kapitel");
        let latin = parse_link_header("</c>; rel=x; title*=iso-8859-1'en'%A3%20rates");
        assert_eq!(latin[0].attributes["title"], "£ rates");
        // A bad ext-value leaves the plain title.
        let bad = parse_link_header("</c>; rel=x; title=\"t\"; title*=UTF-8''%ff");
        assert_eq!(bad[0].attributes["title"], "t");
        let anchored = parse_link_header("</d>; rel=up; anchor=\"#sec\"");
        assert_eq!(anchored[0].anchor.as_deref(), Some("#sec"));
        // No rel: dropped; a param named href cannot replace the target.
        assert!(parse_link_header("</e>; title=x").is_empty());
        let h = parse_link_header("</f>; rel=x; href=/evil");
        assert!(h[0].attributes.get("href").is_none());
    }

    #[test]
    fn header_links_resolve_group_and_filter() {
        let map = header_links(
            &headers(&[
                r#"<?page=3>; rel="next", </items?page=9>; rel="last", <https://api.example/items?page=9>; rel=last"#,
                r#"<other>; rel=alternate; type="text/csv", <x>; rel=alternate; type="text/xml""#,
                r#"</elsewhere>; rel=next; anchor="https://other.example/", </self>; rel=self; anchor="""#,
                r##"</part>; rel=section; anchor="#part""##,
                r#"<http://[bad>; rel=broken"#,
            ]),
            "https://api.example/items?page=2",
        );
        assert_eq!(
            map["next"],
            json!({"href": "https://api.example/items?page=3"})
        );
        // Exact duplicates are kept once.
        assert_eq!(
            map["last"],
            json!({"href": "https://api.example/items?page=9"})
        );
        assert_eq!(
            map["alternate"],
            json!([{"href": "https://api.example/other", "type": "text/csv"},
                   {"href": "https://api.example/x", "type": "text/xml"}])
        );
        assert_eq!(map["self"], json!({"href": "https://api.example/self"}));
        assert!(map.get("section").is_none() && map.get("broken").is_none());
        assert!(header_links(&headers(&["</a>; rel=a"]), "not a url").is_empty());
        assert!(header_links(&ureq::http::HeaderMap::new(), "https://h.example/").is_empty());
    }

    #[test]
    fn body_links_win_and_header_links_add() {
        let doc = mollie_last_page();
        let header = header_links(
            &headers(&[
                "<https://api.mollie.com/x?page=3>; rel=next",
                "<https://api.mollie.com/first>; rel=First; title=\"page one\"",
                "<https://evil.example/>; rel=self",
            ]),
            "https://api.mollie.com/v2/customers/cst_8wmqcHMN4U/mandates",
        );
        let links = Links::new(&doc, Some(&header));
        // The body's explicit null wins over the header.
        assert!(!links.has_rel("next"));
        assert!(matches!(
            links.target("next", None),
            Err(Error::RelNotFound { null: true, .. })
        ));
        // The body's self wins; the header adds `first`, found case-insensitively.
        assert!(
            links
                .target("self", None)
                .unwrap()
                .href
                .starts_with("https://api.mollie.com/v2/")
        );
        assert!(links.has_rel("FIRST"));
        let first = links.link("first").unwrap();
        assert_eq!(first.href, "https://api.mollie.com/first");
        assert_eq!(first.title.as_deref(), Some("page one"));
        assert_eq!(links.rels(), ["documentation", "previous", "self", "first"]);
        // A header-only document, with a curied rel expanded through the body's curies.
        let doc = json!({"_links": {"curies": [{"name": "ea", "href": "http://example.com/docs/rels/{rel}", "templated": true}]}});
        let header = header_links(
            &headers(&["</orders>; rel=\"http://example.com/docs/rels/orders\""]),
            "http://h.example/api/",
        );
        let links = Links::new(&doc, Some(&header));
        assert_eq!(
            links.target("ea:orders", None).unwrap().href,
            "http://h.example/orders"
        );
        let err = links.link("nope").unwrap_err();
        assert!(
            matches!(&err, Error::RelNotFound { available, null: false, .. }
            if available.contains(&"http://example.com/docs/rels/orders".to_owned())),
            "{err}"
        );
    }

    #[test]
    fn hostile_link_headers_never_panic() {
        let commas = ",".repeat(100_000);
        let many = "</a>; rel=a,".repeat(10_000);
        for hostile in [
            "",
            " ",
            "<",
            ">",
            "<>",
            "</a",
            "</a; rel=next",
            "</a>; rel=\"next",
            "</a>; rel=\"next\\",
            "</a>; rel=next; title=\"unbalanced, </b>; rel=last",
            "junk, </ok>; rel=ok",
            "</a>; =x; rel=a",
            "</a> junk; rel=a, </b>; rel=b",
            "</a>;;; rel=a;",
            ";;;,,,<<<>>>\"\"\"",
            "</a>; rel=a; title*=UTF-8''%",
            "</a>; rel=a; title*=UTF-8'",
            "</é>; rél=ü; title=\"ß\\é\"",
            commas.as_str(),
            many.as_str(),
        ] {
            let got = parse_link_header(hostile);
            assert!(got.iter().all(|l| !l.rel.is_empty()), "{hostile}");
        }
        // Recovery: a missing `>` or stray text skips that link only.
        let rels = |s: &str| {
            parse_link_header(s)
                .into_iter()
                .map(|l| l.rel)
                .collect::<Vec<_>>()
        };
        assert_eq!(rels("junk, </ok>; rel=ok"), ["ok"]);
        assert_eq!(rels("</a> junk; rel=a, </b>; rel=b"), ["b"]);
        assert_eq!(rels("</a; rel=a, </b>; rel=b"), ["b"]);
        assert_eq!(rels("</a>;;; rel=a;"), ["a"]);
        assert!(rels("</a>; rel=next; title=\"unbalanced, </b>; rel=last").is_empty());
        assert_eq!(parse_link_header(&many).len(), 10_000);
        assert!(parse_link_header(&commas).is_empty());
    }

    #[test]
    fn collection_errors_are_distinct() {
        assert!(matches!(
            collection(&json!({}), "_items"),
            Err(Error::CollectionMissing { .. })
        ));
        assert!(matches!(
            collection(&json!({"_items": {}}), "_items"),
            Err(Error::CollectionNotArray {
                found: "an object",
                ..
            })
        ));
        let good = json!({"_links": {"self": {"href": "/a"}}});
        for (bad, hint) in [
            (json!(1), "not an object"),
            (json!({}), "no `_links`"),
            (json!({"_links": {}}), "no self link"),
            (json!({"_links": {"self": {}}}), "no href"),
            (json!({"_links": {"self": {"href": 1}}}), "href is a number"),
            (json!({"_links": {"self": "x"}}), "self link is a string"),
            (json!({"_links": {"self": []}}), "empty array"),
            (
                json!({"_links": {"self": [{"href": "/a"}, {"href": "/b"}]}}),
                "it has 2 self links",
            ),
            (
                json!({"_links": {"self": [{"href": null}]}}),
                "self href is null",
            ),
            (
                json!({"_links": {"self": {"href": "/b"}}, "_embedded": []}),
                "`_embedded` is an array",
            ),
        ] {
            let doc = json!({"_items": [good.clone(), bad]});
            let err = collection(&doc, "_items").unwrap_err();
            assert!(
                matches!(&err, Error::CollectionItemNotHal { index: 1, reason, .. } if reason.contains(hint)),
                "{err}"
            );
        }
        // Spring writes self as an array of one.
        let spring = json!({"_links": {"self": [{"href": "http://localhost:8080/people/1"}]}});
        assert_eq!(not_hal(&spring), None);
        assert_eq!(
            collection(&json!({"_items": [good, spring]}), "_items")
                .unwrap()
                .len(),
            2
        );
    }
}
