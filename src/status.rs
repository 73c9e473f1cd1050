//! Status-code sets: `"400-403, >404"`.

use std::fmt;
use std::str::FromStr;

/// A parsed set of HTTP status codes, such as `"400-403, >404"`.
///
/// Tokens are separated by commas and/or spaces; each is `N`, `A-B`, `>N`, `<N`, `>=N` or
/// `<=N`, and a status is in the set when any token matches it. The empty string is the empty
/// set.
///
/// # Example
///
/// ```
/// use halchemy::StatusCodes;
///
/// let set: StatusCodes = "400-403, >404".parse()?;
/// assert!(set.contains(401));
/// assert!(!set.contains(404));
/// assert!(set.contains(500));
/// # Ok::<(), halchemy::StatusCodesError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct StatusCodes {
    spec: String,
    ranges: Vec<(u16, u16)>,
}

/// A status-code set that does not follow the grammar of [`StatusCodes`].
///
/// # Example
///
/// ```
/// let err = "400-".parse::<halchemy::StatusCodes>().unwrap_err();
/// assert!(err.to_string().contains("400-"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid status-code set `{spec}`: {message}; write tokens such as 404, 400-499, >399 or <=204 separated by commas"
)]
pub struct StatusCodesError {
    spec: String,
    message: String,
}

const MAX_STATUS: u16 = 999;

impl StatusCodes {
    /// Whether `status` is in the set.
    ///
    /// # Example
    ///
    /// ```
    /// let set: halchemy::StatusCodes = ">399".parse()?;
    /// assert!(set.contains(400) && !set.contains(399));
    /// # Ok::<(), halchemy::StatusCodesError>(())
    /// ```
    pub fn contains(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(low, high)| low <= status && status <= high)
    }

    /// The set as it was written.
    ///
    /// # Example
    ///
    /// ```
    /// let set: halchemy::StatusCodes = ">399".parse()?;
    /// assert_eq!(set.as_str(), ">399");
    /// # Ok::<(), halchemy::StatusCodesError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.spec
    }
}

impl FromStr for StatusCodes {
    type Err = StatusCodesError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let fail = |message: String| StatusCodesError {
            spec: spec.to_owned(),
            message,
        };
        let mut ranges = Vec::new();
        let mut rest = spec.trim_start_matches(is_separator);
        while !rest.is_empty() {
            let (range, after) = token(rest).map_err(fail)?;
            ranges.push(range);
            rest = after.trim_start_matches(is_separator);
        }
        Ok(StatusCodes {
            spec: spec.trim().to_owned(),
            ranges,
        })
    }
}

fn is_separator(c: char) -> bool {
    c == ',' || c.is_whitespace()
}

/// Parses one token at the start of `s`; returns its inclusive range and what follows it.
fn token(s: &str) -> Result<((u16, u16), &str), String> {
    for (op, make) in [
        (">=", (|n| (n, MAX_STATUS)) as fn(u16) -> (u16, u16)),
        ("<=", |n| (0, n)),
        (">", |n: u16| (n.saturating_add(1), MAX_STATUS)),
        ("<", |n: u16| (0, n.saturating_sub(1))),
    ] {
        if let Some(after) = s.strip_prefix(op) {
            let (n, rest) = number(after.trim_start())
                .ok_or_else(|| format!("`{op}` must be followed by a status code"))?;
            if op == "<" && n == 0 {
                return Err("`<0` matches nothing".to_owned());
            }
            return Ok((make(n), rest));
        }
    }
    let (low, rest) = number(s).ok_or_else(|| {
        let bad: String = s.chars().take_while(|c| !is_separator(*c)).collect();
        format!("`{bad}` is not a status code")
    })?;
    let after_space = rest.trim_start();
    if let Some(after_dash) = after_space.strip_prefix('-') {
        let (high, rest) = number(after_dash.trim_start())
            .ok_or_else(|| format!("the range starting at {low} has no end"))?;
        if high < low {
            return Err(format!("the range {low}-{high} runs backwards"));
        }
        return Ok(((low, high), rest));
    }
    Ok(((low, low), rest))
}

/// A status code (at most three digits) at the start of `s`, and what follows it.
fn number(s: &str) -> Option<(u16, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &s[digits..];
    if rest
        .chars()
        .next()
        .is_some_and(|c| !is_separator(c) && c != '-')
    {
        return None;
    }
    s[..digits].parse().ok().map(|n| (n, rest))
}

impl fmt::Display for StatusCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spec)
    }
}

impl fmt::Debug for StatusCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusCodes({:?})", self.spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> StatusCodes {
        s.parse().unwrap()
    }

    #[test]
    fn every_token_form_matches_its_range() {
        let s = set("404, 500-502 >=600 <=101,<100 >700");
        for (status, expected) in [
            (404, true),
            (403, false),
            (500, true),
            (502, true),
            (503, false),
            (600, true),
            (599, false),
            (101, true),
            (102, false),
            (0, true),
            (701, true),
        ] {
            assert_eq!(s.contains(status), expected, "{status}");
        }
    }

    #[test]
    fn empty_set_matches_nothing() {
        let s = set("  ");
        assert!(!s.contains(500));
        assert!(!s.contains(0));
    }

    #[test]
    fn malformed_sets_are_errors_naming_the_problem() {
        for (bad, hint) in [
            ("abc", "`abc` is not a status code"),
            ("400-", "no end"),
            (">", "must be followed"),
            (">=x", "must be followed"),
            ("500-400", "backwards"),
            ("4000", "not a status code"),
            ("40a", "not a status code"),
            ("<0", "matches nothing"),
            ("400--500", "no end"),
        ] {
            let err = bad.parse::<StatusCodes>().unwrap_err();
            assert!(err.to_string().contains(hint), "{bad}: {err}");
            assert!(err.to_string().contains(bad), "{bad}: {err}");
        }
    }

    #[test]
    fn spaces_around_operators_and_dashes_are_allowed() {
        let s = set(">= 500, 400 - 403");
        assert!(s.contains(501) && s.contains(402) && !s.contains(404));
    }
}
