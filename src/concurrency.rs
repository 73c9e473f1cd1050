//! Optimistic concurrency: preconditions on writes, ETags kept up to date, conflicts as
//! errors, `refresh` and `update`.

use serde_json::{Map, Value};
use ureq::http::{HeaderMap, Method, header};

use crate::api::Api;
use crate::error::{Conflict, Error, Result};
use crate::headers;
use crate::request::{build_url, header_text, options_with_headers, prepare};
use crate::resource::Resource;
use crate::transport::{self, Prepared};

/// Adds `If-Match` (the resource's ETag, verbatim) or, without an ETag, `If-Unmodified-Since`
/// (its `Last-Modified`), unless the request set `If-Match` itself.
pub(crate) fn add_preconditions(headers: &mut HeaderMap, r: &Resource) -> Result<()> {
    if headers.contains_key(header::IF_MATCH) {
        return Ok(());
    }
    if let Some(etag) = r.etag() {
        headers.insert(header::IF_MATCH, headers::value("If-Match", etag)?);
    } else if let Some(date) = r.last_modified() {
        headers.insert(
            header::IF_UNMODIFIED_SINCE,
            headers::value("If-Unmodified-Since", date)?,
        );
    }
    Ok(())
}

/// Sends a conditional write and keeps `r` in step: its ETag follows a success, and any
/// failure leaves it untouched.
pub(crate) fn conditional_write(
    api: &Api,
    r: &mut Resource,
    prepared: Prepared,
    sent_etag: Option<String>,
) -> Result<Resource> {
    let is_delete = prepared.method == Method::DELETE;
    let response = transport::exchange(api, prepared)?;
    match response.status() {
        0 => Ok(response),
        412 => Err(conflict(response, sent_etag)),
        428 => Err(Error::PreconditionRequired(Box::new(response))),
        200..=299 => {
            if is_delete {
                r.set_etag(None);
                r.set_last_modified(None);
            } else {
                follow_validators(r, &response);
            }
            transport::check_status(api, response)
        }
        _ => transport::check_status(api, response),
    }
}

fn conflict(response: Resource, sent_etag: Option<String>) -> Error {
    Error::PreconditionFailed(Box::new(Conflict {
        response,
        sent_etag,
    }))
}

/// After a successful write: the response's ETag (and Last-Modified) when it has one; else the
/// old one is kept so a later write fails safe.
fn follow_validators(r: &mut Resource, response: &Resource) {
    if let Some(etag) = response.etag() {
        r.set_etag(Some(etag.to_owned()));
    }
    if let Some(date) = response.last_modified() {
        r.set_last_modified(Some(date.to_owned()));
    }
}

/// What [`Api::refresh`] found.
///
/// # Example
///
/// ```no_run
/// use halchemy::Refresh;
///
/// let api = halchemy::Api::new("http://localhost:2112")?;
/// let mut customer = api.using_endpoint("/customers/1").get()?;
/// match api.refresh(&mut customer)? {
///     Refresh::NotModified => println!("still current"),
///     Refresh::Replaced => println!("reloaded: {customer}"),
/// }
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// `304 Not Modified`: the data and ETag were already current.
    NotModified,
    /// `200`: the data and ETag were replaced by the server's.
    Replaced,
}

/// What [`Api::update`] did.
///
/// # Example
///
/// ```no_run
/// let api = halchemy::Api::new("http://localhost:2112")?;
/// let mut counter = api.using_endpoint("/counters/1").get()?;
/// let done = api.update(&mut counter, |data| {
///     data["value"] = (data["value"].as_i64().unwrap_or(0) + 1).into();
/// })?;
/// println!("saved after {} conflicts", done.conflicts);
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Updated {
    /// How many `412` conflicts were resolved by refreshing and re-applying the change.
    pub conflicts: u32,
    /// The server's answer to the PATCH that succeeded; `None` when the change left the data
    /// as it was, so nothing was sent.
    pub response: Option<Resource>,
}

