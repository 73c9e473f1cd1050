//! HAL-FORMS: reading the `_templates` of a resource and checking the values for one before it
//! is sent. Pure: no I/O here; [`Submit`](crate::Submit) sends what [`Template::check`]
//! returns.
//!
//! The rules follow the HAL-FORMS specification (<https://rwcbook.github.io/hal-forms/>) and
//! what Spring HATEOAS writes (lowercase methods, an empty `contentType`, no `target` when the
//! form goes to the resource itself).

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::hal::Link;
use crate::params::json_type;

/// The media type of HAL-FORMS documents. Servers such as Spring HATEOAS write `_templates`
/// only when the request's `Accept` header asks for it: send [`HAL_FORMS_ACCEPT`].
///
/// # Example
///
/// ```
/// assert_eq!(halchemy::HAL_FORMS_MEDIA_TYPE, "application/prs.hal-forms+json");
/// ```
pub const HAL_FORMS_MEDIA_TYPE: &str = "application/prs.hal-forms+json";

/// An `Accept` header value that asks for HAL-FORMS first and takes HAL or JSON from a server
/// that has no forms. Spring HATEOAS renders `_templates` only for
/// `application/prs.hal-forms+json`; the default `Accept` of an [`Api`](crate::Api) asks for
/// `application/hal+json`, which has none.
///
/// Send it with one request, or make it the Api's default:
///
/// ```
/// # use halchemy_testserver::{Reply, Server};
/// # let server = Server::start(|req| match req.header("accept") {
/// #     Some(a) if a.starts_with("application/prs.hal-forms+json") => Reply::new(200)
/// #         .header("content-type", "application/prs.hal-forms+json")
/// #         .body(r#"{"_links": {"self": {"href": "/employees/1"}}, "_templates": {"default": {"method": "put"}}}"#),
/// #     _ => Reply::new(200).body(r#"{"_links": {"self": {"href": "/employees/1"}}}"#),
/// # });
/// # let base_url = server.base_url();
/// use halchemy::{Api, HAL_FORMS_ACCEPT};
///
/// let mut api = Api::new(base_url)?;
/// let employee = api
///     .using_endpoint("/employees/1")
///     .with_headers([("Accept", HAL_FORMS_ACCEPT)])
///     .get()?;
/// assert_eq!(employee.template("default")?.method(), "PUT");
///
/// api.add_headers([("Accept", HAL_FORMS_ACCEPT)])?;          // every request from now on
/// # Ok::<(), halchemy::Error>(())
/// ```
pub const HAL_FORMS_ACCEPT: &str =
    "application/prs.hal-forms+json, application/hal+json;q=0.9, application/json;q=0.8, */*;q=0.7";

/// The methods a template may name, in the order error messages list them.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The content type of a template that names none (or one halchemy cannot encode).
const JSON: &str = "application/json";

/// The other content type HAL-FORMS defines: a submit form-encodes the body.
const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

/// One HAL-FORMS template: how to send a request that changes (or queries) a resource.
///
/// Read it with [`Resource::template`](crate::Resource::template) or
/// [`Resource::templates`](crate::Resource::templates), and send it with
/// [`Api::submit`](crate::Api::submit). A template names its
/// [method](Template::method), where to send the request ([target](Template::target)), the
/// body's [content type](Template::content_type) and the [properties](Template::properties) the
/// body may hold.
///
/// # Example
///
/// ```
/// use halchemy::Resource;
/// use serde_json::json;
///
/// // What Spring HATEOAS writes for an employee.
/// let employee = Resource::from(json!({
///     "_links": {"self": {"href": "http://localhost:8080/employees/1"}},
///     "_templates": {"default": {
///         "method": "put",
///         "contentType": "",
///         "properties": [{"name": "firstName", "required": true}, {"name": "role"}]
///     }}
/// }));
/// let form = employee.template("default")?;
/// assert_eq!(form.method(), "PUT");
/// assert_eq!(form.target(), None);                    // the resource's own URL
/// assert_eq!(form.content_type(), "application/json");
/// assert!(form.property("firstName").is_some_and(|p| p.is_required()));
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Template {
    name: String,
    title: Option<String>,
    method: String,
    target: Option<String>,
    content_type: String,
    properties: Vec<Property>,
}

