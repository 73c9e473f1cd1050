//! RFC 9110 §13 conditional requests: entity-tags and their comparison, HTTP-dates, and the
//! order in which a server evaluates the preconditions of a request (§13.2.2).

use crate::http::{Request, trim};

/// An entity-tag (RFC 9110 §8.8.3): weak or strong, and its opaque bytes without quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntityTag {
    /// Whether it is weak (`W/"..."`).
    pub weak: bool,
    /// The bytes between the quotes, any byte kept (obs-text included).
    pub opaque: Vec<u8>,
}

impl EntityTag {
    /// The `ETag` header value: `"opaque"` or `W/"opaque"`.
    pub fn header(&self) -> Vec<u8> {
        let mut out = if self.weak {
            b"W/\"".to_vec()
        } else {
            b"\"".to_vec()
        };
        out.extend_from_slice(&self.opaque);
        out.push(b'"');
        out
    }

    /// The `_etag` field of a document: the opaque bytes read as Latin-1 (a JSON string
    /// cannot hold obs-text bytes as they are).
    pub fn field(&self) -> String {
        self.opaque.iter().map(|&b| char::from(b)).collect()
    }
}

/// One member of an `If-Match` / `If-None-Match` list: weak or not, and its opaque bytes.
type Member<'a> = (bool, &'a [u8]);

/// A parsed `If-Match` or `If-None-Match`.
#[derive(Debug, PartialEq, Eq)]
enum Condition<'a> {
    /// `*`
    Any,
    /// A list of entity-tags.
    Tags(Vec<Member<'a>>),
}

/// The condition every `name` header line of `req` makes together, `None` when absent.
/// With `unquoted`, a bare token counts as a strong entity-tag (as Werkzeug and Eve read it);
/// otherwise a malformed member matches nothing.
fn condition<'a>(req: &'a Request, name: &'a str, unquoted: bool) -> Option<Condition<'a>> {
    let mut values = req.values(name).peekable();
    values.peek()?;
    let mut tags = Vec::new();
    for value in values {
        if trim(value) == b"*" {
            return Some(Condition::Any);
        }
        parse_tags(value, unquoted, &mut tags);
    }
    Some(Condition::Tags(tags))
}

/// Appends the entity-tags of one comma-separated list to `out`.
fn parse_tags<'a>(value: &'a [u8], unquoted: bool, out: &mut Vec<Member<'a>>) {
    let mut rest = value;
    loop {
        let start = rest.iter().position(|b| !b" \t,".contains(b));
        let Some(start) = start else { return };
        rest = &rest[start..];
        let weak = rest.starts_with(b"W/");
        if weak {
            rest = &rest[2..];
        }
        if let Some(quoted) = rest.strip_prefix(b"\"") {
            let Some(end) = quoted.iter().position(|&b| b == b'"') else {
                return;
            };
            out.push((weak, &quoted[..end]));
            rest = &quoted[end + 1..];
        } else {
            let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
            let token = trim(&rest[..end]);
            if unquoted && !weak && !token.is_empty() {
                out.push((false, token));
            }
            rest = &rest[end..];
        }
    }
}

/// Strong comparison (§8.8.3.2): both strong, same opaque bytes.
fn strong_match(current: &EntityTag, (weak, opaque): Member<'_>) -> bool {
    !current.weak && !weak && current.opaque == opaque
}

/// Weak comparison (§8.8.3.2): same opaque bytes, weak or not.
fn weak_match(current: &EntityTag, (_, opaque): Member<'_>) -> bool {
    current.opaque == opaque
}

/// The selected representation a request's preconditions are evaluated against.
#[derive(Debug, Default)]
pub(crate) struct Selected {
    /// Whether the resource exists.
    pub exists: bool,
    /// Its entity-tag, if the server sends one.
    pub tag: Option<EntityTag>,
    /// Its modification time in Unix seconds, if the server sends `Last-Modified`.
    pub modified: Option<u64>,
}

/// What the preconditions say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Perform the method.
    Proceed,
    /// Answer `304 Not Modified` (GET only).
    NotModified,
    /// Answer `412 Precondition Failed`.
    Failed,
}

/// How a request's preconditions are read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// The method is GET: a false `If-None-Match`/`If-Modified-Since` means 304, not 412.
    pub safe: bool,
    /// Evaluate `If-Match` and `If-Unmodified-Since` (always for writes; for GET when asked).
    pub write_conditions: bool,
    /// Read a bare token in `If-Match`/`If-None-Match` as a strong entity-tag.
    pub unquoted: bool,
}

