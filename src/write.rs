//! The one write path. Every PUT, PATCH and DELETE — through a resource or to an endpoint, and
//! the writes of `update` and of merges — goes through [`write`]: it decides the precondition,
//! sends, applies the status policy, and brings a resource forward so that its data and its
//! validators always describe one version.

use std::sync::Arc;

use serde_json::{Map, Value};
use ureq::http::{HeaderMap, HeaderValue, Method, header};

use crate::api::Api;
use crate::error::{Conflict, Error, Result};
use crate::merge;
use crate::resource::Resource;
use crate::transport::{self, Prepared};
use crate::url;
use crate::validators::Validators;

/// The resource a request started from, if any, and whether it can be brought forward.
pub enum Holder<'r> {
    /// An endpoint: no resource.
    None,
    /// Through `follow`: its validators are sent, but it cannot change.
    Shared(&'r Resource),
    /// Through `follow_mut`: a success brings it forward.
    Exclusive(&'r mut Resource),
}

impl Holder<'_> {
    pub(crate) fn resource(&self) -> Option<&Resource> {
        match self {
            Holder::None => None,
            Holder::Shared(r) => Some(r),
            Holder::Exclusive(r) => Some(r),
        }
    }
}

/// What a write would make of the resource written, when that is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WriteIntent {
    /// A PUT of a JSON body: the body becomes the data.
    Replace(Value),
    /// A PATCH of a JSON object as JSON or merge patch: RFC 7396 applied to the data.
    MergePatch(Value),
    /// A DELETE.
    Delete,
}

/// Sends any request: PUT, PATCH and DELETE through [`write`], everything else through
/// [`send_plain`].
pub(crate) fn send(api: &Api, prepared: Prepared, holder: Holder<'_>) -> Result<Resource> {
    if is_write(&prepared.method) {
        write(api, prepared, holder)
    } else {
        send_plain(api, prepared)
    }
}

/// Sends a request that never touches a resource (GET, HEAD, OPTIONS, POST) as a plain
/// exchange under the status policy. Reads call this directly rather than [`send`], so a
/// program that never writes does not link the write path.
pub(crate) fn send_plain(api: &Api, prepared: Prepared) -> Result<Resource> {
    let reads = prepared.method == Method::GET || prepared.method == Method::HEAD;
    let mut response = transport::exchange(api, prepared)?;
    if !reads {
        // POST, OPTIONS and the rest: validators only beside a representation.
        unpair(&mut response);
    }
    transport::check_status(api, response)
}

/// The answer to a write keeps validators only when its body is a representation of the
/// resource they name (a GET after a redirect, a `Content-Location`, or
/// `Preference-Applied: return=representation`). Otherwise the body describes the outcome of
/// the write (RFC 9110 §9.3.4: Eve's `{"_id", "_etag", "_status"}` excerpt, say), and an ETag
/// beside it would pair that excerpt with a version of the resource.
fn unpair(response: &mut Resource) {
    let representation = response.meta().request.method == "GET"
        || response.read_url().is_some()
        || representation_applied(response);
    if !representation {
        response.mark_excerpt();
    }
}

/// `Preference-Applied: return=representation` on the answer to a write.
fn representation_applied(response: &Resource) -> bool {
    let meta = response.meta();
    meta.request.method != "GET"
        && meta
            .response
            .headers
            .get_all("preference-applied")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|p| p.trim() == "return=representation"))
}

/// Whether a write's answer says it was done: a 2xx, or whatever the GET after a `303` (or a
/// 301/302) answered — the redirect itself said the write was done.
pub(crate) fn succeeded(response: &Resource) -> bool {
    (200..300).contains(&response.status()) || response.meta().request.method == "GET"
}

/// PUT, PATCH and DELETE: the methods that carry a resource's precondition.
pub(crate) fn is_write(method: &Method) -> bool {
    matches!(*method, Method::PUT | Method::PATCH | Method::DELETE)
}

/// How a write's URL relates to the resource it was made through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ownership {
    /// One of its own URLs: the write carries its precondition, and a success brings it
    /// forward.
    Own,
    /// Its templated `self` link, or an own URL with parameters added: maybe the resource
    /// itself (`/items/1{?projection}`, `?notify=false`), maybe another one a variable or a
    /// parameter names (`/people{?id}`, `?id=2`). The write carries its precondition, so
    /// no concurrent update is lost, but a success moves the resource only when the answer
    /// names one of its own URLs as its representation: data and validators of another
    /// resource are never taken, and otherwise its next write fails safe.
    Maybe,
    /// Another URL: no precondition, and the resource is left alone.
    Other,
}