impl Template {
    /// The template's key in `_templates`; `default` is the usual one.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST"}}}));
    /// assert_eq!(r.template("default")?.name(), "default");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The human-readable title, when the document gives one.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let r = halchemy::Resource::from(json!({"_templates": {"default": {
    ///     "method": "POST", "title": "Create employee"
    /// }}}));
    /// assert_eq!(r.template("default")?.title(), Some("Create employee"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The HTTP method, in uppercase: one of `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`,
    /// `OPTIONS`. A template without a method (or with an empty one) uses `GET`, as the
    /// specification says.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let r = halchemy::Resource::from(json!({"_templates": {
    ///     "default": {"method": "patch"},
    ///     "search": {}
    /// }}));
    /// assert_eq!(r.template("default")?.method(), "PATCH");
    /// assert_eq!(r.template("search")?.method(), "GET");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Where to send the request, as the document writes it (it may be relative). `None` when
    /// the template has no `target` (or an empty one): the request then goes to the resource's
    /// own URL.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let r = halchemy::Resource::from(json!({"_templates": {
    ///     "default": {"method": "PUT"},
    ///     "hire": {"method": "POST", "target": "/employees"}
    /// }}));
    /// assert_eq!(r.template("default")?.target(), None);
    /// assert_eq!(r.template("hire")?.target(), Some("/employees"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The content type of the request body. Defaults to `application/json`: when the template
    /// has no `contentType`, an empty one (as Spring HATEOAS writes), or one that is neither
    /// JSON (`application/json`, `…+json`) nor `application/x-www-form-urlencoded`, which the
    /// specification says to treat as JSON.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let r = halchemy::Resource::from(json!({"_templates": {
    ///     "default": {"method": "POST", "contentType": "application/x-www-form-urlencoded"},
    ///     "patch": {"method": "PATCH", "contentType": "application/merge-patch+json"},
    ///     "spring": {"method": "PUT", "contentType": ""}
    /// }}));
    /// assert_eq!(r.template("default")?.content_type(), "application/x-www-form-urlencoded");
    /// assert_eq!(r.template("patch")?.content_type(), "application/merge-patch+json");
    /// assert_eq!(r.template("spring")?.content_type(), "application/json");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The properties the request may carry, in document order (empty when there are none).
    /// Properties without a name are left out, as the specification says.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let r = halchemy::Resource::from(json!({"_templates": {"default": {
    ///     "method": "PUT",
    ///     "properties": [{"name": "firstName"}, {"name": "lastName"}]
    /// }}}));
    /// let form = r.template("default")?;
    /// let names: Vec<_> = form.properties().iter().map(|p| p.name()).collect();
    /// assert_eq!(names, ["firstName", "lastName"]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn properties(&self) -> &[Property] {
        &self.properties
    }

    /// The first property with this name, if any.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// let r = halchemy::Resource::from(json!({"_templates": {"default": {
    ///     "method": "PUT", "properties": [{"name": "role", "prompt": "Role"}]
    /// }}}));
    /// let form = r.template("default")?;
    /// assert_eq!(form.property("role").and_then(|p| p.prompt()), Some("Role"));
    /// assert!(form.property("salary").is_none());
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// Checks `values` (a JSON object of property name → value; `null` is no values) against
    /// the template and returns the body to send.
    ///
    /// - A property the caller did not give takes its `value` from the document, unless it is
    ///   `readOnly` (read-only properties are sent only when the caller gives them) or its value
    ///   is `templated` (a URI template halchemy does not expand). A `null` given for a
    ///   required property also takes the default.
    /// - Every required property that is not read-only must then hold a value: not missing,
    ///   `null`, `""` or `[]` (what HTML calls a missing value).
    /// - Every value of a property with a `regex` must match it as a whole, as HTML's `pattern`
    ///   does: strings as they are, numbers and booleans as JSON writes them, each item of an
    ///   array. Empty strings are not checked.
    /// - Values for names that are not properties of the template are kept and sent: the
    ///   document may not list everything the server accepts.
    ///
    /// Other constraints (`min`, `max`, `minLength`, `options`, …) are left to the server.
    ///
    /// # Errors
    ///
    /// [`Error::FormValue`] naming the property for a missing required value or one that does
    /// not match; [`Error::MalformedHal`] when a `regex` that has to be applied cannot be
    /// compiled (lookaround and backreferences are not supported); [`Error::Parameters`] when
    /// `values` is not an object.
    pub(crate) fn check(&self, values: &Value) -> Result<Value> {
        let mut body = match values {
            Value::Null => Map::new(),
            Value::Object(map) => map.clone(),
            other => {
                return Err(Error::Parameters(format!(
                    "the values for template `{}` are {}; give a json object of property names to values",
                    self.name,
                    json_type(other)
                )));
            }
        };
        for property in &self.properties {
            let given = body.get(&property.name);
            let wants_default = match given {
                None => true,
                Some(Value::Null) => property.required,
                Some(_) => false,
            };
            if wants_default && let Some(default) = property.default_to_send() {
                body.insert(property.name.clone(), default.clone());
            }
            let value = body.get(&property.name);
            if property.required && !property.read_only && value.is_none_or(is_missing) {
                return Err(self.value_error(property, "is required: give it a value".into()));
            }
            if let (Some(regex), Some(value)) = (&property.regex, value) {
                self.check_pattern(property, regex, value)?;
            }
            if let (Some(options), Some(value)) = (&property.options, value) {
                self.check_choice(property, options, value)?;
            }
        }
        Ok(Value::Object(body))
    }

    /// Checks a value against a property's inline options: it (or each item of an array) must
    /// be one of the choices' values. Options given by a link are left to the server.
    fn check_choice(
        &self,
        property: &Property,
        options: &PropertyOptions,
        value: &Value,
    ) -> Result<()> {
        let choices = options.choices();
        if choices.is_empty() || is_missing(value) {
            return Ok(());
        }
        let allowed = |v: &Value| {
            choices.iter().any(|c| {
                c.value() == v || c.value().as_str().is_some_and(|s| Some(s) == v.as_str())
            })
        };
        let given: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        match given.into_iter().find(|v| !allowed(v)) {
            None => Ok(()),
            Some(_) => {
                let names: Vec<String> = choices.iter().map(|c| c.value().to_string()).collect();
                Err(self.value_error(
                    property,
                    format!("is not one of its options: use one of {}", names.join(", ")),
                ))
            }
        }
    }

    /// Checks a value against a property's regex: a scalar, or each item of an array.
    fn check_pattern(&self, property: &Property, regex: &str, value: &Value) -> Result<()> {
        let (items, in_array) = match value {
            Value::Array(items) => (items.as_slice(), true),
            one => (std::slice::from_ref(one), false),
        };
        let item_of = |i: usize| {
            if in_array {
                format!("has item {i} that ")
            } else {
                String::new()
            }
        };
        let mut texts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match pattern_text(item) {
                Ok(Some(text)) => texts.push((i, text)),
                Ok(None) => {}
                Err(found) => {
                    return Err(self.value_error(
                        property,
                        format!(
                            "{}holds {found}, but its regex /{regex}/ applies to text",
                            item_of(i)
                        ),
                    ));
                }
            }
        }
        if texts.is_empty() {
            return Ok(());
        }
        let compiled = self.compile(property, regex)?;
        match texts.iter().find(|(_, text)| !compiled.is_match(text)) {
            None => Ok(()),
            Some((i, _)) => Err(self.value_error(
                property,
                format!(
                    "{}does not match /{regex}/ (the whole value must match)",
                    item_of(*i)
                ),
            )),
        }
    }

    /// Compiles a property's regex anchored at both ends, as HTML's `pattern` is. The regex is
    /// first compiled alone, so that one such as `a)|(b` cannot escape the anchors.
    fn compile(&self, property: &Property, regex: &str) -> Result<regex_lite::Regex> {
        regex_lite::Regex::new(regex)
            .and_then(|_| regex_lite::Regex::new(&format!("^(?:{regex})$")))
            .map_err(|e| {
                Error::MalformedHal(format!(
                    "template `{}`: the regex /{regex}/ of property `{}` cannot be compiled, so its value cannot be checked: {}",
                    self.name,
                    property.name,
                    one_line(&e.to_string())
                ))
            })
    }

    /// The error for a value of `property` that breaks its rules.
    fn value_error(&self, property: &Property, message: String) -> Error {
        Error::FormValue {
            template: self.name.clone(),
            property: property.name.clone(),
            message: message.into(),
        }
    }

    /// Reads the template stored under `name` in `_templates`.
    fn parse(name: &str, json: &Value) -> Result<Template> {
        let obj = json.as_object().ok_or_else(|| {
            Error::MalformedHal(format!(
                "template `{name}` is {}, not an object",
                json_type(json)
            ))
        })?;
        let properties = match obj.get("properties") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Property::parse(name, i, p).transpose())
                .collect::<Result<_>>()?,
            Some(other) => {
                return Err(Error::MalformedHal(format!(
                    "the properties of template `{name}` are {}, not an array",
                    json_type(other)
                )));
            }
        };
        Ok(Template {
            name: name.to_owned(),
            title: text(obj, "title"),
            method: parse_method(name, obj.get("method"))?,
            target: parse_target(name, obj.get("target"))?,
            content_type: parse_content_type(obj.get("contentType")),
            properties,
        })
    }
}

