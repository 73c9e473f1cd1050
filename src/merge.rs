//! Three-way merge of JSON documents, for a write that met a `412`, and JSON merge patches
//! (RFC 7396): applying one and computing the one between two documents.
//!
//! The merge's rules are documented on [`Merge`].

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::url::RedactedJson;

/// How to settle one conflict of a [`Merge`].
///
/// # Example
///
/// ```
/// use halchemy::{Choice, Merge};
/// use serde_json::json;
///
/// let mut merge = Merge::new(&json!({"n": 1}), &json!({"n": 2}), &json!({"n": 3}));
/// merge.resolve("/n", Choice::Value(json!(5)))?;
/// assert_eq!(merge.result()?, json!({"n": 5}));
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub enum Choice {
    /// Keep mine: the value the client's write had (absent when it removed the field).
    Mine,
    /// Keep theirs: the server's value (absent when the server removed the field).
    Theirs,
    /// Use this value instead of either.
    Value(Value),
    /// Remove the field. At the root (pointer `""`) the document becomes `null`.
    Remove,
}

impl Choice {
    /// The value this choice puts at the conflict's field; `None` leaves the field out.
    fn pick(&self, conflict: &FieldConflict) -> Option<Value> {
        match self {
            Choice::Mine => conflict.mine.clone(),
            Choice::Theirs => conflict.theirs.clone(),
            Choice::Value(v) => Some(v.clone()),
            Choice::Remove => None,
        }
    }
}

/// `mine`, `theirs`, `remove`, or `value` and the value as compact JSON.
///
/// # Example
///
/// ```
/// use halchemy::Choice;
///
/// assert_eq!(Choice::Mine.to_string(), "mine");
/// assert_eq!(Choice::Value(serde_json::json!([1])).to_string(), "value [1]");
/// ```
impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Mine => f.write_str("mine"),
            Choice::Theirs => f.write_str("theirs"),
            Choice::Value(v) => write!(f, "value {}", RedactedJson(v)),
            Choice::Remove => f.write_str("remove"),
        }
    }
}

/// A field both sides changed to different values, with its three versions and how it was
/// resolved so far.
///
/// `None` in `base`, `mine` or `theirs` means the field is absent in that version.
///
/// # Example
///
/// ```
/// use halchemy::Merge;
/// use serde_json::json;
///
/// let merge = Merge::new(&json!({"n": 1}), &json!({}), &json!({"n": 3}));
/// let conflict = &merge.conflicts()[0];
/// assert_eq!(conflict.pointer, "/n");
/// assert_eq!(conflict.base, Some(json!(1)));
/// assert_eq!(conflict.mine, None);                 // mine removed it
/// assert_eq!(conflict.theirs, Some(json!(3)));
/// assert_eq!(conflict.resolution(), None);
/// ```
#[derive(Clone, PartialEq)]
pub struct FieldConflict {
    /// Where the field is: a JSON pointer (RFC 6901), `/` before each key, `~` in a key written
    /// `~0` and `/` written `~1`; `""` is the whole document.
    pub pointer: String,
    /// The field as the client last read it.
    pub base: Option<Value>,
    /// The field as the client's write would have made it.
    pub mine: Option<Value>,
    /// The field as the server has it now.
    pub theirs: Option<Value>,
    resolution: Option<Choice>,
}

impl FieldConflict {
    /// How the conflict was resolved, `None` while it is open.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Choice, Merge};
    /// use serde_json::json;
    ///
    /// let mut merge = Merge::new(&json!({"n": 1}), &json!({"n": 2}), &json!({"n": 3}));
    /// merge.resolve("/n", Choice::Theirs)?;
    /// assert_eq!(merge.conflicts()[0].resolution(), Some(&Choice::Theirs));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn resolution(&self) -> Option<&Choice> {
        self.resolution.as_ref()
    }
}

/// Four lines: the pointer (quoted, with the resolution or `open`), then base, mine and theirs
/// as compact JSON, `(absent)` where the field is missing.
///
/// # Example
///
/// ```
/// use halchemy::Merge;
/// use serde_json::json;
///
/// let merge = Merge::new(&json!({"n": 1}), &json!({}), &json!({"n": 3}));
/// assert_eq!(
///     merge.conflicts()[0].to_string(),
///     "conflict at \"/n\" (open)\n  base:   1\n  mine:   (absent)\n  theirs: 3"
/// );
/// ```
impl fmt::Display for FieldConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.resolution {
            Some(choice) => writeln!(f, "conflict at {:?} (resolved: {choice})", self.pointer)?,
            None => writeln!(f, "conflict at {:?} (open)", self.pointer)?,
        }
        writeln!(f, "  base:   {}", Shown(&self.base))?;
        writeln!(f, "  mine:   {}", Shown(&self.mine))?;
        write!(f, "  theirs: {}", Shown(&self.theirs))
    }
}

/// `Debug` with the passwords of URLs in the values redacted, as everywhere in halchemy.
impl fmt::Debug for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Mine => f.write_str("Mine"),
            Choice::Theirs => f.write_str("Theirs"),
            Choice::Value(v) => f.debug_tuple("Value").field(&RedactedJson(v)).finish(),
            Choice::Remove => f.write_str("Remove"),
        }
    }
}

/// `Debug` with the passwords of URLs in the values redacted.
impl fmt::Debug for FieldConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn shown(v: &Option<Value>) -> Option<RedactedJson<'_>> {
            v.as_ref().map(RedactedJson)
        }
        f.debug_struct("FieldConflict")
            .field("pointer", &self.pointer)
            .field("base", &shown(&self.base))
            .field("mine", &shown(&self.mine))
            .field("theirs", &shown(&self.theirs))
            .field("resolution", &self.resolution)
            .finish()
    }
}

/// `Debug` with the passwords of URLs in the values redacted.
impl fmt::Debug for Merge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Merge")
            .field("clean", &RedactedJson(&self.clean))
            .field("conflicts", &self.conflicts)
            .field("from_mine", &self.from_mine)
            .field("from_theirs", &self.from_theirs)
            .finish()
    }
}

/// A value that may be absent, as compact JSON or `(absent)`.
struct Shown<'a>(&'a Option<Value>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{}", RedactedJson(v)),
            None => f.write_str("(absent)"),
        }
    }
}