/// How `prepared` relates to `r`: [`Ownership::Own`] for one of `r`'s own URLs,
/// [`Ownership::Maybe`] for one with `with_parameters` added or a request through `r`'s
/// templated `self` link, else [`Ownership::Other`].
pub(crate) fn ownership(api: &Api, r: &Resource, prepared: &Prepared) -> Ownership {
    let own = |url: &str| is_own_url(api, r, url);
    if own(&prepared.url) {
        return Ownership::Own;
    }
    // Parameters added to an own URL may name another resource (`?id=2`), as a template
    // variable may.
    if prepared.unparameterized.as_deref().is_some_and(own) {
        return Ownership::Maybe;
    }
    let through_templated_self = prepared.rel.as_deref() == Some("self")
        && r.version_links()
            .links_of("self")
            .unwrap_or_default()
            .iter()
            .any(|link| link.templated);
    match through_templated_self {
        true => Ownership::Maybe,
        false => Ownership::Other,
    }
}

/// Whether `url` is one of `r`'s own URLs: a `self` link that is not templated, or the URL
/// it was read from. Every such `self` link counts: a resource the server gave two writes to
/// either with its validators.
pub(crate) fn is_own_url(api: &Api, r: &Resource, url: &str) -> bool {
    if r.read_url().is_some_and(|own| url::same_resource(own, url)) {
        return true;
    }
    r.version_links()
        .links_of("self")
        .unwrap_or_default()
        .iter()
        .filter(|link| !link.templated)
        .filter_map(|link| api.resolve_href(r, &link.href).ok())
        .any(|own| url::same_resource(&own, url))
}

/// `r`'s `self` link, resolved as a request to it would be; `None` for a templated one,
/// which names no one URL by itself.
fn own_self_url(api: &Api, r: &Resource) -> Option<String> {
    let target = r.version_links().target("self", None).ok()?;
    if target.templated {
        return None;
    }
    api.resolve_href(r, target.href).ok()
}

/// The URL writes to `r` go to: its `self` link, else the URL it was read from.
pub(crate) fn own_url(api: &Api, r: &Resource) -> Result<String> {
    if let Some(url) = own_self_url(api, r) {
        return Ok(url);
    }
    if let Some(url) = r.read_url() {
        return Ok(url.to_owned());
    }
    // Say why: no self link, several, or one that cannot be used.
    let target = r
        .version_links()
        .target("self", None)
        .map_err(|e| match e {
            Error::AmbiguousLink { choices, .. } => Error::MalformedHal(format!(
                "the resource has {} self links ({}) and no url it was read from: refresh, update and merge need exactly one own url; get the one you mean with api.follow(&r).to(\"self\").at(i).get() and use that resource",
                choices.len(),
                choices.join("; ")
            )),
            other => other,
        })?;
    if target.templated {
        return Err(Error::MalformedHal(format!(
            "the resource's self link `{}` is templated and it has no url it was read from, so its own url is not known (a template variable may name another resource): refresh, update and merge need it; read the resource through a concrete url first (api.follow(&r).to(\"self\").with_template_values(..).get())",
            url::redacted(target.href)
        )));
    }
    api.resolve_href(r, target.href)
}

/// Sends a write. To the resource's own URL it carries the resource's precondition (unless
/// the request set one itself); a `412` and a `428` are errors that leave the resource
/// untouched; a success through `follow_mut` brings the resource forward.
pub(crate) fn write(api: &Api, prepared: Prepared, holder: Holder<'_>) -> Result<Resource> {
    let raise = api.config.error_handling.raise_on_network_error;
    write_with(api, prepared, holder, raise)
}

/// [`write`], with network failures raised or not.
pub(crate) fn write_with(
    api: &Api,
    prepared: Prepared,
    holder: Holder<'_>,
    raise_network: bool,
) -> Result<Resource> {
    let judged = match holder.resource() {
        Some(r) => ownership(api, r, &prepared),
        None => Ownership::Other,
    };
    write_judged(api, prepared, holder, raise_network, judged)
}

