//! `impl Api { refresh, update }`: bring a resource in step with the server, and change it
//! without losing anyone else's update.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use serde_json::Value;
use ureq::http::{HeaderMap, Method, header};

use crate::api::Api;
use crate::body::Body;
use crate::error::{Error, Result};
use crate::merge::{self, Merge};
use crate::meta::ResponseBody;
use crate::resource::Resource;
use crate::transport::{self, Prepared};
use crate::url;
use crate::write::{self, Holder};

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
    /// `304 Not Modified` (or a `200` naming the version already held, while the resource
    /// holds a draft, which stays): the data and validators were already current.
    NotModified,
    /// `200`: the data and validators were replaced, together, by the server's (a draft
    /// made with `data_mut` on the version read stays on top when the server still has that
    /// version).
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

/// How [`Api::update_with`] works, where it differs from the Api's settings.
///
/// # Example
///
/// ```no_run
/// use halchemy::UpdateOptions;
///
/// let api = halchemy::Api::new("http://localhost:2112")?;
/// let mut r = api.using_endpoint("/notes/1").get()?;
/// let options = UpdateOptions::new().attempts(3);
/// api.update_with(&mut r, &options, |data| data["seen"] = true.into())?;
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct UpdateOptions {
    attempts: Option<u32>,
    allow_unconditional: bool,
    merge_on_conflict: bool,
}

impl UpdateOptions {
    /// The Api's settings, unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// let options = halchemy::UpdateOptions::new();
    /// ```
    pub fn new() -> Self {
        UpdateOptions::default()
    }

    /// How many PATCHes to try (at least 1). Defaults to the Api's
    /// [`update_attempts`](Api::update_attempts).
    ///
    /// # Example
    ///
    /// ```
    /// let options = halchemy::UpdateOptions::new().attempts(30);
    /// ```
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = Some(attempts.max(1));
        self
    }

    /// Lets `update` write a resource whose server gives it no ETag: with only a
    /// `Last-Modified` date the PATCH carries `If-Unmodified-Since` (one-second resolution:
    /// two writes within the same second can both pass), and with no validator at all it
    /// carries no precondition and can overwrite a concurrent change. Off by default:
    /// `update` then refuses with [`Error::Unconditional`] and sends nothing.
    ///
    /// # Example
    ///
    /// ```
    /// let options = halchemy::UpdateOptions::new().allow_unconditional();
    /// ```
    pub fn allow_unconditional(mut self) -> Self {
        self.allow_unconditional = true;
        self
    }

    /// On a `412`, merges instead of applying the change again: the server's version is read
    /// and merged three ways with the change (see [`Api::merge`]); fields only one side
    /// changed are kept, and the merged change is sent conditionally on the version read.
    /// When both sides changed a field differently, `update` stops with
    /// [`Error::MergeConflicts`] holding the report. The closure runs once.
    ///
    /// # Example
    ///
    /// ```
    /// let options = halchemy::UpdateOptions::new().merge_on_conflict();
    /// ```
    pub fn merge_on_conflict(mut self) -> Self {
        self.merge_on_conflict = true;
        self
    }
}