/// The outcome of a three-way merge: the fields that merged cleanly, and the conflicts to
/// resolve before the merged document can be sent.
///
/// The merge compares three versions of a document: *base* (what the client last read), *mine*
/// (what the client's write would make of it) and *theirs* (the server's current data).
///
/// # Rules
///
/// - Objects merge field by field, at any depth. Arrays and scalars (strings, numbers, booleans,
///   `null`) are compared as whole values: two different edits of one array are one conflict,
///   never an element-wise merge.
/// - A field changed, added or removed by one side only takes that side's value (a removal
///   removes it). Both sides making the same change is no conflict.
/// - Both sides changing a field to different values is a [`FieldConflict`]; so is a removal on
///   one side and a change on the other, and an addition on both sides with different values.
///   Where both sides hold an object, the objects merge field by field instead (even when base
///   held something else there). When one side turns an object into a scalar or an array (or
///   the other way) and the other side changed it too, the conflict is at that field.
/// - Server-owned fields take theirs (absent if the server has none), never a conflict, and
///   are not listed: HAL's parts (`_links`, `_embedded`, `_templates`), and every other
///   top-level key starting with `_` that mine did not change or left out (`_etag`,
///   `_updated`, ...: mine never removes one, so a merge patch's `null` for such a field is
///   not carried into a merge). A top-level `_` field mine changed merges like any other:
///   kept, or a conflict when theirs changed it too. The rule applies when both mine and theirs are objects; a `_` key deeper
///   in the document is ordinary data.
///
/// # Example
///
/// ```
/// use halchemy::{Choice, Merge};
/// use serde_json::json;
///
/// let base = json!({"_etag": "v1", "name": "Kim", "city": "Oslo", "phone": "1"});
/// let mine = json!({"_etag": "v1", "name": "Lee", "city": "Oslo", "phone": "2"});
/// let theirs = json!({"_etag": "v2", "name": "Sam", "city": "Bergen", "phone": "1"});
///
/// let mut merge = Merge::new(&base, &mine, &theirs);
/// assert_eq!(merge.unresolved(), ["/name"]);
/// assert_eq!(merge.merged_from_mine(), ["/phone"]);
/// assert_eq!(merge.merged_from_theirs(), ["/city"]);   // `_etag`, the server's: unlisted
///
/// merge.resolve("/name", Choice::Mine)?;
/// assert_eq!(
///     merge.result()?,
///     json!({"_etag": "v2", "name": "Lee", "city": "Bergen", "phone": "2"})
/// );
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Merge {
    /// The merged document without the conflicting fields.
    clean: Value,
    conflicts: Vec<FieldConflict>,
    from_mine: Vec<String>,
    from_theirs: Vec<String>,
}

impl Merge {
    /// Merges `mine` and `theirs`, two edits of `base`.
    ///
    /// Never fails: what cannot be merged is a [`FieldConflict`] in
    /// [`conflicts`](Merge::conflicts), open until resolved.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Merge;
    /// use serde_json::json;
    ///
    /// let base = json!({"a": {"x": 1, "y": 1}});
    /// let mine = json!({"a": {"x": 2, "y": 1}});
    /// let theirs = json!({"a": {"x": 1, "y": 3}});
    /// let merge = Merge::new(&base, &mine, &theirs);
    /// assert_eq!(merge.result()?, json!({"a": {"x": 2, "y": 3}}));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn new(base: &Value, mine: &Value, theirs: &Value) -> Merge {
        let mut walk = Walk::default();
        let clean = match (mine, theirs) {
            (Value::Object(m), Value::Object(t)) => {
                Value::Object(walk.fields("", base.as_object(), m, t, true))
            }
            _ => walk
                .value(String::new(), Some(base), Some(mine), Some(theirs))
                .unwrap_or(Value::Null),
        };
        Merge {
            clean,
            conflicts: walk.conflicts,
            from_mine: walk.from_mine,
            from_theirs: walk.from_theirs,
        }
    }

    /// Every conflict, open or resolved, in the order of their pointers.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Merge;
    /// use serde_json::json;
    ///
    /// let merge = Merge::new(&json!({"n": 1}), &json!({"n": 2}), &json!({"n": 3}));
    /// for conflict in merge.conflicts() {
    ///     println!("{conflict}");
    /// }
    /// assert_eq!(merge.conflicts().len(), 1);
    /// ```
    pub fn conflicts(&self) -> &[FieldConflict] {
        &self.conflicts
    }

    /// The pointers of the conflicts still open; empty when [`result`](Merge::result) can
    /// succeed.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Merge;
    /// use serde_json::json;
    ///
    /// let merge = Merge::new(&json!({"n": 1}), &json!({"n": 2}), &json!({"n": 3}));
    /// assert_eq!(merge.unresolved(), ["/n"]);
    /// ```
    pub fn unresolved(&self) -> Vec<&str> {
        self.conflicts
            .iter()
            .filter(|c| c.resolution.is_none())
            .map(|c| c.pointer.as_str())
            .collect()
    }

    /// The pointers of the changes of mine that merged cleanly (a change both sides made alike
    /// is listed here and in [`merged_from_theirs`](Merge::merged_from_theirs)).
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Merge;
    /// use serde_json::json;
    ///
    /// let merge = Merge::new(&json!({"a": 1}), &json!({"a": 2, "b": 1}), &json!({"a": 1}));
    /// assert_eq!(merge.merged_from_mine(), ["/a", "/b"]);
    /// ```
    pub fn merged_from_mine(&self) -> &[String] {
        &self.from_mine
    }

    /// The pointers of the server's changes that merged cleanly (server-owned fields, taken
    /// from theirs anyway, are not listed).
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::Merge;
    /// use serde_json::json;
    ///
    /// let merge = Merge::new(&json!({"a": 1}), &json!({"a": 1}), &json!({}));
    /// assert_eq!(merge.merged_from_theirs(), ["/a"]);
    /// ```
    pub fn merged_from_theirs(&self) -> &[String] {
        &self.from_theirs
    }

    /// Resolves the conflict at `pointer` (exactly as in [`FieldConflict::pointer`], escapes
    /// included); resolving it again replaces the earlier choice.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchConflict`] when no conflict has this pointer; it lists the ones that do.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Choice, Error, Merge};
    /// use serde_json::json;
    ///
    /// let mut merge = Merge::new(&json!({"a/b": 1}), &json!({"a/b": 2}), &json!({"a/b": 3}));
    /// merge.resolve("/a~1b", Choice::Remove)?;
    /// assert_eq!(merge.result()?, json!({}));
    /// assert!(matches!(merge.resolve("/a/b", Choice::Mine), Err(Error::NoSuchConflict { .. })));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn resolve(&mut self, pointer: &str, choice: Choice) -> Result<()> {
        match self.conflicts.iter().position(|c| c.pointer == pointer) {
            Some(i) => {
                self.conflicts[i].resolution = Some(choice);
                Ok(())
            }
            None => Err(Error::NoSuchConflict {
                pointer: pointer.to_owned(),
                conflicts: self.conflicts.iter().map(|c| c.pointer.clone()).collect(),
            }),
        }
    }

    /// Asks `choose` about each conflict still open, in order; `Some` resolves it, `None`
    /// leaves it open.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Choice, Merge};
    /// use serde_json::json;
    ///
    /// let base = json!({"n": 1, "s": "a"});
    /// let mut merge = Merge::new(&base, &json!({"n": 2, "s": "b"}), &json!({"n": 3, "s": "c"}));
    /// // Numbers: keep the larger one; leave the rest to a person.
    /// merge.resolve_with(|c| match (&c.mine, &c.theirs) {
    ///     (Some(m), Some(t)) if m.is_number() && t.is_number() => {
    ///         Some(if m.as_f64() > t.as_f64() { Choice::Mine } else { Choice::Theirs })
    ///     }
    ///     _ => None,
    /// });
    /// assert_eq!(merge.unresolved(), ["/s"]);
    /// ```
    pub fn resolve_with(&mut self, mut choose: impl FnMut(&FieldConflict) -> Option<Choice>) {
        for conflict in self.conflicts.iter_mut().filter(|c| c.resolution.is_none()) {
            if let Some(choice) = choose(conflict) {
                conflict.resolution = Some(choice);
            }
        }
    }

    /// Resolves every conflict still open with `choice`, such as [`Choice::Mine`] to keep
    /// the client's version everywhere. Conflicts already resolved keep their choice.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Choice, Merge};
    /// use serde_json::json;
    ///
    /// let mut merge = Merge::new(&json!({"n": 1}), &json!({"n": 2}), &json!({"n": 3}));
    /// merge.resolve_all(Choice::Mine);
    /// assert_eq!(merge.result()?, json!({"n": 2}));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn resolve_all(&mut self, choice: Choice) {
        self.resolve_with(|_| Some(choice.clone()));
    }

    /// The merged document: the clean merge with every conflict's chosen value in place.
    ///
    /// # Errors
    ///
    /// [`Error::UnresolvedConflicts`] naming the pointers still open.
    ///
    /// # Example
    ///
    /// ```
    /// use halchemy::{Choice, Error, Merge};
    /// use serde_json::json;
    ///
    /// let mut merge = Merge::new(&json!({"n": 1}), &json!({"n": 2}), &json!({"n": 3}));
    /// match merge.result() {
    ///     Err(Error::UnresolvedConflicts { pointers }) => assert_eq!(pointers, ["/n"]),
    ///     other => panic!("{other:?}"),
    /// }
    /// merge.resolve("/n", Choice::Theirs)?;
    /// assert_eq!(merge.result()?, json!({"n": 3}));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn result(&self) -> Result<Value> {
        let open = self.unresolved();
        if !open.is_empty() {
            return Err(Error::UnresolvedConflicts {
                pointers: open.into_iter().map(str::to_owned).collect(),
            });
        }
        let mut doc = self.clean.clone();
        for conflict in &self.conflicts {
            if let Some(choice) = &conflict.resolution {
                place(&mut doc, &conflict.pointer, choice.pick(conflict));
            }
        }
        Ok(doc)
    }
}

