//! `impl Api { merge }`: after a `412`, read the server's version, merge it three ways with the
//! write that failed, and send the merged change conditionally on the version just read.

use std::fmt;
use std::ops::{Deref, DerefMut};

use serde_json::Value;
use ureq::http::{HeaderMap, Method};

use crate::api::Api;
use crate::body::Body;
use crate::error::{Conflict, Error, Result};
use crate::merge::{self, Merge};
use crate::meta::ResponseBody;
use crate::resource::Resource;
use crate::transport::{self, Prepared};
use crate::url;
use crate::write::{self, Holder, WriteIntent};

/// A three-way merge waiting to be sent, from [`Api::merge`]. It derefs to the [`Merge`]:
/// read its [`conflicts`](Merge::conflicts), [`resolve`](Merge::resolve) them, then
/// [`send`](Merging::send). Nothing is sent before `send`.
///
/// # Example
///
/// ```no_run
/// use halchemy::{Choice, Error};
/// use serde_json::json;
///
/// let api = halchemy::Api::new("http://localhost:2112")?;
/// let mut customer = api.using_endpoint("/customers/1").get()?;
/// match api.follow_mut(&mut customer).to("self").patch(json!({"city": "Pawnee"})) {
///     Err(Error::PreconditionFailed(conflict)) => {
///         let mut merging = api.merge(&mut customer, &conflict)?;
///         println!("{merging}");                      // the field-by-field report
///         merging.resolve_all(Choice::Mine);         // or resolve each pointer
///         merging.send()?;                           // If-Match: the version just read
///     }
///     other => { other?; }
/// }
/// # Ok::<(), halchemy::Error>(())
/// ```
#[must_use = "a merge is sent only by send()"]
pub struct Merging<'a> {
    api: &'a Api,
    resource: &'a mut Resource,
    merge: Merge,
    theirs: Resource,
    method: Method,
    /// The fields the failed PUT sent, so a merged PUT sends the same kind of document.
    put_fields: Option<Vec<String>>,
    /// The URL the failed write went to, its query included.
    url: String,
    /// The headers the failed write set itself (its credentials, say), sent again.
    headers: HeaderMap,
    /// The failed write's content type, when it was JSON.
    content_type: String,
}

impl Api {
    /// Starts resolving a conflict: after `conflict` (a `412` from a `put` or `patch` with a
    /// JSON body through [`follow_mut`](Api::follow_mut)), reads `resource`'s URL again and
    /// merges three versions: **base** (the resource's data, as the write saw it), **mine**
    /// (what the write would have made of it: the PUT body, or base with the merge patch
    /// applied) and **theirs** (the server's data now).
    ///
    /// A field only one side changed takes that side's value; a field both changed to
    /// different values is a conflict, reported with its JSON pointer and the three values.
    /// Objects merge field by field at any depth; arrays and scalars compare as whole values;
    /// HAL's parts and the top-level `_` fields the server changed (`_etag`, `_updated`)
    /// come from theirs (see [`Merge`](crate::Merge)).
    /// The resource is not changed until [`Merging::send`] succeeds.
    ///
    /// # Errors
    ///
    /// [`Error::NotMergeable`] for a conflict that did not come from such a write;
    /// the errors of reading the resource ([`Error::Network`], [`Error::Status`],
    /// [`Error::NotRepresentation`]).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use halchemy::Error;
    /// # let api = halchemy::Api::new("http://localhost:2112")?;
    /// # let mut r = api.using_endpoint("/customers/1").get()?;
    /// if let Err(Error::PreconditionFailed(conflict)) =
    ///     api.follow_mut(&mut r).to("self").patch(serde_json::json!({"name": "Kim"}))
    /// {
    ///     let merging = api.merge(&mut r, &conflict)?;
    ///     if merging.conflicts().is_empty() {
    ///         merging.send()?;
    ///     }
    /// }
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn merge<'a>(
        &'a self,
        resource: &'a mut Resource,
        conflict: &Conflict,
    ) -> Result<Merging<'a>> {
        let Some((url, intent)) = &conflict.intent else {
            return Err(Error::NotMergeable {
                reason: "only a put or patch of a json body through follow_mut to the resource's own url can be merged (a write with parameters added or through a templated self link may have gone to another resource, so it cannot be); refresh the resource and write again".to_owned(),
            });
        };
        if !write::is_own_url(self, resource, url) {
            return Err(Error::NotMergeable {
                reason: format!(
                    "the failed write went to {}, which is not this resource's own url: merge the conflict into the resource the write was made through",
                    url::redacted(url)
                ),
            });
        }
        // The base is the version the failed write was made on: the resource must still hold
        // it. After a refresh or another write, the base would be the server's newer version
        // and the failed write's stale fields would count as changes of mine.
        let holds_that_version = match (&conflict.sent_etag, &conflict.sent_date) {
            (Some(sent), _) => resource.sent_etag().as_deref() == Some(sent.as_str()),
            (None, Some(sent)) => {
                resource.etag().is_none() && resource.last_modified() == Some(sent.as_str())
            }
            (None, None) => false,
        };
        if !holds_that_version {
            return Err(Error::NotMergeable {
                reason: "the resource no longer holds the version the failed write was made on (it was refreshed or written since the 412)".to_owned(),
            });
        }
        let mine = match intent {
            WriteIntent::Delete => None,
            i => i.apply(resource.version_data()),
        };
        let Some(mine) = mine else {
            return Err(Error::NotMergeable {
                reason: "a delete has nothing to merge".to_owned(),
            });
        };
        let sent = &conflict.response.meta().request.headers;
        let headers = own_headers(self, sent);
        let content_type = json_content_type(sent);
        let theirs = read(self, url, headers.clone())?;
        let put_fields = match intent {
            WriteIntent::Replace(Value::Object(body)) => Some(body.keys().cloned().collect()),
            _ => None,
        };
        let method = match intent {
            WriteIntent::Replace(_) => Method::PUT,
            _ => Method::PATCH,
        };
        Ok(Merging {
            api: self,
            merge: Merge::new(resource.version_data(), &mine, theirs.data()),
            resource,
            theirs,
            method,
            put_fields,
            url: url.clone(),
            headers,
            content_type,
        })
    }
}