/// The uppercase method of template `name`: `GET` when missing or empty.
fn parse_method(name: &str, json: Option<&Value>) -> Result<String> {
    let written = match json {
        None | Some(Value::Null) => return Ok("GET".to_owned()),
        Some(Value::String(s)) => s.trim(),
        Some(other) => {
            return Err(Error::MalformedHal(format!(
                "the method of template `{name}` is {}, not a string",
                json_type(other)
            )));
        }
    };
    if written.is_empty() {
        return Ok("GET".to_owned());
    }
    METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(written))
        .map(|m| (*m).to_owned())
        .ok_or_else(|| Error::FormMethod {
            template: name.to_owned(),
            method: written.to_owned(),
        })
}

/// The target of template `name` as written (trimmed), once it is known to be an `http`/`https` URI
/// reference (characters a URI cannot hold, such as spaces, are fine: they are encoded when
/// the request is built). `None` when missing or empty.
fn parse_target(name: &str, json: Option<&Value>) -> Result<Option<String>> {
    let written = match json {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim(),
        Some(other) => {
            return Err(Error::MalformedHal(format!(
                "the target of template `{name}` is {}, not a string",
                json_type(other)
            )));
        }
    };
    let fail = |message: String| Error::InvalidUrl {
        url: crate::url::redacted(written).into_owned(),
        message,
    };
    let parsed = match url::Url::parse(written) {
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            url::Url::parse("http://relative.invalid/").and_then(|base| base.join(written))
        }
        other => other,
    }
    .map_err(|e| {
        fail(format!(
            "the target of template `{name}` is not a uri reference: {e}"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(fail(format!(
            "the target of template `{name}` must be an http or https url, or a relative one"
        )));
    }
    Ok(Some(written.to_owned()))
}

/// The content type to send: JSON (`application/json`, `…+json`) and form-encoded types as
/// written, anything else `application/json`.
fn parse_content_type(json: Option<&Value>) -> String {
    match json.and_then(Value::as_str).map(str::trim) {
        Some(written) if is_supported(&essence(written)) => written.to_owned(),
        _ => JSON.to_owned(),
    }
}

/// The media type without parameters, lowercase: `Application/JSON; charset=utf-8` →
/// `application/json`.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether halchemy can encode a body of this media type: JSON or form-encoded.
fn is_supported(essence: &str) -> bool {
    essence == JSON || essence == FORM_URLENCODED || essence.ends_with("+json")
}

/// What HTML calls a missing value.
fn is_missing(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// The text HTML's `pattern` is checked against: `None` for what it skips (`null`, `""`),
/// the JSON type of what has no text (objects, nested arrays).
fn pattern_text(value: &Value) -> std::result::Result<Option<String>, &'static str> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(json_type(other)),
    }
}

/// A message on one line (regex errors span several).
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A non-empty string attribute; other types count as absent.
fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A boolean attribute: `true` or `"true"` (any case); anything else is false, as the
/// specification says of unrecognised values.
fn flag(obj: &Map<String, Value>, key: &str) -> bool {
    match obj.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A count: a non-negative integer, or a string holding one.
fn count(obj: &Map<String, Value>, key: &str) -> Option<u64> {
    match obj.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One property of a HAL-FORMS template: a value the request may carry, with its constraints
/// and hints for a user interface.
///
/// The core attributes of the specification have their own getters; every attribute, the
/// additional ones (`cols`, `rows`, …) and any a server adds, is readable with
/// [`attribute`](Property::attribute).
///
/// # Example
///
/// ```
/// use halchemy::Resource;
/// use serde_json::json;
///
/// let r = Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{
///     "name": "card", "prompt": "Card number", "required": true, "regex": "[0-9]{16}",
///     "type": "text", "maxLength": 16, "x-mask": "#### #### #### ####"
/// }]}}}));
/// let form = r.template("default")?;
/// let card = &form.properties()[0];
/// assert_eq!(card.name(), "card");
/// assert_eq!(card.prompt(), Some("Card number"));
/// assert!(card.is_required() && !card.is_read_only());
/// assert_eq!(card.regex(), Some("[0-9]{16}"));
/// assert_eq!(card.max_length(), Some(16));
/// assert_eq!(card.attribute("x-mask"), Some(&json!("#### #### #### ####")));
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Property {
    name: String,
    prompt: Option<String>,
    required: bool,
    read_only: bool,
    templated: bool,
    regex: Option<String>,
    input_type: Option<String>,
    value: Option<Value>,
    placeholder: Option<String>,
    options: Option<PropertyOptions>,
    attributes: Map<String, Value>,
}

impl Property {
    /// The property's name: the key its value is sent under.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "role"}]}}}));
    /// let form = r.template("default")?;
    /// assert_eq!(form.properties()[0].name(), "role");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The human-readable prompt, when the document gives one (a user interface may show the
    /// name instead).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "role", "prompt": "Role"}]}}}));
    /// let role = r.template("default")?.properties()[0].clone();
    /// assert_eq!(role.prompt(), Some("Role"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn prompt(&self) -> Option<&str> {
        self.prompt.as_deref()
    }

    /// Whether a request must carry a value for this property. Defaults to `false`.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "role", "required": true}]}}}));
    /// assert!(r.template("default")?.properties()[0].is_required());
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn is_required(&self) -> bool {
        self.required
    }

    /// Whether the property is read-only: shown, but not for the caller to change. Defaults to
    /// `false`. A read-only property is sent only when the caller gives it a value.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "id", "readOnly": true}]}}}));
    /// assert!(r.template("default")?.properties()[0].is_read_only());
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Whether [`value`](Property::value) is an RFC 6570 URI template for the client to expand.
    /// Defaults to `false`.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "next", "value": "/orders/{id}", "templated": true}]}}}));
    /// let next = r.template("default")?.properties()[0].clone();
    /// assert!(next.is_templated());
    /// assert_eq!(next.value(), Some(&json!("/orders/{id}")));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn is_templated(&self) -> bool {
        self.templated
    }

    /// The regular expression a value must match as a whole, as HTML's `pattern` attribute
    /// (ECMAScript syntax), as the document writes it: without anchors.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "zip", "regex": "[0-9]{5}"}]}}}));
    /// assert_eq!(r.template("default")?.properties()[0].regex(), Some("[0-9]{5}"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn regex(&self) -> Option<&str> {
        self.regex.as_deref()
    }

    /// The `type` attribute: an HTML5 input type such as `text`, `email`, `number` or `date`.
    /// `None` when absent, which the specification says to treat as `text`.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "mail", "type": "email"}, {"name": "x"}]}}}));
    /// let form = r.template("default")?;
    /// assert_eq!(form.properties()[0].input_type(), Some("email"));
    /// assert_eq!(form.properties()[1].input_type(), None);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn input_type(&self) -> Option<&str> {
        self.input_type.as_deref()
    }

    /// The default (or current) value, as the document writes it. It is sent when the caller
    /// gives none, unless the property is read-only or the value is templated.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "role", "value": "hobbit"}]}}}));
    /// assert_eq!(r.template("default")?.properties()[0].value(), Some(&json!("hobbit")));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn value(&self) -> Option<&Value> {
        self.value.as_ref()
    }

    /// A short hint shown in an empty input, such as a sample value.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "mail", "placeholder": "name@example.com"}]}}}));
    /// assert_eq!(r.template("default")?.properties()[0].placeholder(), Some("name@example.com"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn placeholder(&self) -> Option<&str> {
        self.placeholder.as_deref()
    }

    /// The smallest number allowed (`min`), when it is a number.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "age", "min": 18, "max": 120, "step": 1}]}}}));
    /// let age = r.template("default")?.properties()[0].clone();
    /// assert_eq!((age.min(), age.max(), age.step()), (Some(18.0), Some(120.0), Some(1.0)));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn min(&self) -> Option<f64> {
        self.number("min")
    }

    /// The largest number allowed (`max`), when it is a number.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "age", "max": 120}]}}}));
    /// assert_eq!(r.template("default")?.properties()[0].max(), Some(120.0));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn max(&self) -> Option<f64> {
        self.number("max")
    }

    /// The interval between allowed numbers (`step`), when it is a number.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "qty", "step": 5}]}}}));
    /// assert_eq!(r.template("default")?.properties()[0].step(), Some(5.0));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn step(&self) -> Option<f64> {
        self.number("step")
    }

    /// The fewest characters allowed (`minLength`).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "pin", "minLength": 4, "maxLength": 8}]}}}));
    /// let pin = r.template("default")?.properties()[0].clone();
    /// assert_eq!((pin.min_length(), pin.max_length()), (Some(4), Some(8)));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn min_length(&self) -> Option<u64> {
        count(&self.attributes, "minLength")
    }

    /// The most characters allowed (`maxLength`).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "pin", "maxLength": 8}]}}}));
    /// assert_eq!(r.template("default")?.properties()[0].max_length(), Some(8));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn max_length(&self) -> Option<u64> {
        count(&self.attributes, "maxLength")
    }

    /// The values to choose from, when the document gives them (`options`). Options that cannot
    /// be read are left out, as the specification says.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "shipping", "options": {"inline": ["FedEx", "UPS"]}}]}}}));
    /// let shipping = r.template("default")?.properties()[0].clone();
    /// assert_eq!(shipping.options().map(|o| o.choices().len()), Some(2));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn options(&self) -> Option<&PropertyOptions> {
        self.options.as_ref()
    }

    /// Any attribute of the property as the document writes it, including those without a
    /// getter (`cols`, `rows`, extensions).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "notes", "type": "textarea", "cols": 40, "rows": 5}]}}}));
    /// let notes = r.template("default")?.properties()[0].clone();
    /// assert_eq!(notes.attribute("rows"), Some(&json!(5)));
    /// assert_eq!(notes.attribute("missing"), None);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        self.attributes.get(name)
    }

    /// Every attribute of the property as the document writes it.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{"name": "role", "required": true}]}}}));
    /// let role = r.template("default")?.properties()[0].clone();
    /// assert_eq!(role.attributes().len(), 2);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn attributes(&self) -> &Map<String, Value> {
        &self.attributes
    }

    /// A numeric attribute.
    fn number(&self, key: &str) -> Option<f64> {
        self.attributes.get(key).and_then(Value::as_f64)
    }

    /// The document's value, when it may be sent for a caller who gave none.
    fn default_to_send(&self) -> Option<&Value> {
        self.value
            .as_ref()
            .filter(|_| !self.read_only && !self.templated)
    }

    /// Reads property `index` of template `template`: `None` for a property without a name,
    /// which the specification says to ignore.
    fn parse(template: &str, index: usize, json: &Value) -> Result<Option<Property>> {
        let obj = json.as_object().ok_or_else(|| {
            Error::MalformedHal(format!(
                "property {index} of template `{template}` is {}, not an object",
                json_type(json)
            ))
        })?;
        let name = match obj.get("name") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) if s.is_empty() => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(Error::MalformedHal(format!(
                    "the name of property {index} of template `{template}` is {}, not a string",
                    json_type(other)
                )));
            }
        };
        Ok(Some(Property {
            name,
            prompt: text(obj, "prompt"),
            required: flag(obj, "required"),
            read_only: flag(obj, "readOnly"),
            templated: flag(obj, "templated"),
            regex: text(obj, "regex"),
            input_type: text(obj, "type"),
            value: obj.get("value").filter(|v| !v.is_null()).cloned(),
            placeholder: text(obj, "placeholder"),
            options: obj
                .get("options")
                .and_then(Value::as_object)
                .and_then(PropertyOptions::parse),
            attributes: obj.clone(),
        }))
    }
}