/// A report a command-line tool can print: a summary line, each conflict as
/// [`FieldConflict`] shows it, then the pointers merged from each side.
///
/// # Example
///
/// ```
/// use halchemy::Merge;
/// use serde_json::json;
///
/// let merge = Merge::new(&json!({"n": 1, "a": 0}), &json!({"n": 2, "a": 1}), &json!({"n": 3, "a": 0}));
/// assert_eq!(
///     merge.to_string(),
///     "1 conflict, 1 open\n\
///      conflict at \"/n\" (open)\n  base:   1\n  mine:   2\n  theirs: 3\n\
///      merged from mine: \"/a\"\n\
///      merged from theirs: (none)"
/// );
/// ```
impl fmt::Display for Merge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.conflicts.len();
        let plural = if total == 1 { "" } else { "s" };
        writeln!(
            f,
            "{total} conflict{plural}, {} open",
            self.unresolved().len()
        )?;
        for conflict in &self.conflicts {
            writeln!(f, "{conflict}")?;
        }
        writeln!(f, "merged from mine: {}", Pointers(&self.from_mine))?;
        write!(f, "merged from theirs: {}", Pointers(&self.from_theirs))
    }
}

/// Pointers quoted and comma-separated, or `(none)`.
struct Pointers<'a>(&'a [String]);

impl fmt::Display for Pointers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(none)");
        }
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p:?}")?;
        }
        Ok(())
    }
}

/// The merge's bookkeeping while it walks the three documents.
#[derive(Default)]
struct Walk {
    conflicts: Vec<FieldConflict>,
    from_mine: Vec<String>,
    from_theirs: Vec<String>,
}

impl Walk {
    /// Merges one field (`None`: absent in that version); returns the merged value, `None` for
    /// absent or for a conflict, which it records.
    fn value(
        &mut self,
        pointer: String,
        base: Option<&Value>,
        mine: Option<&Value>,
        theirs: Option<&Value>,
    ) -> Option<Value> {
        if let (Some(Value::Object(b)), Some(Value::Object(m)), Some(Value::Object(t))) =
            (base, mine, theirs)
        {
            return Some(Value::Object(self.fields(&pointer, Some(b), m, t, false)));
        }
        if mine == theirs {
            if mine != base {
                self.from_mine.push(pointer.clone());
                self.from_theirs.push(pointer);
            }
            return mine.cloned();
        }
        if mine == base {
            self.from_theirs.push(pointer);
            return theirs.cloned();
        }
        if theirs == base {
            self.from_mine.push(pointer);
            return mine.cloned();
        }
        if let (Some(Value::Object(m)), Some(Value::Object(t))) = (mine, theirs) {
            // Both made an object where base had none: merge them as additions.
            return Some(Value::Object(self.fields(&pointer, None, m, t, false)));
        }
        self.conflicts.push(FieldConflict {
            pointer,
            base: base.cloned(),
            mine: mine.cloned(),
            theirs: theirs.cloned(),
            resolution: None,
        });
        None
    }

