use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The identity provider's stable subject (`sub`) of the signed-in guest. Bookings belong to it; nothing else is
/// trusted to say whose booking it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GuestId(String);

impl GuestId {
    pub fn new(sub: &str) -> Result<Self, DomainError> {
        let ok = !sub.is_empty() && sub.len() <= 128 && sub.chars().all(|c| c.is_ascii_graphic());
        if ok { Ok(GuestId(sub.to_owned())) } else { Err(DomainError::InvalidGuest { field: "sub", reason: "not a valid subject" }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactPreference {
    Email,
    Sms,
    Both,
}

/// How to reach the guest about this booking. Personal data: never logged (its `Debug` is redacted).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestContact {
    name: String,
    email: String,
    phone: Option<String>,
    preference: ContactPreference,
}

impl std::fmt::Debug for GuestContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestContact").field("preference", &self.preference).finish_non_exhaustive()
    }
}

impl GuestContact {
    pub fn new(name: &str, email: &str, phone: Option<&str>, preference: ContactPreference) -> Result<Self, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(DomainError::InvalidGuest { field: "name", reason: "must be 1 to 100 printable characters" });
        }
        let email = email.trim();
        if !plausible_email(email) {
            return Err(DomainError::InvalidGuest { field: "email", reason: "is not an email address" });
        }
        let phone = match phone.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) if is_e164(p) => Some(p.to_owned()),
            Some(_) => {
                return Err(DomainError::InvalidGuest { field: "phone", reason: "must be in international format, e.g. +14155550100" });
            }
            None => None,
        };
        if matches!(preference, ContactPreference::Sms | ContactPreference::Both) && phone.is_none() {
            return Err(DomainError::InvalidGuest { field: "phone", reason: "is required for SMS notifications" });
        }
        Ok(GuestContact { name: name.to_owned(), email: email.to_owned(), phone, preference })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn email(&self) -> &str {
        &self.email
    }
    pub fn phone(&self) -> Option<&str> {
        self.phone.as_deref()
    }
    pub fn preference(&self) -> ContactPreference {
        self.preference
    }
    pub fn wants_email(&self) -> bool {
        matches!(self.preference, ContactPreference::Email | ContactPreference::Both)
    }
    pub fn wants_sms(&self) -> bool {
        matches!(self.preference, ContactPreference::Sms | ContactPreference::Both)
    }
}

fn plausible_email(email: &str) -> bool {
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@')
        }
        None => false,
    }
}

/// E.164: `+`, then 8 to 15 digits, no leading zero. Shared with the SMS adapter, which re-checks before sending.
pub fn is_e164(phone: &str) -> bool {
    phone
        .strip_prefix('+')
        .is_some_and(|digits| (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_contact() {
        let check = |name, email, phone, pref, ok: Result<(), &str>| {
            let got = GuestContact::new(name, email, phone, pref).map(|_| ()).map_err(|e| match e {
                DomainError::InvalidGuest { field, .. } => field,
                _ => "other",
            });
            assert_eq!(got, ok, "{name} {email} {phone:?}");
        };
        use ContactPreference::*;
        check("Ada", "ada@example.com", None, Email, Ok(()));
        check("Ada", "ada@example.com", Some("+14155550100"), Both, Ok(()));
        check("", "ada@example.com", None, Email, Err("name"));
        check("Ada", "ada.example.com", None, Email, Err("email"));
        check("Ada", "ada@localhost", None, Email, Err("email"));
        check("Ada", "ada@example.com", None, Sms, Err("phone"));
        check("Ada", "ada@example.com", Some("0155550100"), Email, Err("phone"));
        check("Ada", "ada@example.com", Some("+0155550100"), Email, Err("phone"));
    }

    #[test]
    fn debug_hides_personal_data() {
        let c = GuestContact::new("Ada Lovelace", "ada@example.com", Some("+14155550100"), ContactPreference::Both).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("Ada") && !shown.contains("example") && !shown.contains("4155"), "{shown}");
    }
}