/// The values a property may take (its `options`): listed in the document (`inline`) or
/// behind a [`link`](PropertyOptions::link) to fetch.
///
/// # Example
///
/// ```
/// use halchemy::Resource;
/// use serde_json::json;
///
/// let r = Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [{
///     "name": "shipping",
///     "options": {
///         "selectedValues": ["FedEx"],
///         "inline": [{"prompt": "Federal Express", "value": "FedEx"}, "UPS"],
///         "maxItems": 1
///     }
/// }]}}}));
/// let form = r.template("default")?;
/// let options = form.properties()[0].options().expect("options");
/// let prompts: Vec<_> = options.choices().iter().map(|c| c.prompt().to_owned()).collect();
/// assert_eq!(prompts, ["Federal Express", "UPS"]);
/// assert_eq!(options.selected_values(), [json!("FedEx")]);
/// assert_eq!((options.min_items(), options.max_items()), (0, Some(1)));
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyOptions {
    inline: Option<Vec<Value>>,
    link: Option<Link>,
    prompt_field: String,
    value_field: String,
    selected_values: Vec<Value>,
    min_items: u64,
    max_items: Option<u64>,
}

impl PropertyOptions {
    /// The values listed in the document, as written: strings, or objects holding a
    /// [prompt field](PropertyOptions::prompt_field) and a
    /// [value field](PropertyOptions::value_field). [`choices`](PropertyOptions::choices)
    /// reads them either way.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "shipping", "options": {"inline": ["FedEx", "UPS"]}}]}}}));
    /// let form = r.template("default")?;
    /// let options = form.properties()[0].options().expect("options");
    /// assert_eq!(options.inline(), Some(&[json!("FedEx"), json!("UPS")][..]));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn inline(&self) -> Option<&[Value]> {
        self.inline.as_deref()
    }

    /// Where to fetch the values from, when they are not inline. Its
    /// [`media_type`](Link::media_type) is the `Accept` header to send (`application/json` when
    /// absent) and it may be [templated](Link::templated).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "shipping", "options": {"link": {"href": "/shipping-options", "type": "text/csv"}}}]}}}));
    /// let form = r.template("default")?;
    /// let link = form.properties()[0].options().and_then(|o| o.link()).expect("link");
    /// assert_eq!(link.href, "/shipping-options");
    /// assert_eq!(link.media_type.as_deref(), Some("text/csv"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn link(&self) -> Option<&Link> {
        self.link.as_ref()
    }

    /// The key holding each option's prompt (`promptField`). Defaults to `prompt`.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "country", "options": {"inline": [{"name": "France", "code": "FR"}], "promptField": "name", "valueField": "code"}}]}}}));
    /// let form = r.template("default")?;
    /// let options = form.properties()[0].options().expect("options");
    /// assert_eq!((options.prompt_field(), options.value_field()), ("name", "code"));
    /// assert_eq!(options.choices()[0].prompt(), "France");
    /// assert_eq!(options.choices()[0].value(), &json!("FR"));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn prompt_field(&self) -> &str {
        &self.prompt_field
    }

    /// The key holding each option's value (`valueField`). Defaults to `value`.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "shipping", "options": {"inline": ["FedEx"]}}]}}}));
    /// let form = r.template("default")?;
    /// assert_eq!(form.properties()[0].options().expect("options").value_field(), "value");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn value_field(&self) -> &str {
        &self.value_field
    }

    /// The values selected when the document was written (`selectedValues`); empty when none.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "shipping", "options": {"inline": ["FedEx", "UPS"], "selectedValues": ["UPS"]}}]}}}));
    /// let form = r.template("default")?;
    /// assert_eq!(form.properties()[0].options().expect("options").selected_values(), [json!("UPS")]);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn selected_values(&self) -> &[Value] {
        &self.selected_values
    }

    /// The fewest values to select (`minItems`). Defaults to 0.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "tags", "options": {"inline": ["a", "b", "c"], "minItems": 1}}]}}}));
    /// let form = r.template("default")?;
    /// assert_eq!(form.properties()[0].options().expect("options").min_items(), 1);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn min_items(&self) -> u64 {
        self.min_items
    }

    /// The most values to select (`maxItems`); `None` when unbounded, the default.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "tags", "options": {"inline": ["a", "b", "c"]}}]}}}));
    /// let form = r.template("default")?;
    /// assert_eq!(form.properties()[0].options().expect("options").max_items(), None);
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn max_items(&self) -> Option<u64> {
        self.max_items
    }

    /// The inline values as prompt and value pairs. A plain value is its own prompt; an
    /// object gives its [prompt field](PropertyOptions::prompt_field) (else its value) and its
    /// [value field](PropertyOptions::value_field); objects without a value field are left
    /// out. Empty when the values are behind a [link](PropertyOptions::link).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "size", "options": {"inline": [{"prompt": "Large", "value": "L"}, {"value": 42}]}}]}}}));
    /// let form = r.template("default")?;
    /// let choices = form.properties()[0].options().expect("options").choices();
    /// assert_eq!((choices[0].prompt(), choices[0].value()), ("Large", &json!("L")));
    /// assert_eq!((choices[1].prompt(), choices[1].value()), ("42", &json!(42)));
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn choices(&self) -> Vec<PropertyChoice> {
        let Some(items) = &self.inline else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let (prompt, value) = match item {
                    Value::Object(obj) => {
                        let value = obj.get(&self.value_field).filter(|v| !v.is_null());
                        (obj.get(&self.prompt_field), value?)
                    }
                    plain => (None, plain),
                };
                let prompt = prompt.filter(|p| !p.is_null()).unwrap_or(value);
                Some(PropertyChoice {
                    prompt: match prompt {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                    value: value.clone(),
                })
            })
            .collect()
    }

    /// Reads `options`; `None` when it has neither usable `inline` values nor a `link`, which
    /// the specification says to ignore.
    fn parse(obj: &Map<String, Value>) -> Option<PropertyOptions> {
        let inline = obj.get("inline").and_then(Value::as_array).cloned();
        let link = obj.get("link").and_then(|json| {
            let mut link = Link::from_json("link", json).ok()?;
            // `"templated": "true"` counts, as for the other flags.
            link.templated = json.as_object().is_some_and(|l| flag(l, "templated"));
            Some(link).filter(|l| !l.href.is_empty())
        });
        if inline.is_none() && link.is_none() {
            return None;
        }
        Some(PropertyOptions {
            inline,
            link,
            prompt_field: text(obj, "promptField").unwrap_or_else(|| "prompt".to_owned()),
            value_field: text(obj, "valueField").unwrap_or_else(|| "value".to_owned()),
            selected_values: obj
                .get("selectedValues")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            min_items: count(obj, "minItems").unwrap_or(0),
            max_items: count(obj, "maxItems"),
        })
    }
}