    /// Merges two objects field by field; `top` applies the server-owned `_` rule.
    fn fields(
        &mut self,
        pointer: &str,
        base: Option<&Map<String, Value>>,
        mine: &Map<String, Value>,
        theirs: &Map<String, Value>,
        top: bool,
    ) -> Map<String, Value> {
        let base_keys = base.into_iter().flat_map(|b| b.keys());
        let keys: BTreeSet<&String> = mine.keys().chain(theirs.keys()).chain(base_keys).collect();
        let mut out = Map::new();
        for key in keys {
            let child = format!("{pointer}/{}", escape(key));
            let (b, m, t) = (
                base.and_then(|b| b.get(key)),
                mine.get(key),
                theirs.get(key),
            );
            // The server's own fields come from theirs and are not reported: HAL's parts, and
            // every top-level `_` field mine did not change (`_etag`, `_updated`) or left out
            // (a typed value or a PUT body without them: not sent, not removed). A `_` field
            // mine changed merges like any other: kept, or a conflict when theirs changed it.
            let servers = top
                && key.starts_with('_')
                && (crate::hal::is_hal_part(key) || m == b || m.is_none());
            let merged = if servers {
                t.cloned()
            } else {
                self.value(child, b, m, t)
            };
            if let Some(v) = merged {
                out.insert(key.clone(), v);
            }
        }
        out
    }
}