/// [`write_with`], told how the write's URL relates to the resource (a HAL-FORMS submit
/// decides that before its values go into the query).
pub(crate) fn write_judged(
    api: &Api,
    mut prepared: Prepared,
    mut holder: Holder<'_>,
    raise_network: bool,
    judged: Ownership,
) -> Result<Resource> {
    let own = judged == Ownership::Own;
    let caller_precondition = has_precondition(&prepared.headers);
    if judged != Ownership::Other
        && !caller_precondition
        && let Some(r) = holder.resource()
    {
        add_precondition(api, r, &mut prepared.headers)?;
    }
    let sent = Sent::of(&prepared.headers);
    // What the write makes of the resource is known only when the server applied it to the
    // version the resource holds: a PATCH sent without the resource's own precondition
    // changed whatever version the server had, and a PUT replaced it while the server's own
    // parts (`_embedded`, `_links`, `_id`...) may have moved on since the version read.
    let intent = match &holder {
        Holder::Exclusive(r) if own => WriteIntent::of(&prepared).filter(|i| match i {
            WriteIntent::Delete => true,
            // Deleted through this copy: a PUT that found nothing there (`If-None-Match: *`)
            // made the body the resource.
            WriteIntent::Replace(_) if r.validators().deleted => prepared
                .headers
                .get(header::IF_NONE_MATCH)
                .is_some_and(|m| m.as_bytes().trim_ascii() == b"*"),
            // Without validators there is no version read for the server to have moved on
            // from: the body is the resource (its new validators, if any, come with it).
            WriteIntent::Replace(_) if !r.has_validators() => true,
            _ => names_version_of(&prepared.headers, r),
        }),
        _ => None,
    };
    let method = prepared.method.clone();
    let target = prepared.url.clone();
    let response = match raise_network {
        true => transport::exchange_raising(api, prepared)?,
        false => transport::exchange(api, prepared)?,
    };
    match response.status() {
        412 => Err(Error::PreconditionFailed(Box::new(Conflict {
            response,
            sent_etag: sent.etag,
            sent_date: sent.date,
            intent: intent.map(|i| (target, i)),
        }))),
        428 => Err(Error::PreconditionRequired(Box::new(response))),
        status => {
            if let (200..=299, Holder::Exclusive(r)) = (status, &mut holder)
                && judged != Ownership::Other
            {
                bring_forward(api, r, &method, &target, intent.as_ref(), &response, judged);
            }
            let mut response = response;
            unpair(&mut response);
            transport::check_status(api, response)
        }
    }
}

/// Adds `r`'s precondition: `If-Match` with its ETag, else `If-Unmodified-Since` with its
/// `Last-Modified`; without either, nothing — or [`Error::Unconditional`] when the Api
/// requires preconditions.
fn add_precondition(api: &Api, r: &Resource, headers: &mut HeaderMap) -> Result<()> {
    let v = r.validators();
    if let Some(etag) = v.etag.value(r.data(), r.etag_field()) {
        headers.insert(header::IF_MATCH, etag);
    } else if r.etag().is_some() {
        return Err(Error::header(
            "If-Match",
            "the resource's etag field holds a line break or another control character",
        ));
    } else if let Some(date) = &v.last_modified {
        headers.insert(header::IF_UNMODIFIED_SINCE, date.clone());
    } else if v.deleted {
        // Recreating what this copy deleted: only while nobody else has.
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
    } else if api.config.require_preconditions {
        return Err(Error::Unconditional {
            url: url::redacted(&own_url(api, r).unwrap_or_default()).into_owned(),
            reason: "the resource has no etag and no last-modified date: read it (or refresh it) to get them, or build the Api without require_preconditions".to_owned(),
        });
    }
    Ok(())
}

/// Whether the write's precondition names `r`'s version: `If-Match` with its ETag, or (with
/// no ETag) `If-Unmodified-Since` with its `Last-Modified`.
fn names_version_of(headers: &HeaderMap, r: &Resource) -> bool {
    let v = r.validators();
    match v.etag.value(r.data(), r.etag_field()) {
        Some(etag) => headers.get(header::IF_MATCH) == Some(&etag),
        None => v
            .last_modified
            .as_ref()
            .is_some_and(|lm| headers.get(header::IF_UNMODIFIED_SINCE) == Some(lm)),
    }
}