/// One value of a property's inline [options](PropertyOptions::choices), with the prompt to
/// show for it.
///
/// # Example
///
/// ```
/// # use serde_json::json;
/// let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
///     {"name": "shipping", "options": {"inline": [{"prompt": "Federal Express", "value": "FedEx"}]}}
/// ]}}}));
/// let form = r.template("default")?;
/// let choice = &form.properties()[0].options().expect("options").choices()[0];
/// assert_eq!(choice.prompt(), "Federal Express");
/// assert_eq!(choice.value(), "FedEx");
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyChoice {
    prompt: String,
    value: Value,
}

impl PropertyChoice {
    /// The text to show.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "shipping", "options": {"inline": ["UPS"]}}]}}}));
    /// # let form = r.template("default")?;
    /// let choice = &form.properties()[0].options().expect("options").choices()[0];
    /// assert_eq!(choice.prompt(), "UPS");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// The value to send.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # let r = halchemy::Resource::from(json!({"_templates": {"default": {"method": "POST", "properties": [
    /// #     {"name": "shipping", "options": {"inline": ["UPS"]}}]}}}));
    /// # let form = r.template("default")?;
    /// let choice = &form.properties()[0].options().expect("options").choices()[0];
    /// assert_eq!(choice.value(), "UPS");
    /// # Ok::<(), halchemy::Error>(())
    /// ```
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// The document's `_templates` object; `None` when it is missing or `null`.
fn templates_map(data: &Value) -> Result<Option<&Map<String, Value>>> {
    match data.get("_templates") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(Error::MalformedHal(format!(
            "`_templates` is {}, not an object of templates by name",
            json_type(other)
        ))),
    }
}

