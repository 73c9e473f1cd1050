//! HAL reading: links, link arrays, embedded resources and collections, over a `serde_json::Value`.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::params::json_type;

/// One HAL link with all its attributes.
///
/// # Example
///
/// ```
/// use halchemy::Resource;
/// use serde_json::json;
///
/// let r = Resource::from(json!({"_links": {
///     "item": {"href": "/customers/{id}", "templated": true, "title": "A customer"}
/// }}));
/// let link = r.link("item")?;
/// assert_eq!(link.href, "/customers/{id}");
/// assert!(link.templated);
/// assert_eq!(link.title.as_deref(), Some("A customer"));
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
}

impl Link {
    fn from_json(rel: &str, value: &Value) -> Result<Link> {
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
        })
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

fn links_map(data: &Value) -> Result<Option<&Map<String, Value>>> {
    match data.get("_links") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(Error::MalformedHal(format!(
            "`_links` is {}, not an object",
            json_type(other)
        ))),
    }
}

/// The rels of `_links`, in document order (empty when `_links` is missing or malformed).
pub(crate) fn rels(data: &Value) -> Vec<&str> {
    match links_map(data) {
        Ok(Some(map)) => map.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn has_rel(data: &Value, rel: &str) -> bool {
    matches!(links_map(data), Ok(Some(map)) if map.contains_key(rel))
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

/// The links of `rel` as a slice: one for an object, all for an array.
fn rel_links<'a>(data: &'a Value, rel: &str) -> Result<&'a [Value]> {
    let map = links_map(data)?;
    match map.and_then(|m| m.get(rel)) {
        Some(Value::Array(items)) => Ok(items),
        Some(one @ Value::Object(_)) => Ok(std::slice::from_ref(one)),
        Some(other) => Err(Error::MalformedHal(format!(
            "link `{rel}` is {}, not an object or an array of objects",
            json_type(other)
        ))),
        None => Err(Error::RelNotFound {
            rel: rel.to_owned(),
            available: rels(data).into_iter().map(str::to_owned).collect(),
        }),
    }
}

fn choices(links: &[Value]) -> Vec<String> {
    links
        .iter()
        .enumerate()
        .map(|(i, link)| {
            let attr = |k: &str| link.get(k).and_then(Value::as_str);
            let mut line = format!("[{i}] {}", attr("href").unwrap_or("(no href)"));
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

/// Finds the link of `rel` to follow, applying `pick` to link arrays.
pub(crate) fn target<'a>(data: &'a Value, rel: &str, pick: Option<&Pick>) -> Result<Target<'a>> {
    let links = rel_links(data, rel)?;
    let chosen = match pick {
        None if links.len() == 1 => &links[0],
        None => {
            return Err(Error::AmbiguousLink {
                rel: rel.to_owned(),
                choices: choices(links),
            });
        }
        Some(pick) => {
            let found = match pick {
                Pick::At(i) => links.get(*i),
                Pick::Named(n) => links.iter().find(|l| l.get("name") == Some(&attr(n))),
                Pick::Titled(t) => links.iter().find(|l| l.get("title") == Some(&attr(t))),
            };
            found.ok_or_else(|| Error::NoMatchingLink {
                rel: rel.to_owned(),
                wanted: pick.to_string(),
                choices: choices(links),
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

fn attr(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// The one link of `rel` (an error when the rel is an array of several).
pub(crate) fn link(data: &Value, rel: &str) -> Result<Link> {
    let links = rel_links(data, rel)?;
    match links {
        [one] => Link::from_json(rel, one),
        _ => Err(Error::AmbiguousLink {
            rel: rel.to_owned(),
            choices: choices(links),
        }),
    }
}

/// Every link of `rel`.
pub(crate) fn links_of(data: &Value, rel: &str) -> Result<Vec<Link>> {
    rel_links(data, rel)?
        .iter()
        .map(|l| Link::from_json(rel, l))
        .collect()
}

/// The links of a response's `Link` headers (RFC 8288), by rel.
pub(crate) fn header_links(_headers: &ureq::http::HeaderMap, _base: &str) -> Map<String, Value> {
    Map::new()
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
    let found = match embedded_map(data)?.and_then(|m| m.get(rel)) {
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

/// Why `doc` is not well-formed HAL, or `None` when it is.
pub(crate) fn not_hal(doc: &Value) -> Option<String> {
    let Some(obj) = doc.as_object() else {
        return Some(format!("it is {}, not an object", json_type(doc)));
    };
    let links = match obj.get("_links") {
        Some(Value::Object(l)) => l,
        Some(other) => return Some(format!("`_links` is {}", json_type(other))),
        None => return Some("it has no `_links`".to_owned()),
    };
    match links.get("self") {
        Some(Value::Object(s)) => match s.get("href") {
            Some(Value::String(_)) => {}
            Some(other) => return Some(format!("its self href is {}", json_type(other))),
            None => return Some("its self link has no href".to_owned()),
        },
        Some(other) => return Some(format!("its self link is {}", json_type(other))),
        None => return Some("it has no self link".to_owned()),
    }
    match obj.get("_embedded") {
        None | Some(Value::Object(_)) => None,
        Some(other) => Some(format!("`_embedded` is {}", json_type(other))),
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
            matches!(&err, Error::RelNotFound { available, .. } if available == &["child"]),
            "{err}"
        );
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
            }
        );
        assert!(matches!(
            link(&eve_home(), "child"),
            Err(Error::AmbiguousLink { .. })
        ));
        assert_eq!(links_of(&eve_home(), "child").unwrap().len(), 2);
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
    }
}