impl Api {
    /// Reloads `resource` from its `self` link with a conditional GET (`If-None-Match` with its
    /// ETag).
    ///
    /// `304` keeps its data and ETag (its `meta()` records the 304); `200` replaces its data,
    /// ETag and meta with the server's.
    ///
    /// # Errors
    ///
    /// [`Error::RelNotFound`] without a `self` link, [`Error::Network`] (always raised here),
    /// and [`Error::Status`] for any other status. On error the resource is untouched.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut customer = api.using_endpoint("/customers/1").get()?;
    /// api.refresh(&mut customer)?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn refresh(&self, resource: &mut Resource) -> Result<Refresh> {
        let url = build_url(self, Some(resource.data()), "self", &Default::default())?;
        let mut headers = HeaderMap::new();
        if let Some(etag) = resource.etag() {
            headers.insert(
                header::IF_NONE_MATCH,
                headers::value("If-None-Match", etag)?,
            );
        }
        let prepared = prepare(self, Method::GET, url, options_with_headers(headers), None)?;
        let response = transport::exchange_raising(self, prepared)?;
        match response.status() {
            304 => {
                resource.set_meta(response.meta_arc().clone());
                Ok(Refresh::NotModified)
            }
            200..=299 => {
                *resource = response;
                Ok(Refresh::Replaced)
            }
            _ => Err(Error::Status(Box::new(response))),
        }
    }

    /// Changes `resource` with `change` and saves it without losing anyone else's update.
    ///
    /// `change` edits a copy of the data. The fields that differ are sent as a JSON merge patch
    /// (changed and added fields; `null` for removed ones) to the `self` link with `If-Match`.
    /// On `412` the resource is refreshed and `change` applied again, up to
    /// [`update_attempts`](Api::update_attempts) PATCHes (5 by default). On success the
    /// resource holds the changed data (plus the fields of the server's answer it already
    /// had, such as `_etag`), the new ETag, and the PATCH's meta. When `change` changes
    /// nothing, nothing is sent. A resource without an ETag (or `Last-Modified`) is refreshed
    /// first to get one; against a server that sends neither, the PATCH cannot be conditional.
    ///
    /// # Errors
    ///
    /// [`Error::PreconditionFailed`] when every attempt met a conflict (the resource then holds
    /// what it held before the last attempt: as read, or as last refreshed, never the change);
    /// [`Error::PreconditionRequired`];
    /// [`Error::Status`] for other statuses; [`Error::Network`] (always raised here);
    /// [`Error::RelNotFound`] without a `self` link.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut counter = api.using_endpoint("/counters/1").get()?;
    /// api.update(&mut counter, |data| {
    ///     data["value"] = (data["value"].as_i64().unwrap_or(0) + 1).into();
    /// })?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update<F>(&self, resource: &mut Resource, mut change: F) -> Result<Updated>
    where
        F: FnMut(&mut Value),
    {
        let attempts = self.update_attempts().max(1);
        let mut conflicts = 0;
        if resource.etag().is_none() && resource.last_modified().is_none() {
            // Nothing to make the PATCH conditional with: fetch the current version first.
            self.refresh(resource)?;
        }
        loop {
            let mut changed = resource.data().clone();
            change(&mut changed);
            let Some(patch) = merge_diff(resource.data(), &changed) else {
                return Ok(Updated {
                    conflicts,
                    response: None,
                });
            };
            let url = build_url(self, Some(resource.data()), "self", &Default::default())?;
            let mut headers = HeaderMap::new();
            add_preconditions(&mut headers, resource)?;
            let sent = headers.get(header::IF_MATCH).map(header_text);
            let body = crate::body::IntoBody::into_body(patch)?;
            let prepared = prepare(
                self,
                Method::PATCH,
                url,
                options_with_headers(headers),
                Some(body),
            )?;
            let response = transport::exchange_raising(self, prepared)?;
            match response.status() {
                200..=299 => {
                    merge_answer(&mut changed, response.data());
                    resource.set_data(changed);
                    follow_validators(resource, &response);
                    resource.set_meta(response.meta_arc().clone());
                    return Ok(Updated {
                        conflicts,
                        response: Some(response),
                    });
                }
                412 => {
                    conflicts += 1;
                    if conflicts >= attempts {
                        return Err(conflict(response, sent));
                    }
                    log::debug!(target: "halchemy", "update conflict {conflicts}, refreshing");
                    self.refresh(resource)?;
                }
                428 => return Err(Error::PreconditionRequired(Box::new(response))),
                _ => return Err(Error::Status(Box::new(response))),
            }
        }
    }
}