/// One key as a JSON pointer segment (RFC 6901): `~` becomes `~0`, then `/` becomes `~1`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer's keys, unescaped; `None` for a pointer that neither is `""` nor starts
/// with `/`.
fn keys(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|k| k.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Puts `value` at `pointer` in `doc` (removes the field for `None`). The pointer's parents
/// are objects in a merge's clean document by construction; if one is not, nothing changes.
fn place(doc: &mut Value, pointer: &str, value: Option<Value>) {
    let Some(keys) = keys(pointer) else { return };
    let Some((last, parents)) = keys.split_last() else {
        *doc = value.unwrap_or(Value::Null);
        return;
    };
    let mut node = doc;
    for key in parents {
        match node.as_object_mut().and_then(|m| m.get_mut(key)) {
            Some(next) => node = next,
            None => return,
        }
    }
    if let Value::Object(map) = node {
        match value {
            Some(v) => {
                map.insert(last.clone(), v);
            }
            None => {
                map.remove(last);
            }
        }
    }
}

/// Applies a JSON merge patch (RFC 7396) to `target`: an object patch merges into the target
/// (made an object first if it is not one), a `null` member removes the field, an object
/// member recurses, anything else replaces; a patch that is not an object replaces the whole
/// target.
#[allow(
    dead_code,
    reason = "for the merge-and-retry write path, which is built in another module"
)]
pub(crate) fn apply_merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                apply_merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The JSON merge patch (RFC 7396) that turns `old` into `new`, or `None` when they are equal:
/// changed and added fields, `null` for removed ones, objects recursing, anything else whole.
///
/// Applying it to `old` gives `new`, except where `new` holds `null` as an object member in a
/// part that changed: a merge patch cannot say "set to null", so that field comes out absent.
/// (`null` inside an array, or as the whole document, round-trips.)
pub(crate) fn merge_patch_between(old: &Value, new: &Value) -> Option<Value> {
    if old == new {
        return None;
    }
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for (k, nv) in n {
                match o.get(k) {
                    Some(ov) => {
                        if let Some(p) = merge_patch_between(ov, nv) {
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

    fn merge(base: Value, mine: Value, theirs: Value) -> Merge {
        Merge::new(&base, &mine, &theirs)
    }

    fn conflict(
        pointer: &str,
        base: Option<Value>,
        mine: Option<Value>,
        theirs: Option<Value>,
    ) -> FieldConflict {
        FieldConflict {
            pointer: pointer.to_owned(),
            base,
            mine,
            theirs,
            resolution: None,
        }
    }

    #[test]
    fn a_change_by_one_side_takes_that_sides_value() {
        let m = merge(
            json!({"a": 1, "b": 2, "c": 3, "d": 4, "g": 7}),
            json!({"a": 10, "b": 2, "c": 3, "e": 5, "g": 7}),
            json!({"a": 1, "b": 20, "c": 3, "d": 4, "f": 6}),
        );
        assert!(m.conflicts().is_empty());
        assert_eq!(
            m.result().unwrap(),
            json!({"a": 10, "b": 20, "c": 3, "e": 5, "f": 6})
        );
        assert_eq!(m.merged_from_mine(), ["/a", "/d", "/e"]);
        assert_eq!(m.merged_from_theirs(), ["/b", "/f", "/g"]);
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let m = merge(
            json!({"a": 1, "b": 2, "n": null}),
            json!({"a": 5, "c": [3], "n": null}),
            json!({"a": 5, "c": [3], "n": null}),
        );
        assert!(m.conflicts().is_empty());
        assert_eq!(m.result().unwrap(), json!({"a": 5, "c": [3], "n": null}));
        assert_eq!(m.merged_from_mine(), ["/a", "/b", "/c"]);
        assert_eq!(m.merged_from_theirs(), ["/a", "/b", "/c"]);
    }

    #[test]
    fn different_changes_on_both_sides_conflict() {
        let m = merge(
            json!({"a": 1, "k": 0}),
            json!({"a": 2, "k": 0}),
            json!({"a": 3, "k": 0}),
        );
        assert_eq!(
            m.conflicts(),
            [conflict(
                "/a",
                Some(json!(1)),
                Some(json!(2)),
                Some(json!(3))
            )]
        );
        match m.result() {
            Err(Error::UnresolvedConflicts { pointers }) => assert_eq!(pointers, ["/a"]),
            other => panic!("{other:?}"),
        }
        // A change to null is a change like any other.
        let m = merge(json!({"a": 1}), json!({"a": null}), json!({"a": 3}));
        assert_eq!(m.unresolved(), ["/a"]);
        assert_eq!(m.conflicts()[0].mine, Some(Value::Null));
    }

    #[test]
    fn a_removal_against_a_change_conflicts() {
        let m = merge(json!({"a": 1}), json!({}), json!({"a": 2}));
        assert_eq!(
            m.conflicts(),
            [conflict("/a", Some(json!(1)), None, Some(json!(2)))]
        );
        let m = merge(json!({"a": {"x": 1}}), json!({"a": {"x": 2}}), json!({}));
        assert_eq!(
            m.conflicts(),
            [conflict(
                "/a",
                Some(json!({"x": 1})),
                Some(json!({"x": 2})),
                None
            )]
        );
        // Removed inside by one side, the whole object removed by the other: also a conflict.
        let m = merge(
            json!({"a": {"x": 1, "y": 1}}),
            json!({"a": {"y": 1}}),
            json!({}),
        );
        assert_eq!(m.unresolved(), ["/a"]);
    }

    #[test]
    fn additions_on_both_sides_conflict_unless_equal_or_both_objects() {
        let m = merge(json!({}), json!({"n": 1}), json!({"n": 2}));
        assert_eq!(
            m.conflicts(),
            [conflict("/n", None, Some(json!(1)), Some(json!(2)))]
        );

        let m = merge(json!({}), json!({"n": 1}), json!({"n": 1}));
        assert!(m.conflicts().is_empty());
        assert_eq!(m.result().unwrap(), json!({"n": 1}));

        // Two new objects merge field by field; only a field both added differently conflicts.
        let mut m = merge(
            json!({}),
            json!({"o": {"x": 1, "same": true, "c": 1}}),
            json!({"o": {"y": 2, "same": true, "c": 2}}),
        );
        assert_eq!(
            m.conflicts(),
            [conflict("/o/c", None, Some(json!(1)), Some(json!(2)))]
        );
        m.resolve("/o/c", Choice::Theirs).unwrap();
        assert_eq!(
            m.result().unwrap(),
            json!({"o": {"x": 1, "y": 2, "same": true, "c": 2}})
        );
        // A scalar both sides turned into objects: the same.
        let m = merge(
            json!({"o": 5}),
            json!({"o": {"x": 1}}),
            json!({"o": {"y": 2}}),
        );
        assert_eq!(m.result().unwrap(), json!({"o": {"x": 1, "y": 2}}));
    }

    #[test]
    fn an_object_turned_scalar_against_a_change_inside_conflicts_at_the_field() {
        let base = json!({"o": {"x": 1, "y": 2}});
        let changed_inside = json!({"o": {"x": 1, "y": 3}});
        let m = merge(base.clone(), json!({"o": 5}), changed_inside.clone());
        assert_eq!(
            m.conflicts(),
            [conflict(
                "/o",
                Some(base["o"].clone()),
                Some(json!(5)),
                Some(changed_inside["o"].clone())
            )]
        );
        let m = merge(base.clone(), changed_inside.clone(), json!({"o": [1]}));
        assert_eq!(m.unresolved(), ["/o"]);
        // The other way: a scalar turned into an object against a change of the scalar.
        let m = merge(json!({"o": 1}), json!({"o": {"x": 1}}), json!({"o": 2}));
        assert_eq!(m.unresolved(), ["/o"]);
        // Turned scalar by one side, untouched by the other: no conflict.
        let m = merge(base.clone(), json!({"o": 5}), base);
        assert_eq!(m.result().unwrap(), json!({"o": 5}));
    }

    #[test]
    fn arrays_compare_as_whole_values() {
        let base = json!({"l": [1, 2], "objs": [{"a": 1}, {"b": 1}]});
        let m = merge(
            base.clone(),
            json!({"l": [1, 2, 3], "objs": [{"a": 2}, {"b": 1}]}),
            json!({"l": [0, 1, 2], "objs": [{"a": 1}, {"b": 2}]}),
        );
        assert_eq!(m.unresolved(), ["/l", "/objs"]);
        // One side only: the whole array is taken.
        let m = merge(base.clone(), json!({"l": [9], "objs": base["objs"]}), base);
        assert_eq!(m.result().unwrap()["l"], json!([9]));
        assert_eq!(m.merged_from_mine(), ["/l"]);
    }

    #[test]
    fn objects_merge_at_any_depth() {
        let base = json!({"a": {"b": {"c": {"d": 1, "e": 1, "f": 1, "g": {"h": 1}}}, "x": 1}});
        let mine = json!({"a": {"b": {"c": {"d": 2, "e": 1, "f": 2, "g": {"h": 2}}}, "x": 1}});
        let theirs =
            json!({"a": {"b": {"c": {"d": 1, "e": 3, "f": 3, "g": {"h": 1, "i": 1}}}, "x": 4}});
        let mut m = merge(base, mine, theirs);
        assert_eq!(m.unresolved(), ["/a/b/c/f"]);
        assert_eq!(m.merged_from_mine(), ["/a/b/c/d", "/a/b/c/g/h"]);
        assert_eq!(m.merged_from_theirs(), ["/a/b/c/e", "/a/b/c/g/i", "/a/x"]);
        m.resolve("/a/b/c/f", Choice::Mine).unwrap();
        assert_eq!(
            m.result().unwrap(),
            json!({"a": {"b": {"c": {"d": 2, "e": 3, "f": 2, "g": {"h": 2, "i": 1}}}, "x": 4}})
        );
    }

    #[test]
    fn pointers_escape_tilde_and_slash() {
        let base = json!({"a/b": {"m~n": 1, "~1": 1}, "": 1, "plain": 1});
        let mine = json!({"a/b": {"m~n": 2, "~1": 2}, "": 2, "plain": 1});
        let theirs = json!({"a/b": {"m~n": 3, "~1": 3}, "": 3, "plain": 1});
        let mut m = merge(base, mine, theirs);
        assert_eq!(m.unresolved(), ["/", "/a~1b/m~0n", "/a~1b/~01"]);
        m.resolve("/a~1b/m~0n", Choice::Mine).unwrap();
        m.resolve("/a~1b/~01", Choice::Value(json!("v"))).unwrap();
        m.resolve("/", Choice::Remove).unwrap();
        assert_eq!(
            m.result().unwrap(),
            json!({"a/b": {"m~n": 2, "~1": "v"}, "plain": 1})
        );
        // serde_json reads the same pointers back.
        let result = m.result().unwrap();
        assert_eq!(result.pointer("/a~1b/m~0n"), Some(&json!(2)));
        assert_eq!(
            keys("/a~1b/~01"),
            Some(vec!["a/b".to_owned(), "~1".to_owned()])
        );
        assert_eq!(keys(""), Some(vec![]));
        assert_eq!(keys("nope"), None);
    }

    #[test]
    fn top_level_underscore_fields_mine_did_not_change_are_the_servers() {
        let base = json!({
            "_links": {"self": {"href": "/c/1"}}, "_etag": "v1", "_embedded": {"x": []},
            "_updated": "mon", "_rank": 1, "_flag": 0, "name": "Kim", "meta": {"_note": "a"}
        });
        let mine = json!({
            "_links": {"self": {"href": "/elsewhere"}}, "_etag": "v1", "_embedded": {"x": []},
            "_updated": "mon", "_rank": 5, "_flag": 1, "_new": 1, "name": "Kim",
            "meta": {"_note": "b"}
        });
        let theirs = json!({
            "_links": {"self": {"href": "/c/1"}}, "_etag": "v2", "_updated": "tue",
            "_rank": 3, "_flag": 0, "name": "Kim", "meta": {"_note": "c"}
        });
        let mut m = merge(base, mine, theirs);
        // `_rank`, changed by both, is a conflict like any field; so is the nested `_note`.
        assert_eq!(m.unresolved(), ["/_rank", "/meta/_note"]);
        assert!(
            m.merged_from_theirs().is_empty(),
            "the server's fields are taken, not listed"
        );
        // `_flag` and `_new`, which only mine changed, are mine. `_links` is HAL's and
        // `_etag`/`_updated`, which mine did not change, the server's.
        assert_eq!(m.merged_from_mine(), ["/_flag", "/_new"]);
        m.resolve_all(Choice::Mine);
        assert_eq!(
            m.result().unwrap(),
            json!({
                "_links": {"self": {"href": "/c/1"}}, "_etag": "v2", "_updated": "tue",
                "_rank": 5, "_flag": 1, "_new": 1, "name": "Kim", "meta": {"_note": "b"}
            })
        );
    }

    #[test]
    fn a_document_that_is_not_an_object_merges_as_one_value() {
        let m = merge(json!(1), json!(1), json!(2));
        assert_eq!(m.result().unwrap(), json!(2));
        assert_eq!(m.merged_from_theirs(), [""]);
        let mut m = merge(json!([1]), json!([2]), json!({"a": 1}));
        assert_eq!(
            m.conflicts(),
            [conflict(
                "",
                Some(json!([1])),
                Some(json!([2])),
                Some(json!({"a": 1}))
            )]
        );
        m.resolve("", Choice::Mine).unwrap();
        assert_eq!(m.result().unwrap(), json!([2]));
        m.resolve("", Choice::Remove).unwrap();
        assert_eq!(m.result().unwrap(), Value::Null);
    }

    #[test]
    fn resolve_names_the_pointer_it_cannot_find() {
        let mut m = merge(
            json!({"a": 1, "b": 1}),
            json!({"a": 2, "b": 2}),
            json!({"a": 3, "b": 3}),
        );
        let err = m.resolve("/c", Choice::Mine).unwrap_err();
        match &err {
            Error::NoSuchConflict { pointer, conflicts } => {
                assert_eq!(pointer, "/c");
                assert_eq!(conflicts, &["/a", "/b"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "no merge conflict at \"/c\": pass one of the conflicts' pointers, \"/a\", \"/b\""
        );
        // An unescaped key is not the pointer.
        let mut m = merge(json!({"a/b": 1}), json!({"a/b": 2}), json!({"a/b": 3}));
        assert!(m.resolve("/a/b", Choice::Mine).is_err());
        assert_eq!(m.unresolved(), ["/a~1b"]);
    }

    #[test]
    fn each_choice_puts_its_value_and_a_later_choice_replaces_an_earlier_one() {
        let base = json!({"a": 1});
        let mine = json!({});
        let theirs = json!({"a": 3});
        for (choice, expected) in [
            (Choice::Mine, json!({})),
            (Choice::Theirs, json!({"a": 3})),
            (Choice::Value(json!({"x": null})), json!({"a": {"x": null}})),
            (Choice::Remove, json!({})),
        ] {
            let mut m = merge(base.clone(), mine.clone(), theirs.clone());
            m.resolve("/a", Choice::Value(json!("first"))).unwrap();
            m.resolve("/a", choice.clone()).unwrap();
            assert_eq!(m.conflicts()[0].resolution(), Some(&choice));
            assert_eq!(m.result().unwrap(), expected, "{choice}");
            assert!(m.unresolved().is_empty());
        }
    }

    #[test]
    fn resolve_with_asks_about_open_conflicts_only_and_none_leaves_them_open() {
        let mut m = merge(
            json!({"a": 1, "b": 1, "c": 1}),
            json!({"a": 2, "b": 2, "c": 2}),
            json!({"a": 3, "b": 3, "c": 3}),
        );
        m.resolve("/a", Choice::Mine).unwrap();
        let mut asked = Vec::new();
        m.resolve_with(|c| {
            asked.push(c.pointer.clone());
            (c.pointer == "/b").then_some(Choice::Theirs)
        });
        assert_eq!(asked, ["/b", "/c"]);
        assert_eq!(m.unresolved(), ["/c"]);
        match m.result() {
            Err(e @ Error::UnresolvedConflicts { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.starts_with("unresolved merge conflicts at \"/c\":"),
                    "{msg}"
                );
                assert!(
                    msg.contains("resolve()") && msg.contains("resolve_with()"),
                    "{msg}"
                );
            }
            other => panic!("{other:?}"),
        }
        m.resolve_all(Choice::Remove);
        assert_eq!(m.conflicts()[0].resolution(), Some(&Choice::Mine));
        assert_eq!(m.result().unwrap(), json!({"a": 2, "b": 3}));
    }

    #[test]
    fn the_report_shows_each_conflict_and_what_merged() {
        let mut m = merge(
            json!({"n": 1, "s": "a", "k": 0, "x/y": 0}),
            json!({"n": 2, "k": 1, "x/y": 0}),
            json!({"n": 3, "s": "c", "k": 0, "x/y": 1}),
        );
        m.resolve("/n", Choice::Value(json!([1, "two"]))).unwrap();
        assert_eq!(
            m.to_string(),
            "2 conflicts, 1 open\n\
             conflict at \"/n\" (resolved: value [1,\"two\"])\n  base:   1\n  mine:   2\n  theirs: 3\n\
             conflict at \"/s\" (open)\n  base:   \"a\"\n  mine:   (absent)\n  theirs: \"c\"\n\
             merged from mine: \"/k\"\n\
             merged from theirs: \"/x~1y\""
        );
        let clean = merge(json!({}), json!({}), json!({}));
        assert_eq!(
            clean.to_string(),
            "0 conflicts, 0 open\nmerged from mine: (none)\nmerged from theirs: (none)"
        );
        // A key with a line break cannot break the one-line-per-item layout.
        let m = merge(json!({"a\nb": 1}), json!({"a\nb": 2}), json!({"a\nb": 3}));
        assert_eq!(m.to_string().lines().count(), 7);
    }

    #[test]
    fn merge_patch_between_sends_only_what_changed() {
        let old = json!({"a": 1, "b": {"c": 2, "d": 3}, "gone": true, "same": [1]});
        let new = json!({"a": 2, "b": {"c": 2, "d": 4, "e": 5}, "same": [1], "added": "x"});
        assert_eq!(
            merge_patch_between(&old, &new).unwrap(),
            json!({"a": 2, "b": {"d": 4, "e": 5}, "gone": null, "added": "x"})
        );
        assert_eq!(merge_patch_between(&old, &old), None);
        assert_eq!(
            merge_patch_between(&json!({"l": [1]}), &json!({"l": [1, 2]})).unwrap(),
            json!({"l": [1, 2]})
        );
        assert_eq!(
            merge_patch_between(&json!({"o": {"x": 1}}), &json!({"o": 5})).unwrap(),
            json!({"o": 5})
        );
        assert_eq!(
            merge_patch_between(&json!(1), &json!([2])).unwrap(),
            json!([2])
        );
    }

    #[test]
    fn apply_merge_patch_follows_the_rfc_7396_examples() {
        // RFC 7396, appendix A: original, patch, result.
        for (original, patch, result) in [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ] {
            let mut target = original.clone();
            apply_merge_patch(&mut target, &patch);
            assert_eq!(target, result, "{original} + {patch}");
        }
    }

    #[test]
    fn a_null_member_cannot_be_sent_in_a_merge_patch_and_comes_out_absent() {
        let old = json!({"a": 1, "keep": null});
        let new = json!({"a": null, "keep": null, "b": {"c": null, "d": 1}, "l": [null]});
        let patch = merge_patch_between(&old, &new).unwrap();
        let mut applied = old.clone();
        apply_merge_patch(&mut applied, &patch);
        // The unchanged `keep: null` stays; the changed and added nulls are gone; the null in
        // an array survives.
        assert_eq!(applied, json!({"keep": null, "b": {"d": 1}, "l": [null]}));
        // A null document round-trips: a patch that is not an object replaces the target.
        let patch = merge_patch_between(&old, &Value::Null).unwrap();
        let mut applied = old.clone();
        apply_merge_patch(&mut applied, &patch);
        assert_eq!(applied, Value::Null);
    }
}

#[cfg(test)]
mod proptests {
    //! The merge's promises over random documents and random edits of them, and the merge
    //! patch round trip.

    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::proptests::config;

    /// A small pool of keys, so that edits collide; with `_` keys, `/` and `~`.
    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "c", "_etag", "_links", "x/y", "t~1"])
            .prop_map(str::to_owned)
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0..3i64).prop_map(Value::from),
            prop::sample::select(vec!["", "k", "l"]).prop_map(Value::from),
            prop::collection::vec((0..2i64).prop_map(Value::from), 0..3).prop_map(Value::Array),
        ]
    }

    /// A value at most `depth` objects deep.
    fn value(depth: u32) -> impl Strategy<Value = Value> {
        leaf().prop_recursive(depth, 24, 4, |inner| {
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
        })
    }

    fn object(depth: u32) -> impl Strategy<Value = Value> {
        prop::collection::vec((key(), value(depth)), 0..5)
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
    }

    /// An edit: a path of 1 to 3 keys, and the value to set there (`None`: remove it).
    type Edit = (Vec<String>, Option<Value>);

    fn edits() -> impl Strategy<Value = Vec<Edit>> {
        let edit = (
            prop::collection::vec(key(), 1..=3),
            prop::option::weighted(0.7, value(1)),
        );
        prop::collection::vec(edit, 0..5)
    }

    fn choice() -> impl Strategy<Value = Choice> {
        prop_oneof![
            Just(Choice::Mine),
            Just(Choice::Theirs),
            Just(Choice::Remove),
            Just(Choice::Value(json!("chosen"))),
        ]
    }

    fn as_object(v: &mut Value) -> &mut Map<String, Value> {
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        match v {
            Value::Object(m) => m,
            _ => unreachable!("made an object above"),
        }
    }

    /// Applies one edit: a set makes every parent on its path an object; a remove of a path
    /// that does not exist does nothing.
    fn apply(doc: &mut Value, (path, op): &Edit) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut node = doc;
        for key in parents {
            node = match op {
                Some(_) => as_object(node)
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new())),
                None => match node.as_object_mut().and_then(|m| m.get_mut(key)) {
                    Some(next) => next,
                    None => return,
                },
            };
        }
        match op {
            Some(v) => {
                as_object(node).insert(last.clone(), v.clone());
            }
            None => {
                if let Some(m) = node.as_object_mut() {
                    m.remove(last);
                }
            }
        }
    }

    fn edited(base: &Value, edits: &[Edit]) -> Value {
        let mut doc = base.clone();
        for e in edits {
            apply(&mut doc, e);
        }
        doc
    }

    /// The value at a path, descending through objects only (arrays are whole values).
    fn get<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
        path.iter()
            .try_fold(doc, |node, key| node.as_object()?.get(key))
    }

    /// Every path to an object member, at any depth.
    fn paths(doc: &Value, prefix: &mut Vec<String>, out: &mut BTreeSet<Vec<String>>) {
        if let Value::Object(m) = doc {
            for (k, v) in m {
                prefix.push(k.clone());
                out.insert(prefix.clone());
                paths(v, prefix, out);
                prefix.pop();
            }
        }
    }

    fn pointer(path: &[String]) -> String {
        path.iter()
            .map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1")))
            .collect()
    }

    fn is_prefix(a: &[String], b: &[String]) -> bool {
        a.len() <= b.len() && b[..a.len()] == *a
    }

    fn own_removes(own: &[Edit], p: &[String]) -> bool {
        own.iter().any(|(q, v)| q == p && v.is_none())
    }

    fn is_hal(key: &str) -> bool {
        matches!(key, "_links" | "_embedded" | "_templates")
    }

    fn comparable(a: &[String], b: &[String]) -> bool {
        is_prefix(a, b) || is_prefix(b, a)
    }

    /// The paths a side changed by itself: edited, with no other edit of that side above or
    /// below, and no edit of the other side at, above or below it.
    fn only_changed_by(own: &[Edit], other: &[Edit]) -> Vec<Vec<String>> {
        own.iter()
            .map(|(p, _)| p.clone())
            .filter(|p| !is_hal(&p[0]))
            // Removing a top-level `_` field is the server's business: not a change of mine.
            .filter(|p| !(p.len() == 1 && p[0].starts_with('_') && own_removes(own, p)))
            .filter(|p| own.iter().all(|(q, _)| q == p || !comparable(p, q)))
            .filter(|p| other.iter().all(|(q, _)| !comparable(p, q)))
            .collect()
    }

    /// The conflicts as stated without the merge's walk: the fields where base, mine and
    /// theirs all differ and mine and theirs are not both objects, minus those inside another
    /// such field, minus the server-owned top-level `_` fields.
    fn expected_conflicts(base: &Value, mine: &Value, theirs: &Value) -> BTreeSet<String> {
        let mut all = BTreeSet::new();
        for doc in [base, mine, theirs] {
            paths(doc, &mut Vec::new(), &mut all);
        }
        let differ: Vec<&Vec<String>> = all
            .iter()
            .filter(|p| !is_hal(&p[0]))
            .filter(|p| {
                let top = mine.get(&p[0]);
                !(p[0].starts_with('_') && (top == base.get(&p[0]) || top.is_none()))
            })
            .filter(|p| {
                let (b, m, t) = (get(base, p), get(mine, p), get(theirs, p));
                let both_objects =
                    m.is_some_and(Value::is_object) && t.is_some_and(Value::is_object);
                m != t && m != b && t != b && !both_objects
            })
            .collect();
        differ
            .iter()
            .filter(|p| !differ.iter().any(|q| q.len() < p.len() && is_prefix(q, p)))
            .map(|p| pointer(p))
            .collect()
    }

    /// An object with its `null` members left out, recursively through objects (not arrays).
    fn without_null_members(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), without_null_members(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn has_null_member(v: &Value) -> bool {
        *v != without_null_members(v)
    }

    fn round_trip(old: &Value, new: &Value) -> Value {
        let mut applied = old.clone();
        if let Some(patch) = merge_patch_between(old, new) {
            apply_merge_patch(&mut applied, &patch);
        }
        applied
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn a_change_by_one_side_only_is_never_lost(
            base in object(3),
            my_edits in edits(),
            their_edits in edits(),
            choice in choice(),
        ) {
            let mine = edited(&base, &my_edits);
            let theirs = edited(&base, &their_edits);
            let mut merge = Merge::new(&base, &mine, &theirs);
            merge.resolve_all(choice);
            let result = merge.result().unwrap();
            for p in only_changed_by(&my_edits, &their_edits) {
                prop_assert_eq!(get(&result, &p), get(&mine, &p), "mine at {:?}", p);
            }
            for p in only_changed_by(&their_edits, &my_edits) {
                prop_assert_eq!(get(&result, &p), get(&theirs, &p), "theirs at {:?}", p);
            }
            for p in merge.merged_from_mine() {
                prop_assert_eq!(result.pointer(p), mine.pointer(p), "listed from mine: {}", p);
            }
            for p in merge.merged_from_theirs() {
                prop_assert_eq!(result.pointer(p), theirs.pointer(p), "listed from theirs: {}", p);
            }
            for (k, v) in result.as_object().into_iter().flatten().filter(|(k, _)| k.starts_with('_')) {
                if is_hal(k) || mine.get(k) == base.get(k) || mine.get(k).is_none() {
                    prop_assert_eq!(Some(v), theirs.get(k), "server-owned {}", k);
                }
            }
        }

        #[test]
        fn a_conflict_is_reported_exactly_where_both_sides_changed_a_field_differently(
            base in object(3),
            my_edits in edits(),
            their_edits in edits(),
        ) {
            let mine = edited(&base, &my_edits);
            let theirs = edited(&base, &their_edits);
            let merge = Merge::new(&base, &mine, &theirs);
            let reported: BTreeSet<String> =
                merge.conflicts().iter().map(|c| c.pointer.clone()).collect();
            prop_assert_eq!(reported.len(), merge.conflicts().len(), "a pointer reported twice");
            prop_assert_eq!(&reported, &expected_conflicts(&base, &mine, &theirs));
            for c in merge.conflicts() {
                prop_assert_eq!(c.base.as_ref(), base.pointer(&c.pointer));
                prop_assert_eq!(c.mine.as_ref(), mine.pointer(&c.pointer));
                prop_assert_eq!(c.theirs.as_ref(), theirs.pointer(&c.pointer));
            }
            prop_assert_eq!(merge.result().is_ok(), reported.is_empty());
        }

        #[test]
        fn with_no_edit_on_one_side_the_result_is_the_other_side(
            base in object(3),
            edits in edits(),
        ) {
            let changed = edited(&base, &edits);

            let merge = Merge::new(&base, &base, &changed);
            prop_assert!(merge.conflicts().is_empty());
            prop_assert_eq!(merge.result().unwrap(), changed.clone());
            prop_assert!(merge.merged_from_mine().is_empty());

            let merge = Merge::new(&base, &changed, &base);
            prop_assert!(merge.conflicts().is_empty());
            // Mine, except that HAL's parts stay as the server has them, and so do the `_`
            // fields mine left out.
            let mut expected = changed.clone();
            if let (Some(e), Some(b)) = (expected.as_object_mut(), base.as_object()) {
                e.retain(|k, _| !is_hal(k));
                let servers: Vec<_> = b
                    .iter()
                    .filter(|(k, _)| is_hal(k) || (k.starts_with('_') && !e.contains_key(*k)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                e.extend(servers);
            }
            prop_assert_eq!(merge.result().unwrap(), expected);
            prop_assert!(merge.merged_from_theirs().is_empty());
        }

        #[test]
        fn a_merge_patch_turns_old_into_new(
            old in prop_oneof![value(3), object(3)],
            new in prop_oneof![value(3), object(3)],
            edits in edits(),
        ) {
            prop_assert_eq!(merge_patch_between(&old, &new).is_none(), old == new);
            prop_assert_eq!(merge_patch_between(&old, &old), None);
            let edited_old = edited(&old, &edits);
            for (old, new) in [(&old, &new), (&old, &edited_old), (&edited_old, &old)] {
                if !has_null_member(new) {
                    prop_assert_eq!(&round_trip(old, new), new);
                }
                if !has_null_member(old) {
                    // A null member of `new` cannot be sent: it comes out absent.
                    prop_assert_eq!(round_trip(old, new), without_null_members(new));
                }
            }
        }
    }
}