/// Whether the caller set a write's precondition itself. `If-Modified-Since` and `If-Range`
/// are not one: a server ignores them on anything but a GET or HEAD (RFC 9110 §13.1.3, §13.1.5).
fn has_precondition(headers: &HeaderMap) -> bool {
    [
        header::IF_MATCH,
        header::IF_NONE_MATCH,
        header::IF_UNMODIFIED_SINCE,
    ]
    .iter()
    .any(|h| headers.contains_key(h))
}

/// The precondition a write went out with, for the conflict report.
struct Sent {
    etag: Option<String>,
    date: Option<String>,
}

impl Sent {
    fn of(headers: &HeaderMap) -> Sent {
        let text = |v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
        Sent {
            etag: headers.get(header::IF_MATCH).map(text),
            date: headers.get(header::IF_UNMODIFIED_SINCE).map(text),
        }
    }
}

impl WriteIntent {
    /// What a write would make of the resource, when that is known: the JSON body of a PUT,
    /// or a JSON object sent by PATCH as JSON or as a merge patch.
    fn of(prepared: &Prepared) -> Option<WriteIntent> {
        let content_type = prepared
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let json = || -> Option<Value> { serde_json::from_slice(prepared.body.as_deref()?).ok() };
        match prepared.method {
            Method::DELETE => Some(WriteIntent::Delete),
            Method::PUT => match content_type.as_deref() {
                Some(ct) if ct == "application/json" || ct.ends_with("+json") => {
                    json().map(WriteIntent::Replace)
                }
                _ => None,
            },
            Method::PATCH => match content_type.as_deref() {
                Some("application/json" | "application/merge-patch+json") => {
                    json().filter(Value::is_object).map(WriteIntent::MergePatch)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The data this write makes of `base`.
    pub(crate) fn apply(&self, base: &Value) -> Option<Value> {
        match self {
            WriteIntent::Delete => None,
            WriteIntent::Replace(body) => {
                let mut data = body.clone();
                if let (Value::Object(new), Value::Object(old)) = (&mut data, base) {
                    // The server's fields the body leaves out (HAL's parts, Eve's `_id`,
                    // `_created`, `_updated`, `_etag`) were not sent, not removed: they stay,
                    // and the answer's own `_` fields then replace them.
                    for (k, v) in old.iter().filter(|(k, _)| k.starts_with('_')) {
                        new.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                Some(data)
            }
            // A merge patch says nothing of a document that is not an object (one read
            // without a JSON body, say).
            WriteIntent::MergePatch(_) if !base.is_object() => None,
            WriteIntent::MergePatch(patch) => {
                let mut data = base.clone();
                merge::apply_merge_patch(&mut data, patch);
                Some(data)
            }
        }
    }
}

/// After a 2xx through `follow_mut` to `r`'s own URL ([`Ownership::Own`]), or maybe its own
/// ([`Ownership::Maybe`]: moved only by an answer naming an own URL as its representation):
/// the new data and validators together, or neither.
fn bring_forward(
    api: &Api,
    r: &mut Resource,
    method: &Method,
    target: &str,
    intent: Option<&WriteIntent>,
    response: &Resource,
    judged: Ownership,
) {
    let answered_by_get = response.meta().request.method == "GET";
    let landed = &response.meta().request.url;
    if !answered_by_get && !url::same_resource(landed, target) && !is_own_url(api, r, landed) {
        // A 307/308 repeated the write at another URL: what it changed there, and the
        // validators it got, are another resource's.
        return;
    }
    // Maybe the resource, maybe another: only an answer that says it represents one of the
    // resource's own URLs (its `Content-Location`, or the GET after a `303`) moves it.
    let names_own =
        response.data().is_object() && response.read_url().is_some_and(|u| is_own_url(api, r, u));
    if judged == Ownership::Maybe && (*method == Method::DELETE || !names_own) {
        return;
    }
    if *method == Method::DELETE {
        // The resource is gone: no version of it is current any more.
        r.mark_deleted();
        r.set_meta(Arc::clone(response.meta_arc()));
        return;
    }
    // Only move to a version the answer names, unless the resource never had validators. A
    // resource deleted through this copy counts as having them: recreated under a version
    // the answer does not name, it keeps asking `If-None-Match: *`, which now fails safe. A
    // resource with an ETag moves only to one: a `Last-Modified` alone would make its next
    // write conditional on a date, which a write by someone else within the same second
    // still matches.
    let names_version = match r.etag() {
        Some(_) => response.etag().is_some(),
        None => response.has_validators(),
    };
    let may_move = names_version || !(r.has_validators() || r.validators().deleted);
    // a. The answer is the resource's representation: it says so with an own URL (above), or
    //    with `Preference-Applied: return=representation`.
    if names_own || (response.data().is_object() && representation_applied(response)) {
        if may_move {
            *r = response.clone();
        }
        return;
    }
    if answered_by_get {
        // A redirect to somewhere else: that is not this resource's version.
        return;
    }
    if response.read_url().is_some() {
        // The answer says it represents another resource (its Content-Location): nothing in
        // it describes this one.
        return;
    }
    // b. The write's effect is known: apply it here and take the answer's validators.
    // Applied to the version the validators name, never to a draft made with `data_mut`.
    if let (true, Some(data)) = (may_move, intent.and_then(|i| i.apply(r.version_data()))) {
        let data = with_answer_fields(data, response.data());
        let mut validators = answer_validators(response);
        validators.predicted = true;
        r.advance(data, validators, Arc::clone(response.meta_arc()));
    }
    // c. Otherwise the resource keeps its old data and old validators: its next write fails
    //    safe, and `refresh` brings it in step.
}

/// `data` with the meta fields of the server's answer that `data` already has: top-level
/// fields named with a leading `_`, such as Eve's `_etag` and `_updated`, but never `_links`,
/// `_embedded` or `_templates`. Other fields of an answer that is not a representation
/// describe the outcome of the write (`{"status": "success"}`), not the resource.
fn with_answer_fields(mut data: Value, answer: &Value) -> Value {
    if let (Value::Object(data), Value::Object(answer)) = (&mut data, answer) {
        copy_known_fields(data, answer);
    }
    data
}

fn copy_known_fields(data: &mut Map<String, Value>, answer: &Map<String, Value>) {
    for (k, v) in answer {
        if !k.starts_with('_') || crate::hal::is_hal_part(k) {
            continue;
        }
        if let Some(slot) = data.get_mut(k) {
            *slot = v.clone();
        }
    }
}

/// The answer's validators, detached from the answer's data (an etag field of the answer
/// names the answer's version, whatever the resource's data holds).
fn answer_validators(response: &Resource) -> Validators {
    let v = response.validators();
    Validators {
        etag: v.etag.pinned(response.data(), response.etag_field()),
        last_modified: v.last_modified.clone(),
        deleted: false,
        excerpt: false,
        predicted: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_put_keeps_the_links_the_body_lacks_and_a_patch_merges() {
        let base = json!({"_links": {"self": {"href": "/a"}}, "a": 1, "b": 2});
        let put = WriteIntent::Replace(json!({"a": 5}));
        assert_eq!(
            put.apply(&base).unwrap(),
            json!({"_links": {"self": {"href": "/a"}}, "a": 5})
        );
        let patch = WriteIntent::MergePatch(json!({"b": null, "c": {"d": 1}}));
        assert_eq!(
            patch.apply(&base).unwrap(),
            json!({"_links": {"self": {"href": "/a"}}, "a": 1, "c": {"d": 1}})
        );
    }

    #[test]
    fn answer_fields_are_copied_except_links() {
        let data = json!({"_etag": "old", "_links": {"self": {"href": "/a"}, "parent": {"href": "/"}}, "n": 1});
        let answer = json!({"_etag": "new", "_status": "OK", "_links": {"self": {"href": "/a"}}});
        let out = with_answer_fields(data, &answer);
        assert_eq!(out["_etag"], "new");
        assert!(out.get("_status").is_none());
        assert!(out["_links"].get("parent").is_some());
        let data = json!({"status": "pending", "_updated": "t1", "note": "y"});
        let answer = json!({"status": "success", "_updated": "t2"});
        let out = with_answer_fields(data, &answer);
        assert_eq!(
            out["status"], "pending",
            "an outcome is not the resource's field"
        );
        assert_eq!(out["_updated"], "t2");
    }
}