/// Copies into `data` the top-level fields of the server's answer that `data` already has
/// (such as Eve's `_etag` and `_updated`).
fn merge_answer(data: &mut Value, answer: &Value) {
    if let (Value::Object(data), Value::Object(answer)) = (data, answer) {
        for (k, v) in answer {
            if let Some(slot) = data.get_mut(k) {
                *slot = v.clone();
            }
        }
    }
}

/// The JSON merge patch (RFC 7386) that turns `old` into `new`, or `None` when they are equal.
pub(crate) fn merge_diff(old: &Value, new: &Value) -> Option<Value> {
    if old == new {
        return None;
    }
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for (k, nv) in n {
                match o.get(k) {
                    Some(ov) => {
                        if let Some(p) = merge_diff(ov, nv) {
                            patch.insert(k.clone(), p);
                        }
                    }
                    None => {
                        patch.insert(k.clone(), nv.clone());
                    }
                }
            }
            for k in o.keys() {
                if !n.contains_key(k) {
                    patch.insert(k.clone(), Value::Null);
                }
            }
            Some(Value::Object(patch))
        }
        _ => Some(new.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_diff_sends_only_what_changed() {
        let old = json!({"a": 1, "b": {"c": 2, "d": 3}, "gone": true, "same": [1]});
        let new = json!({"a": 2, "b": {"c": 2, "d": 4, "e": 5}, "same": [1], "added": "x"});
        assert_eq!(
            merge_diff(&old, &new).unwrap(),
            json!({"a": 2, "b": {"d": 4, "e": 5}, "gone": null, "added": "x"})
        );
        assert_eq!(merge_diff(&old, &old), None);
        assert_eq!(
            merge_diff(&json!({"l": [1]}), &json!({"l": [1, 2]})).unwrap(),
            json!({"l": [1, 2]})
        );
        assert_eq!(
            merge_diff(&json!({"o": {"x": 1}}), &json!({"o": 5})).unwrap(),
            json!({"o": 5})
        );
        assert_eq!(merge_diff(&json!(1), &json!([2])).unwrap(), json!([2]));
    }

    #[test]
    fn preconditions_prefer_the_etag_then_last_modified_and_yield_to_the_caller() {
        let mut r = Resource::from(json!({"_etag": "W/\"x\""}));
        let mut h = HeaderMap::new();
        add_preconditions(&mut h, &r).unwrap();
        assert_eq!(h[header::IF_MATCH], "W/\"x\"");

        r.set_etag(None);
        r.set_last_modified(Some("Wed, 21 Oct 2015 07:28:00 GMT".into()));
        let mut h = HeaderMap::new();
        add_preconditions(&mut h, &r).unwrap();
        assert!(!h.contains_key(header::IF_MATCH));
        assert_eq!(
            h[header::IF_UNMODIFIED_SINCE],
            "Wed, 21 Oct 2015 07:28:00 GMT"
        );

        let mut h = HeaderMap::new();
        h.insert(header::IF_MATCH, "*".parse().unwrap());
        add_preconditions(&mut h, &Resource::from(json!({"_etag": "e"}))).unwrap();
        assert_eq!(h[header::IF_MATCH], "*");
        assert_eq!(h.len(), 1);

        let mut h = HeaderMap::new();
        add_preconditions(&mut h, &Resource::from(json!({}))).unwrap();
        assert!(h.is_empty());
    }
}