impl Api {
    /// Reloads `resource` from its own URL (its `self` link, else the URL it was read from)
    /// with a conditional GET: `If-None-Match` with its ETag, or `If-Modified-Since` when it
    /// only has a `Last-Modified` date. After a write whose new data was worked out here (the
    /// PUT body or merge patch applied to the version read), the GET is not conditional: what
    /// the server keeps itself (links that depend on the state, fields it computes) is read.
    ///
    /// `304` keeps its data and validators (its `meta()` records the 304); a `200` with a JSON
    /// body replaces its data, validators and meta together. Anything else leaves it exactly as
    /// it was and is an error.
    ///
    /// # Errors
    ///
    /// [`Error::RelNotFound`] without a `self` link or a URL it was read from,
    /// [`Error::Network`] (always raised here), [`Error::Status`] for a 4xx or 5xx, and
    /// [`Error::NotRepresentation`] for any other answer (a `204`, a body that is not JSON).
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
        let url = write::own_url(self, resource)?;
        let mut headers = HeaderMap::new();
        let v = resource.validators();
        // Data worked out here after a write is not the server's representation: it is read
        // whole, whatever the validators say.
        let conditional = !v.predicted;
        if let Some(etag) = v.etag.value(resource.data(), resource.etag_field())
            && conditional
        {
            headers.insert(header::IF_NONE_MATCH, etag);
        } else if let Some(date) = v.last_modified.as_ref().filter(|_| conditional) {
            headers.insert(header::IF_MODIFIED_SINCE, date.clone());
        }
        let prepared = Prepared::new(self, Method::GET, url, headers, None, self.config.timeout)?;
        let response = transport::exchange_raising(self, prepared)?;
        match response.status() {
            304 => {
                resource.set_meta(std::sync::Arc::clone(response.meta_arc()));
                Ok(Refresh::NotModified)
            }
            // A 200 with the version already held (a server that ignores If-None-Match, or the
            // whole read after a write worked out here) is no newer version: a draft made with
            // `data_mut` stays. Worked out here, the version is taken as the server has it,
            // with the draft on top.
            200..=299 if resource.draft().is_some() && same_version(&response, resource) => {
                if resource.validators().predicted
                    && response.meta().response.body == ResponseBody::Json
                {
                    // The draft's edits go over the server's version as they were made over
                    // the version worked out here: a three-way merge, the edits winning.
                    let mut merge = crate::merge::Merge::new(
                        resource.version_data(),
                        resource.data(),
                        response.data(),
                    );
                    merge.resolve_all(crate::Choice::Mine);
                    let merged = merge.result()?;
                    *resource = response;
                    *resource.data_mut() = merged;
                    return Ok(Refresh::Replaced);
                }
                resource.set_meta(std::sync::Arc::clone(response.meta_arc()));
                Ok(Refresh::NotModified)
            }
            200..=299 if response.meta().response.body == ResponseBody::Json => {
                *resource = response;
                Ok(Refresh::Replaced)
            }
            400.. => Err(Error::Status(Box::new(response))),
            _ => Err(Error::NotRepresentation(Box::new(response))),
        }
    }

    /// Changes `resource` with `change` and saves it without losing anyone else's update.
    ///
    /// `change` edits a copy of the data. The fields that differ are sent as a JSON merge
    /// patch (changed and added fields; `null` for removed ones) to the resource's own URL
    /// with `If-Match`, and on success applied to the resource (a `null` removes the field)
    /// with the server's new validators. On `412` the resource is refreshed and `change`
    /// applied again after a random pause that grows with each conflict (exponential backoff
    /// with full jitter), up to [`update_attempts`](Api::update_attempts) PATCHes. When
    /// `change` changes nothing, nothing is sent. A resource without validators is refreshed
    /// first to get an ETag.
    ///
    /// `change` sees the whole document, but HAL's own parts (`_links`, `_embedded`,
    /// `_templates`) are the server's: a change to them is never sent, and neither is the
    /// removal of a top-level `_` field (`_etag`, `_updated`), so replacing the data with a
    /// typed value's (`*data = serde_json::to_value(&item)?`) keeps the links and sends only
    /// the fields the type changed.
    ///
    /// Edits made beforehand with [`Resource::data_mut`] (a draft) are sent with the change.
    /// After a conflict the draft is merged three ways into the version read again (see
    /// [`Api::merge`]): a field someone else changed to another value is an
    /// [`Error::MergeConflicts`], never overwritten. On any error a resource that held a draft
    /// is put back exactly as it was, draft included.
    ///
    /// `update` never reports `Ok` for a write it could not make conditional on an ETag: see
    /// [`UpdateOptions::allow_unconditional`].
    ///
    /// # Errors
    ///
    /// - [`Error::PreconditionFailed`] when every attempt met a conflict (the resource then
    ///   holds the version it was last refreshed to, never the change; or, with a draft, is as
    ///   it was);
    /// - [`Error::MergeConflicts`] when a draft and another client changed the same field;
    /// - [`Error::EtagRejected`] when a refresh after a `412` shows that the ETag sent is still
    ///   current: the server will never accept it (a weak ETag under `If-Match`'s strong
    ///   comparison), so `update` stops at once;
    /// - [`Error::Unconditional`] when the resource has no ETag even after a refresh;
    /// - [`Error::Network`], at once (the PATCH may or may not have been applied: applying the
    ///   change again could apply it twice);
    /// - [`Error::PreconditionRequired`], [`Error::Status`], and the errors of
    ///   [`refresh`](Api::refresh).
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
    pub fn update<F>(&self, resource: &mut Resource, change: F) -> Result<Updated>
    where
        F: FnMut(&mut Value),
    {
        self.update_with(resource, &UpdateOptions::default(), change)
    }

    /// [`update`](Api::update) with options.
    ///
    /// # Errors
    ///
    /// As [`update`](Api::update).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use halchemy::UpdateOptions;
    ///
    /// let api = halchemy::Api::new("http://localhost:2112")?;
    /// let mut r = api.using_endpoint("/legacy/1").get()?;   // a server with no ETags
    /// api.update_with(&mut r, &UpdateOptions::new().allow_unconditional(), |data| {
    ///     data["note"] = "last writer wins here".into();
    /// })?;
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn update_with<F>(
        &self,
        resource: &mut Resource,
        options: &UpdateOptions,
        change: F,
    ) -> Result<Updated>
    where
        F: FnMut(&mut Value),
    {
        // A draft made with `data_mut` is never lost: on an error the resource is put back.
        let original = resource.draft().is_some().then(|| resource.clone());
        let out = self.update_from(resource, options, change);
        if let (Err(_), Some(original)) = (&out, original) {
            *resource = original;
        }
        out
    }

    /// [`update_with`](Api::update_with), leaving the resource as the last attempt left it.
    fn update_from<F>(
        &self,
        resource: &mut Resource,
        options: &UpdateOptions,
        mut change: F,
    ) -> Result<Updated>
    where
        F: FnMut(&mut Value),
    {
        let attempts = options.attempts.unwrap_or(self.config.update_attempts);
        // Edits made in hand with `data_mut` go out with the change, on every attempt: merged
        // three ways into each newer version read, so a field someone else changed too is a
        // conflict, never overwritten.
        let draft = resource
            .draft()
            .map(|_| (resource.version_data().clone(), resource.data().clone()));
        let with_draft = |r: &Resource| -> Result<Value> {
            match &draft {
                None => Ok(r.version_data().clone()),
                Some((base, mine)) if base == r.version_data() => Ok(mine.clone()),
                Some((base, mine)) => {
                    let merge = Merge::new(base, mine, r.version_data());
                    merge
                        .result()
                        .map_err(|_| Error::MergeConflicts(Box::new(merge)))
                }
            }
        };
        if !resource.has_validators() {
            self.refresh(resource)?;
        }
        let mut url = write::own_url(self, resource)?;
        let mut conflicts = 0;
        // The merge policy compares the version the change was made on with the server's.
        let base = options
            .merge_on_conflict
            .then(|| resource.version_data().clone());
        let mut changed = with_draft(resource)?;
        change(&mut changed);
        let mine = base.is_some().then(|| changed.clone());
        loop {
            // Every attempt: a version refreshed after a conflict may have lost its ETag.
            if resource.etag().is_none() && !options.allow_unconditional {
                return Err(unconditional(resource, &url));
            }
            let patch = merge::merge_patch_between(resource.version_data(), &changed);
            let Some(patch) = patch.and_then(without_server_parts) else {
                return Ok(Updated {
                    conflicts,
                    response: None,
                });
            };
            let body = Body::value(patch, self.config.update_content_type.clone());
            let prepared = Prepared::new(
                self,
                Method::PATCH,
                url.clone(),
                HeaderMap::new(),
                Some(body),
                self.config.timeout,
            )?;
            let err = match write::write_with(self, prepared, Holder::Exclusive(resource), true) {
                Ok(response) if write::succeeded(&response) => {
                    return Ok(Updated {
                        conflicts,
                        response: Some(response),
                    });
                }
                Ok(refused) => return Err(Error::Status(Box::new(refused))),
                Err(Error::PreconditionFailed(c)) => c,
                Err(other) => return Err(other),
            };
            conflicts += 1;
            if conflicts >= attempts {
                return Err(Error::PreconditionFailed(err));
            }
            log::debug!(target: "halchemy", "update conflict {conflicts} on {}", url::redacted(&url));
            std::thread::sleep(backoff(self, conflicts));
            let sent = err.sent_etag.as_deref();
            match (&base, &mine) {
                (Some(base), Some(mine)) => {
                    let theirs = crate::merging::read(self, &url, ureq::http::HeaderMap::new())?;
                    if theirs.sent_etag().as_deref() == sent {
                        return Err(Error::EtagRejected(err));
                    }
                    let merge = Merge::new(base, mine, theirs.data());
                    *resource = theirs;
                    url = write::own_url(self, resource)?;
                    changed = match merge.result() {
                        Ok(merged) => merged,
                        Err(_) => return Err(Error::MergeConflicts(Box::new(merge))),
                    };
                }
                _ => {
                    let refreshed = self.refresh(resource)?;
                    if refreshed == Refresh::NotModified || resource.sent_etag().as_deref() == sent
                    {
                        return Err(Error::EtagRejected(err));
                    }
                    // The refresh may have followed the resource to a new address.
                    url = write::own_url(self, resource)?;
                    changed = with_draft(resource)?;
                    change(&mut changed);
                }
            }
        }
    }
}

