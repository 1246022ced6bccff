//! The checks `DataValidator` and its subclasses apply to customers and users before saving.

use crate::error::ApiError;

/// `DataValidator.EMAIL_PATTERN`: `^[A-Z0-9_!#$%&'*+/=?`{|}~^.-]+@[A-Z0-9.-]+\.[A-Z]{2,}$`,
/// case-insensitively.
pub(crate) fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "_!#$%&'*+/=?`{|}~^.-".contains(c));
    // The domain's last dot starts the top-level part: letters only, at least two.
    let Some((name, top)) = domain.rsplit_once('.') else { return false };
    let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    local_ok && name_ok && top.len() >= 2 && top.chars().all(|c| c.is_ascii_alphabetic())
}

/// `DataValidator.validateEmail`.
pub(crate) fn check_email(email: &str) -> Result<(), ApiError> {
    if valid_email(email) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!("Invalid email address format '{email}'!")))
    }
}

/// `ConstraintValidator.validateFields`: `@Length(max = 255)` on names and titles.
pub(crate) fn check_length(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().count() > 255 {
        return Err(ApiError::BadRequest(format!(
            "Validation error: {field} length must be equal or less than 255"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_follow_the_servers_pattern() {
        for good in ["alice@example.com", "A.B+c@mail.example.co", "x_y@h-1.io"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in
            ["", "alice", "alice@", "@example.com", "a@b", "a@b.c", "a@b.c1", "a b@example.com", "a@@b.com"]
        {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