/// Every template of a document, in name order (serde_json keeps object keys sorted); empty
/// when it has no `_templates`. A template whose value is `null` is absent.
///
/// # Errors
///
/// [`Error::MalformedHal`] naming the template and what is wrong with it,
/// [`Error::FormMethod`] and [`Error::InvalidUrl`] (a bad `target`).
pub(crate) fn templates(data: &Value) -> Result<Vec<Template>> {
    let Some(map) = templates_map(data)? else {
        return Ok(Vec::new());
    };
    map.iter()
        .filter(|(_, t)| !t.is_null())
        .map(|(name, t)| Template::parse(name, t))
        .collect()
}

/// The template called `name`. Only that template is read, so a malformed sibling does not
/// stand in the way.
///
/// # Errors
///
/// [`Error::TemplateNotFound`] listing the templates there are, and the errors of
/// [`templates`].
pub(crate) fn template(data: &Value, name: &str) -> Result<Template> {
    let map = templates_map(data)?;
    match map.and_then(|m| m.get(name)).filter(|t| !t.is_null()) {
        Some(t) => Template::parse(name, t),
        None => Err(Error::TemplateNotFound {
            name: name.to_owned(),
            available: map
                .into_iter()
                .flatten()
                .filter(|(_, t)| !t.is_null())
                .map(|(n, _)| n.clone())
                .collect(),
        }),
    }
}

impl fmt::Debug for Template {
    /// Every part, with the password of a target URL redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.name)
            .field("title", &self.title)
            .field("method", &self.method)
            .field("target", &self.target.as_deref().map(crate::url::redacted))
            .field("content_type", &self.content_type)
            .field("properties", &self.properties)
            .finish()
    }
}