/// Evaluates `req`'s preconditions against `selected` in the order of RFC 9110 §13.2.2.
pub(crate) fn evaluate(req: &Request, selected: &Selected, rules: Rules) -> Verdict {
    if rules.write_conditions {
        if let Some(condition) = condition(req, "if-match", rules.unquoted) {
            let holds = selected.exists
                && match condition {
                    Condition::Any => true,
                    Condition::Tags(tags) => selected
                        .tag
                        .as_ref()
                        .is_some_and(|tag| tags.iter().any(|&m| strong_match(tag, m))),
                };
            if !holds {
                return Verdict::Failed;
            }
        } else if let (Some(date), Some(modified)) =
            (date(req, "if-unmodified-since"), selected.modified)
            && modified > date
        {
            return Verdict::Failed;
        }
    }
    let unchanged = if let Some(condition) = condition(req, "if-none-match", rules.unquoted) {
        match condition {
            Condition::Any => selected.exists,
            Condition::Tags(tags) => selected
                .tag
                .as_ref()
                .is_some_and(|tag| tags.iter().any(|&m| weak_match(tag, m))),
        }
    } else if let (true, Some(date), Some(modified)) = (
        rules.safe,
        date(req, "if-modified-since"),
        selected.modified,
    ) {
        modified <= date
    } else {
        false
    };
    match (unchanged, rules.safe) {
        (false, _) => Verdict::Proceed,
        (true, true) => Verdict::NotModified,
        (true, false) => Verdict::Failed,
    }
}

/// The first `name` header of `req` as Unix seconds; `None` when absent or not an HTTP-date
/// (RFC 9110 says to ignore an invalid date).
fn date(req: &Request, name: &str) -> Option<u64> {
    let value = req.values(name).next()?;
    parse_http_date(std::str::from_utf8(value).ok()?)
}

// ---------------------------------------------------------------- HTTP-date (§5.6.7)

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Unix seconds as an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(secs: u64) -> String {
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS[((days + 4) % 7) as usize];
    let month = MONTHS[(month - 1) as usize];
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    format!("{weekday}, {day:02} {month} {year} {h:02}:{m:02}:{s:02} GMT")
}

/// Parses any of the three HTTP-date forms (IMF-fixdate, RFC 850, asctime) to Unix seconds.
pub(crate) fn parse_http_date(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text
        .split([' ', ',', '-'])
        .filter(|p| !p.is_empty())
        .collect();
    let (day, month, year, time) = match parts.as_slice() {
        [_, day, month, year, time, "GMT"] => (day, month, year, time),
        [_, month, day, time, year] => (day, month, year, time),
        _ => return None,
    };
    let month = MONTHS.iter().position(|m| m == month)? as u64 + 1;
    let mut year: u64 = year.parse().ok()?;
    if year < 100 {
        year += if year < 70 { 2000 } else { 1900 };
    }
    let day: u64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let mut hms = time.split(':').map(|n| n.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31), for the proleptic Gregorian calendar.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// (year ≥ 1970, month, day) → days since 1970-01-01; the inverse of [`civil_from_days`].
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = year - u64::from(month <= 2);
    let (era, yoe) = (year / 400, year % 400);
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &[u8])]) -> Request {
        Request {
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_vec()))
                .collect(),
            ..Request::default()
        }
    }

    #[test]
    fn the_three_date_forms_parse_to_the_same_second() {
        let expected = 784_111_777;
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(text), Some(expected), "{text}");
        }
        assert_eq!(http_date(expected), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(1_835_481_599)
        );
        assert_eq!(http_date(1_835_481_599), "Tue, 29 Feb 2028 23:59:59 GMT");
        for bad in [
            "",
            "yesterday",
            "Sun, 06 Nov 99999999999999 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn lists_parse_quoted_weak_and_bare_members() {
        let mut out = Vec::new();
        parse_tags(br#" "a" , W/"b",c,"d"#, true, &mut out);
        assert_eq!(out, [(false, &b"a"[..]), (true, b"b"), (false, b"c")]);
        out.clear();
        parse_tags(b"c", false, &mut out);
        assert!(out.is_empty(), "a bare token is no entity-tag when strict");
        let req = request(&[("If-Match", b"\"a\""), ("if-match", b"\"b\"")]);
        assert_eq!(
            condition(&req, "if-match", false),
            Some(Condition::Tags(vec![(false, b"a"), (false, b"b")]))
        );
        assert_eq!(
            condition(&request(&[("If-Match", b" * ")]), "if-match", false),
            Some(Condition::Any)
        );
    }

    #[test]
    fn if_match_wins_over_if_unmodified_since() {
        let selected = Selected {
            exists: true,
            tag: Some(EntityTag {
                weak: false,
                opaque: b"1".to_vec(),
            }),
            modified: Some(100),
        };
        let rules = Rules {
            safe: false,
            write_conditions: true,
            unquoted: false,
        };
        let old = http_date(50);
        let req = request(&[
            ("if-match", b"\"1\""),
            ("if-unmodified-since", old.as_bytes()),
        ]);
        assert_eq!(evaluate(&req, &selected, rules), Verdict::Proceed);
        let req = request(&[("if-unmodified-since", old.as_bytes())]);
        assert_eq!(evaluate(&req, &selected, rules), Verdict::Failed);
    }
}