/// Why `update` will not write `r`: it has no ETag to make the PATCH conditional on.
/// A patch without the server's parts: HAL's links, embedded resources and templates, and
/// the removal of any top-level `_` field (`_etag`, `_updated`: a closure that replaces the
/// data with a typed value's leaves them out, which is not a change to send).
fn without_server_parts(mut patch: Value) -> Option<Value> {
    if let Value::Object(fields) = &mut patch {
        fields.retain(|k, v| {
            let hal = crate::hal::is_hal_part(k);
            !(hal || (k.starts_with('_') && v.is_null()))
        });
        if fields.is_empty() {
            return None;
        }
    }
    Some(patch)
}

/// Whether a `200` to a refresh names the version `held` holds: the same entity tag, quoted or
/// bare; without entity tags, the same `Last-Modified`.
fn same_version(response: &Resource, held: &Resource) -> bool {
    match (response.sent_etag(), held.sent_etag()) {
        (Some(theirs), Some(mine)) => crate::validators::same_version(&theirs, &mine),
        (None, None) => response
            .last_modified()
            .is_some_and(|date| held.last_modified() == Some(date)),
        _ => false,
    }
}

fn unconditional(r: &Resource, url: &str) -> Error {
    let reason = match r.last_modified() {
        Some(_) => {
            "the server gives it only a last-modified date, whose one-second resolution cannot order two writes within a second"
        }
        None => "the server gives it no etag",
    };
    let reason = format!("{reason} (opt in with UpdateOptions::allow_unconditional)");
    Error::Unconditional {
        url: url::redacted(url).into_owned(),
        reason,
    }
}