impl fmt::Debug for Property {
    /// Every part, with the password of any URL among its attributes redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Property")
            .field("name", &self.name)
            .field("prompt", &self.prompt)
            .field("required", &self.required)
            .field("read_only", &self.read_only)
            .field("templated", &self.templated)
            .field("regex", &self.regex)
            .field("input_type", &self.input_type)
            .field("value", &self.value.as_ref().map(crate::url::RedactedJson))
            .field("placeholder", &self.placeholder)
            .field("options", &self.options)
            .field(
                "attributes",
                &crate::url::RedactedJson(&Value::Object(self.attributes.clone())),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Spring HATEOAS's employee, with the constraints its annotations add.
    fn spring_employee() -> Value {
        json!({
            "id": 1,
            "firstName": "Frodo",
            "lastName": "Baggins",
            "role": "ring bearer",
            "_links": {"self": {"href": "http://localhost:8080/employees/1"}},
            "_templates": {
                "default": {
                    "method": "put",
                    "contentType": "",
                    "properties": [
                        {"name": "id", "readOnly": true, "value": 1},
                        {"name": "firstName", "required": true, "regex": "[A-Z][a-z]+"},
                        {"name": "lastName", "required": true},
                        {"name": "role", "required": true, "value": "hobbit"}
                    ]
                },
                "partiallyUpdateEmployee": {
                    "method": "patch",
                    "contentType": "",
                    "properties": [
                        {"name": "firstName", "required": false},
                        {"name": "lastName", "required": false},
                        {"name": "role", "required": false}
                    ]
                }
            }
        })
    }

    fn form(doc: &Value, name: &str) -> Template {
        match template(doc, name) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn malformed(result: Result<impl std::fmt::Debug>, hint: &str) {
        match result {
            Err(Error::MalformedHal(m)) => assert!(m.contains(hint), "{m:?} lacks {hint:?}"),
            other => panic!("expected MalformedHal with {hint:?}, got {other:?}"),
        }
    }

    fn value_error(result: Result<Value>, property: &str, hint: &str) {
        match result {
            Err(e @ Error::FormValue { .. }) => {
                let Error::FormValue { property: p, .. } = &e else {
                    unreachable!()
                };
                assert_eq!(p, property, "{e}");
                assert!(e.to_string().contains(hint), "{e} lacks {hint:?}");
            }
            other => panic!("expected FormValue for {property}, got {other:?}"),
        }
    }

    #[test]
    fn spring_sample_reads_with_spec_defaults() {
        let doc = spring_employee();
        let all = templates(&doc).unwrap();
        let names: Vec<_> = all.iter().map(Template::name).collect();
        assert_eq!(names, ["default", "partiallyUpdateEmployee"]);

        let put = form(&doc, "default");
        assert_eq!(put.method(), "PUT");
        assert_eq!(put.target(), None);
        assert_eq!(put.content_type(), "application/json");
        assert_ne!(essence(put.content_type()), FORM_URLENCODED);
        assert_eq!(put.title(), None);
        let names: Vec<_> = put.properties().iter().map(Property::name).collect();
        assert_eq!(names, ["id", "firstName", "lastName", "role"]);
        let id = put.property("id").unwrap();
        assert!(id.is_read_only() && !id.is_required());
        let first = put.property("firstName").unwrap();
        assert!(first.is_required() && !first.is_read_only());
        assert_eq!(first.regex(), Some("[A-Z][a-z]+"));
        assert_eq!(first.input_type(), None);

        assert_eq!(form(&doc, "partiallyUpdateEmployee").method(), "PATCH");
    }

    /// The shared Spring HATEOAS dialect sample (`spring-hateoas-hal-forms-employee.json`), verbatim.
    const SPRING_DIALECT: &str = r#"{
  "firstName" : "Frodo",
  "lastName" : "Baggins",
  "role" : "ring bearer",
  "_links" : {
    "self" : {
      "href" : "http://localhost:8080/employees/1"
    }
  },
  "_templates" : {
    "default" : {
      "method" : "put",
      "contentType" : "",
      "properties" : [ {
        "name" : "firstName",
        "required" : true
      }, {
        "name" : "lastName",
        "required" : true
      }, {
        "name" : "role",
        "required" : true
      } ]
    },
    "partiallyUpdateEmployee" : {
      "method" : "patch",
      "contentType" : "",
      "properties" : [ {
        "name" : "firstName",
        "required" : false
      }, {
        "name" : "lastName",
        "required" : false
      }, {
        "name" : "role",
        "required" : false
      } ]
    }
  }
}"#;

    #[test]
    fn the_dialect_sample_reads_and_checks() {
        let doc: Value = serde_json::from_str(SPRING_DIALECT).unwrap();
        let put = form(&doc, "default");
        assert_eq!(
            (put.method(), put.content_type()),
            ("PUT", "application/json")
        );
        assert!(put.properties().iter().all(Property::is_required));
        value_error(
            put.check(&json!({"firstName": "Sam"})),
            "lastName",
            "required",
        );
        let patch = form(&doc, "partiallyUpdateEmployee");
        assert_eq!(patch.method(), "PATCH");
        assert_eq!(
            patch.check(&json!({"role": "gardener"})).unwrap(),
            json!({"role": "gardener"})
        );
    }

    #[test]
    fn check_fills_defaults_keeps_extras_and_leaves_read_only_out() {
        let put = form(&spring_employee(), "default");
        let body = put
            .check(&json!({"firstName": "Sam", "lastName": "Gamgee", "note": "extra"}))
            .unwrap();
        assert_eq!(
            body,
            json!({"firstName": "Sam", "lastName": "Gamgee", "role": "hobbit", "note": "extra"})
        );
        // A read-only value the caller gives is sent; null for a required one takes the default.
        let body = put
            .check(&json!({"id": 7, "firstName": "Sam", "lastName": "G", "role": null}))
            .unwrap();
        assert_eq!(body["id"], 7);
        assert_eq!(body["role"], "hobbit");
        // Null for an optional property is the caller's to send (it clears the field).
        let patch = form(&spring_employee(), "partiallyUpdateEmployee");
        assert_eq!(
            patch.check(&json!({"role": null})).unwrap(),
            json!({"role": null})
        );
        assert_eq!(patch.check(&Value::Null).unwrap(), json!({}));
    }

    #[test]
    fn missing_required_values_are_named() {
        let put = form(&spring_employee(), "default");
        value_error(
            put.check(&json!({"firstName": "Sam"})),
            "lastName",
            "property `lastName` is required",
        );
        for empty in [json!(null), json!(""), json!([])] {
            value_error(
                put.check(&json!({"firstName": "Sam", "lastName": empty})),
                "lastName",
                "required",
            );
        }
        let err = put.check(&json!({})).unwrap_err().to_string();
        assert!(err.starts_with("cannot submit template `default`"), "{err}");
    }

    #[test]
    fn templated_defaults_are_not_sent() {
        let doc = json!({"_templates": {"default": {"method": "POST", "properties": [
            {"name": "next", "value": "/orders/{id}", "templated": true, "required": true}
        ]}}});
        value_error(form(&doc, "default").check(&json!({})), "next", "required");
    }

    #[test]
    fn regex_must_match_the_whole_value() {
        let doc = json!({"_templates": {"default": {"method": "POST", "properties": [
            {"name": "zip", "regex": "[0-9]+"},
            {"name": "tags", "regex": "[a-z]+"},
            {"name": "escape", "regex": "a)|(b"}
        ]}}});
        let t = form(&doc, "default");
        assert!(t.check(&json!({"zip": "12345"})).is_ok());
        assert!(t.check(&json!({"zip": 12345})).is_ok());
        assert!(t.check(&json!({"zip": ""})).is_ok(), "empty is not checked");
        value_error(
            t.check(&json!({"zip": "12a45"})),
            "zip",
            "property `zip` does not match /[0-9]+/",
        );
        // Anchored: a match inside the value is not enough.
        value_error(t.check(&json!({"zip": "x1"})), "zip", "does not match");
        value_error(t.check(&json!({"zip": {"a": 1}})), "zip", "holds an object");
        value_error(
            t.check(&json!({"tags": ["a", ["b"]]})),
            "tags",
            "has item 1 that holds an array",
        );
        assert!(t.check(&json!({"tags": ["a", "b"]})).is_ok());
        value_error(
            t.check(&json!({"tags": ["a", "B"]})),
            "tags",
            "has item 1 that does not match /[a-z]+/",
        );
        // A regex that would escape the anchors is rejected, not made permissive.
        malformed(t.check(&json!({"escape": "zzb"})), "property `escape`");
    }

    #[test]
    fn the_message_never_holds_the_value() {
        let doc = json!({"_templates": {"default": {"method": "POST", "properties": [
            {"name": "password", "type": "password", "regex": "[0-9]{4}"}
        ]}}});
        let err = form(&doc, "default")
            .check(&json!({"password": "hunter2"}))
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn invalid_regex_is_an_error_naming_the_property() {
        let doc = json!({"_templates": {"default": {"method": "POST", "properties": [
            {"name": "code", "regex": "[0-9"},
            {"name": "strong", "regex": "(?=.*[0-9]).{8,}"}
        ]}}});
        let t = form(&doc, "default");
        assert_eq!(t.property("code").unwrap().regex(), Some("[0-9"));
        malformed(t.check(&json!({"code": "1"})), "property `code`");
        // ECMAScript lookahead is beyond regex-lite: a typed error, not a panic.
        malformed(t.check(&json!({"strong": "abcdefg1"})), "property `strong`");
        // Only a value to check needs the regex.
        assert!(t.check(&json!({})).is_ok());
    }

    #[test]
    fn values_must_be_an_object() {
        let t = form(&spring_employee(), "default");
        assert!(matches!(
            t.check(&json!([1])),
            Err(Error::Parameters(m)) if m.contains("are an array")
        ));
    }

    #[test]
    fn options_read_inline_and_link() {
        let doc = json!({"_templates": {"default": {"method": "POST", "properties": [
            {"name": "shipping", "required": true, "options": {
                "selectedValues": ["FedEx"],
                "inline": [
                    {"label": "Federal Express", "code": "FedEx"},
                    {"code": "UPS"},
                    {"label": "no code"}
                ],
                "promptField": "label",
                "valueField": "code",
                "minItems": "1",
                "maxItems": 1
            }},
            {"name": "country", "options": {"link": {
                "href": "/countries{?q}", "templated": "true"
            }}},
            {"name": "broken", "options": {"inline": "FedEx"}}
        ]}}});
        let t = form(&doc, "default");
        let shipping = t.property("shipping").unwrap().options().unwrap();
        let choices: Vec<_> = shipping
            .choices()
            .iter()
            .map(|c| (c.prompt().to_owned(), c.value().clone()))
            .collect();
        assert_eq!(
            choices,
            [
                ("Federal Express".to_owned(), json!("FedEx")),
                ("UPS".to_owned(), json!("UPS"))
            ]
        );
        assert_eq!(shipping.selected_values(), [json!("FedEx")]);
        assert_eq!((shipping.min_items(), shipping.max_items()), (1, Some(1)));
        assert!(shipping.link().is_none());

        let country = t.property("country").unwrap().options().unwrap();
        let link = country.link().unwrap();
        assert_eq!(link.href, "/countries{?q}");
        assert!(link.templated);
        assert!(country.choices().is_empty());
        assert_eq!(country.prompt_field(), "prompt");
        assert_eq!(country.value_field(), "value");

        assert!(t.property("broken").unwrap().options().is_none());
    }

    #[test]
    fn unknown_template_lists_the_names() {
        let err = template(&spring_employee(), "fire").unwrap_err();
        match &err {
            Error::TemplateNotFound { name, available } => {
                assert_eq!(name, "fire");
                assert_eq!(available, &["default", "partiallyUpdateEmployee"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("default, partiallyUpdateEmployee"));
        let none = template(&json!({}), "default").unwrap_err();
        assert!(none.to_string().contains("(none)"), "{none}");
    }

    #[test]
    fn methods_are_normalised_and_checked() {
        let doc = json!({"_templates": {
            "a": {"method": "Delete"},
            "b": {"method": " options "},
            "c": {},
            "d": {"method": ""},
            "e": {"method": "PROPFIND"}
        }});
        assert_eq!(form(&doc, "a").method(), "DELETE");
        assert_eq!(form(&doc, "b").method(), "OPTIONS");
        assert_eq!(form(&doc, "c").method(), "GET");
        assert_eq!(form(&doc, "d").method(), "GET");
        let err = template(&doc, "e").unwrap_err();
        assert!(
            matches!(&err, Error::FormMethod { template, method } if template == "e" && method == "PROPFIND"),
            "{err:?}"
        );
        assert!(err.to_string().contains("GET, POST, PUT, PATCH"), "{err}");
        // Listing fails on the bad one; reading a good sibling does not.
        assert!(templates(&doc).is_err());
        malformed(
            template(&json!({"_templates": {"x": {"method": 1}}}), "x"),
            "method of template `x` is a number",
        );
    }

    #[test]
    fn targets_must_be_uri_references() {
        let doc = json!({"_templates": {
            "rel": {"method": "POST", "target": "/employees/new hire"},
            "abs": {"method": "POST", "target": "https://example.org/a?b=c"},
            "blank": {"method": "POST", "target": " "},
            "padded": {"method": "POST", "target": " /employees "},
            "ipv6": {"method": "POST", "target": "http://[::1"},
            "ftp": {"method": "POST", "target": "ftp://example.org/x"},
            "num": {"method": "POST", "target": 5}
        }});
        assert_eq!(form(&doc, "rel").target(), Some("/employees/new hire"));
        assert_eq!(
            form(&doc, "abs").target(),
            Some("https://example.org/a?b=c")
        );
        assert_eq!(form(&doc, "blank").target(), None);
        assert_eq!(form(&doc, "padded").target(), Some("/employees"));
        for name in ["ipv6", "ftp"] {
            let err = template(&doc, name).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidUrl { message, .. } if message.contains(&format!("template `{name}`"))),
                "{err:?}"
            );
        }
        malformed(
            template(&doc, "num"),
            "target of template `num` is a number",
        );
    }

    #[test]
    fn content_types() {
        let doc = json!({"_templates": {
            "form": {"contentType": "Application/X-WWW-Form-Urlencoded"},
            "merge": {"contentType": "application/merge-patch+json"},
            "charset": {"contentType": "application/json; charset=utf-8"},
            "multipart": {"contentType": "multipart/form-data"},
            "number": {"contentType": 3}
        }});
        let form_t = form(&doc, "form");
        assert_eq!(essence(form_t.content_type()), FORM_URLENCODED);
        assert_eq!(form_t.content_type(), "Application/X-WWW-Form-Urlencoded");
        assert_eq!(
            form(&doc, "merge").content_type(),
            "application/merge-patch+json"
        );
        assert_eq!(
            form(&doc, "charset").content_type(),
            "application/json; charset=utf-8"
        );
        assert_eq!(form(&doc, "multipart").content_type(), "application/json");
        assert_eq!(form(&doc, "number").content_type(), "application/json");
    }

    #[test]
    fn no_templates_is_an_empty_list() {
        assert!(templates(&json!({"a": 1})).unwrap().is_empty());
        assert!(templates(&json!({"_templates": null})).unwrap().is_empty());
        assert!(templates(&json!({"_templates": {}})).unwrap().is_empty());
        assert!(templates(&json!("not even an object")).unwrap().is_empty());
        // A null template is absent.
        let doc = json!({"_templates": {"default": null, "b": {}}});
        assert_eq!(templates(&doc).unwrap().len(), 1);
        assert!(matches!(
            template(&doc, "default"),
            Err(Error::TemplateNotFound { available, .. }) if available == ["b"]
        ));
    }

    #[test]
    fn malformed_templates_are_named() {
        malformed(
            templates(&json!({"_templates": []})),
            "`_templates` is an array",
        );
        malformed(
            templates(&json!({"_templates": "default"})),
            "`_templates` is a string",
        );
        malformed(
            templates(&json!({"_templates": {"default": 1}})),
            "template `default` is a number",
        );
        malformed(
            templates(&json!({"_templates": {"default": {"properties": {}}}})),
            "properties of template `default` are an object",
        );
        malformed(
            templates(&json!({"_templates": {"default": {"properties": ["x"]}}})),
            "property 0 of template `default` is a string",
        );
        malformed(
            templates(&json!({"_templates": {"default": {"properties": [{"name": 3}]}}})),
            "name of property 0 of template `default` is a number",
        );
    }

    #[test]
    fn nameless_properties_are_ignored_and_flags_are_lenient() {
        let doc = json!({"_templates": {"default": {"properties": [
            {"prompt": "no name"},
            {"name": ""},
            {"name": "a", "required": "TRUE", "readOnly": "yes", "title": 5},
            {"name": "b", "required": 1}
        ]}}});
        let t = form(&doc, "default");
        let names: Vec<_> = t.properties().iter().map(Property::name).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(t.properties()[0].is_required());
        assert!(!t.properties()[0].is_read_only());
        assert!(!t.properties()[1].is_required());
    }

    #[test]
    fn a_value_must_be_one_of_the_inline_options() {
        let doc = json!({"_templates": {"move": {"method": "patch", "properties": [
            {"name": "city", "options": {"inline": ["Pawnee", "Eagleton"]}},
            {"name": "tags", "options": {"inline": [{"prompt": "A", "value": "a"}, {"prompt": "B", "value": "b"}]}}
        ]}}});
        let t = form(&doc, "move");
        assert!(
            t.check(&json!({"city": "Eagleton", "tags": ["a", "b"]}))
                .is_ok()
        );
        assert!(
            t.check(&json!({})).is_ok(),
            "an absent value is not checked"
        );
        let err = t.check(&json!({"city": "Nowhere"})).unwrap_err();
        assert!(
            matches!(&err, Error::FormValue { property, .. } if property == "city"),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("\"Pawnee\", \"Eagleton\""),
            "{err}"
        );
        assert!(
            !err.to_string().contains("Nowhere"),
            "the value is never repeated: {err}"
        );
        assert!(t.check(&json!({"tags": ["a", "z"]})).is_err());
    }
}
