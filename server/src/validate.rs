//! The one format rule the core's model leaves to the server: a SHA-256 as the
//! core writes it. Text rules come from `cordon_core::model::validate`.

use crate::error::{Error, Result};

/// A hex SHA-256 as the core writes it: 64 lower-case hex digits.
pub(crate) fn sha256_hex(field: &str, value: &str) -> Result<()> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(Error::invalid(field, "must be 64 lower-case hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_must_be_lower_case_hex_of_the_right_length() {
        assert!(sha256_hex("s", &"a".repeat(64)).is_ok());
        assert!(sha256_hex("s", &"A".repeat(64)).is_err());
        assert!(sha256_hex("s", &"a".repeat(63)).is_err());
    }
}