/// The server's current version of `url`: a plain GET that must answer with JSON.
/// Headers that describe one body or one attempt (its digest, its encoding, its idempotency
/// key): the merged write has a body of its own and is another attempt.
const OF_THE_BODY: [&str; 8] = [
    "content-type",
    "content-encoding",
    "content-length",
    "content-md5",
    "content-digest",
    "repr-digest",
    "digest",
    "idempotency-key",
];

/// The headers a write sent that the Api does not send the same way: those the request set
/// itself (its credentials, say), without its precondition and what belongs to its body.
fn own_headers(api: &Api, sent: &HeaderMap) -> HeaderMap {
    let mut own = HeaderMap::new();
    for (name, value) in sent {
        let default = api.config.headers.get_all(name).iter().any(|d| d == value);
        let replaced =
            transport::PRECONDITIONS.contains(name) || OF_THE_BODY.contains(&name.as_str());
        if !default && !replaced {
            own.append(name.clone(), value.clone());
        }
    }
    own
}

/// The content type of the merged write: the failed write's when it was JSON
/// (`application/merge-patch+json`, say), else `application/json`.
fn json_content_type(sent: &HeaderMap) -> String {
    sent.get(ureq::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|t| t.trim().ends_with("json"))
        })
        .unwrap_or("application/json")
        .to_owned()
}

/// Reads the server's version at `url` for a merge, with `headers` over the Api's.
pub(crate) fn read(api: &Api, url: &str, headers: HeaderMap) -> Result<Resource> {
    let prepared = Prepared::new(
        api,
        Method::GET,
        url.to_owned(),
        headers,
        None,
        api.config.timeout,
    )?;
    let theirs = transport::exchange_raising(api, prepared)?;
    match theirs.status() {
        200..=299 if theirs.meta().response.body == ResponseBody::Json => Ok(theirs),
        400.. => Err(Error::Status(Box::new(theirs))),
        _ => Err(Error::NotRepresentation(Box::new(theirs))),
    }
}

impl<'a> Merging<'a> {
    /// The server's version the merge was made against (the one `send` writes over).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn show(m: &halchemy::Merging<'_>) {
    /// println!("theirs: {}", m.theirs());
    /// # }
    /// ```
    pub fn theirs(&self) -> &Resource {
        &self.theirs
    }