/// The pause before attempt `conflicts + 1`: a random time up to
/// `min(cap, base × 2^(conflicts - 1))` (full jitter).
fn backoff(api: &Api, conflicts: u32) -> Duration {
    let b = api.config.backoff;
    let ceiling = b
        .base
        .saturating_mul(1u32 << conflicts.saturating_sub(1).min(20))
        .min(b.cap);
    ceiling.mul_f64(random_fraction())
}

/// A random number in `[0, 1)`, good enough to spread retries apart.
fn random_fraction() -> f64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_is_random() {
        let api = crate::Api::builder()
            .no_config_file()
            .update_backoff(Duration::from_millis(10), Duration::from_millis(100))
            .build()
            .unwrap();
        for conflicts in 1..40 {
            let d = backoff(&api, conflicts);
            let ceiling = Duration::from_millis(10 * (1 << (conflicts - 1).min(20)))
                .min(Duration::from_millis(100));
            assert!(d <= ceiling, "{conflicts}: {d:?}");
        }
        let samples: Vec<_> = (0..50).map(|_| backoff(&api, 5)).collect();
        assert!(
            samples.iter().any(|d| *d != samples[0]),
            "not random: {samples:?}"
        );
        let fractions: Vec<f64> = (0..1000).map(|_| random_fraction()).collect();
        assert!(fractions.iter().all(|f| (0.0..1.0).contains(f)));
        let mean = fractions.iter().sum::<f64>() / 1000.0;
        assert!((0.4..0.6).contains(&mean), "{mean}");
    }
}
