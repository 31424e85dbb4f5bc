//! Field rules shared by every record: text shape and length, location ranges.
//!
//! Each check names the field it failed on, so an app can put the message beside the
//! right input.

use crate::error::{CordonError, InputRule, Result};

/// Short identifiers and references: ids, call signs, tag ids, police references.
pub const MAX_SHORT_TEXT: usize = 256;
/// One-paragraph text: notes, amendment reasons, descriptions of persons.
pub const MAX_NOTE_TEXT: usize = 4_000;
/// Long free text: narratives, actions taken, post orders.
pub const MAX_LONG_TEXT: usize = 100_000;

/// A required text: not blank, at most `max_chars` characters, and no control
/// characters other than newline, carriage return and tab.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(CordonError::invalid(
            field,
            InputRule::Blank,
            "must not be blank",
        ));
    }
    bounded_text(field, value, max_chars)
}

/// An optional text: when present, the same rules as [`required_text`].
pub fn optional_text(field: &str, value: Option<&str>, max_chars: usize) -> Result<()> {
    value.map_or(Ok(()), |v| required_text(field, v, max_chars))
}

fn bounded_text(field: &str, value: &str, max_chars: usize) -> Result<()> {
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(CordonError::invalid(
            field,
            InputRule::TooLong,
            format!("is {chars} characters long; at most {max_chars} are allowed"),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(CordonError::invalid(
            field,
            InputRule::ControlCharacter,
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    if value.chars().any(is_noncharacter) {
        return Err(CordonError::invalid(
            field,
            InputRule::MalformedText,
            "holds text the app could not encode (a lone UTF-16 surrogate, such as half an \
             emoji) or a Unicode noncharacter",
        ));
    }
    Ok(())
}

/// A server URL: `http://` or `https://`, then a host, with no spaces.
pub fn validate_server_url(field: &str, url: &str) -> Result<()> {
    required_text(field, url, 2048)?;
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            CordonError::invalid(
                field,
                InputRule::BadFormat,
                "must start with http:// or https://",
            )
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') || url.contains(char::is_whitespace) {
        return Err(CordonError::invalid(
            field,
            InputRule::BadFormat,
            "has no host",
        ));
    }
    Ok(())
}

/// A Unicode noncharacter: U+FDD0..U+FDEF, or the last two code points of a plane.
/// Never in text people exchange; the Kotlin bindings encode a lone UTF-16 surrogate as
/// U+FDD0 (bindings/kotlin/patch-generated.py) so that it reaches this rule instead of
/// failing in the host language.
pub fn is_noncharacter(c: char) -> bool {
    let c = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&c) || c & 0xFFFE == 0xFFFE
}

/// A finite number within `min..=max`.
pub fn number_in_range(field: &str, value: f64, min: f64, max: f64) -> Result<()> {
    if !value.is_finite() || value < min || value > max {
        return Err(CordonError::invalid(
            field,
            InputRule::OutOfRange,
            format!("{value} is outside {min}..={max}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<()>) -> String {
        match r {
            Err(CordonError::InvalidInput { field, .. }) => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn blank_text_is_rejected() {
        assert_eq!(field_of(required_text("note", " \n\t", 10)), "note");
    }

    #[test]
    fn text_over_the_limit_is_rejected_counting_characters_not_bytes() {
        assert!(required_text("f", "ééé", 3).is_ok());
        assert_eq!(field_of(required_text("f", "éééé", 3)), "f");
    }

    #[test]
    fn control_characters_are_rejected_but_line_breaks_kept() {
        assert!(required_text("f", "line one\r\nline\ttwo", 100).is_ok());
        assert_eq!(field_of(required_text("f", "nul\0byte", 100)), "f");
    }

    #[test]
    fn text_the_app_could_not_encode_is_refused_as_malformed() {
        // U+FDD0 is what the Kotlin bindings send for a lone surrogate.
        let err = required_text("note", "half an emoji \u{FDD0}", 100).unwrap_err();
        assert!(
            matches!(&err, CordonError::InvalidInput { field, rule: InputRule::MalformedText, .. } if field == "note"),
            "{err:?}"
        );
        assert!(required_text("f", "\u{10FFFF}", 10).is_err());
        assert!(required_text("f", "replacement \u{FFFD} and emoji \u{1F600}", 100).is_ok());
    }

    #[test]
    fn server_urls_need_a_scheme_and_a_host() {
        for good in [
            "https://sync.example.com",
            "http://127.0.0.1:8080/",
            "https://h/base",
        ] {
            assert_eq!(validate_server_url("server_url", good), Ok(()), "{good}");
        }
        for bad in [
            "",
            " ",
            "sync.example.com",
            "ftp://h",
            "https://",
            "https:///x",
            "https://:80",
            "http://a b",
        ] {
            let err = validate_server_url("server_url", bad).unwrap_err();
            assert!(
                matches!(&err, CordonError::InvalidInput { field, rule, .. }
                    if field == "serverUrl" && matches!(rule, InputRule::BadFormat | InputRule::Blank)),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn numbers_out_of_range_or_not_finite_are_rejected() {
        assert!(number_in_range("lat", 90.0, -90.0, 90.0).is_ok());
        assert_eq!(field_of(number_in_range("lat", 90.01, -90.0, 90.0)), "lat");
        assert_eq!(
            field_of(number_in_range("lat", f64::NAN, -90.0, 90.0)),
            "lat"
        );
    }
}