    /// Sends the merged change with `If-Match` set to the ETag of the version just read — so
    /// a third writer in the meantime yields another `412`, never a lost update — and on
    /// success brings the resource forward to the merged version. A PATCH sends the merge
    /// patch from theirs to the merged document; a PUT sends the merged document. When the
    /// merged document is theirs, nothing is sent and the resource becomes theirs.
    ///
    /// The merged write goes where the failed one went, its query included, with the headers
    /// the failed write set itself (its own credentials, say); [`Api::merge`] read theirs
    /// the same way.
    ///
    /// A merged PUT leaves out the server's fields the failed PUT left out: HAL's parts and
    /// the top-level `_` fields of the version read (Eve answers `unknown field` to a PUT
    /// that sends `_updated`). On a server that lets clients write such a `_` field and erases
    /// it when a PUT leaves it out, send it in your PUT bodies, or write with PATCH, whose
    /// merge sends only the changes.
    ///
    /// # Errors
    ///
    /// [`Error::UnresolvedConflicts`] (nothing sent) while a conflict is open; otherwise as a
    /// `put` or `patch` through [`Api::follow_mut`]; on any error the resource is untouched.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn go(merging: halchemy::Merging<'_>) -> halchemy::Result<()> {
    /// let answer = merging.send()?;
    /// # Ok(()) }
    /// ```
    pub fn send(self) -> Result<Resource> {
        let merged = self.merge.result()?;
        let body = match self.method {
            Method::PUT => put_body(
                &merged,
                self.resource.version_data(),
                self.put_fields.as_deref(),
            ),
            _ => match merge::merge_patch_between(self.theirs.data(), &merged) {
                Some(patch) => patch,
                None => {
                    *self.resource = self.theirs.clone();
                    return Ok(self.theirs);
                }
            },
        };
        let prepared = Prepared::new(
            self.api,
            self.method,
            self.url,
            self.headers,
            Some(Body::value(body, self.content_type)),
            self.api.config.timeout,
        )?;
        let mut next = self.theirs;
        if next.etag().is_none() {
            return Err(Error::Unconditional {
                url: url::redacted(&prepared.url).into_owned(),
                reason:
                    "the server gives the resource no etag to make the merged write conditional on"
                        .to_owned(),
            });
        }
        // The failed write was judged to go to the resource's own URL; the merged one goes
        // to the same URL.
        let answer = write::write_judged(
            self.api,
            prepared,
            Holder::Exclusive(&mut next),
            true,
            write::Ownership::Own,
        )?;
        if !write::succeeded(&answer) {
            return Err(Error::Status(Box::new(answer)));
        }
        *self.resource = next;
        Ok(answer)
    }
}

/// A merged PUT body: the merged document without the server's `_` fields — HAL's parts,
/// and the `_` fields the version read had (`_etag`, `_updated`) — except those the failed
/// PUT sent itself. A `_` field someone else added since is sent like any other field they
/// added: a PUT without it would delete it.
fn put_body(merged: &Value, base: &Value, sent: Option<&[String]>) -> Value {
    let keep = |k: &String| {
        let hal = crate::hal::is_hal_part(k);
        !k.starts_with('_')
            || sent.is_some_and(|s| s.contains(k))
            || (!hal && base.get(k.as_str()).is_none())
    };
    match merged {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Deref for Merging<'_> {
    type Target = Merge;

    fn deref(&self) -> &Merge {
        &self.merge
    }
}

impl DerefMut for Merging<'_> {
    fn deref_mut(&mut self) -> &mut Merge {
        &mut self.merge
    }
}

impl fmt::Display for Merging<'_> {
    /// The field-by-field report of the merge (as [`Merge`]'s).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.merge, f)
    }
}

impl fmt::Debug for Merging<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Merging")
            .field("method", &self.method)
            .field("merge", &self.merge)
            .field("theirs_etag", &self.theirs.etag())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merged_put_sends_no_server_fields_it_did_not_send() {
        let merged = json!({"_links": {}, "_etag": "x", "_own": 1, "_new": 3, "a": 2});
        let base = json!({"_links": {}, "_etag": "w", "_own": 0, "a": 1});
        assert_eq!(
            put_body(&merged, &base, Some(&["_own".to_owned(), "a".to_owned()])),
            json!({"_own": 1, "_new": 3, "a": 2}),
            "`_new`, added by someone else since, is kept"
        );
    }
}
