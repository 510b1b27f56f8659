//! Free-text fields of request bodies (names, an industry): trimmed, 1 to
//! a maximum of characters, none of them a control character.

use crate::AgentsError;

/// `value` trimmed, or `422` naming `field`.
pub fn checked<'a>(field: &str, value: &'a str, max_chars: usize) -> Result<&'a str, AgentsError> {
    let value = value.trim();
    let length = value.chars().count();
    if length == 0 || length > max_chars || value.chars().any(char::is_control) {
        return Err(AgentsError::validation(
            field,
            format!("{field} must be 1 to {max_chars} characters without control characters."),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(checked("name", "  Acme  ", 10).expect("valid"), "Acme");
        for bad in ["", "   ", "eleven char", "a\u{7}b", "a\u{85}b"] {
            let error = checked("name", bad, 10).expect_err("refused");
            assert_eq!(error.status(), 422, "{bad:?}");
        }
    }
}
