use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Crockford's base32 alphabet: no I, L, O or U, so a reference read over the phone is not misheard.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A booking reference a guest can read aloud: `HB-` then 8 Crockford base32 characters in two groups, e.g.
/// `HB-7K3M-Q9XR` (40 bits, so collisions are negligible for one hotel; stores still refuse duplicates).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BookingRef(String);

impl BookingRef {
    /// Builds a reference from 40 random bits. The caller supplies the entropy so the domain stays pure.
    pub fn from_entropy(bits: u64) -> Self {
        let mut chars = [0u8; 8];
        for (i, c) in chars.iter_mut().enumerate() {
            let shift = 35 - 5 * i;
            *c = ALPHABET[((bits >> shift) & 0x1f) as usize];
        }
        let (a, b) = chars.split_at(4);
        BookingRef(format!("HB-{}-{}", String::from_utf8_lossy(a), String::from_utf8_lossy(b)))
    }

    /// Accepts lower case and the usual misreadings (O->0, I/L->1) so a guest typing a reference is forgiven.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::InvalidReference(input.chars().take(20).collect());
        let upper = input.trim().to_ascii_uppercase();
        let body = upper.strip_prefix("HB-").ok_or_else(invalid)?;
        let mut chars = Vec::with_capacity(8);
        for (i, c) in body.chars().enumerate() {
            if i == 4 {
                if c != '-' {
                    return Err(invalid());
                }
                continue;
            }
            let c = match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return Err(invalid());
            }
            chars.push(c);
        }
        if chars.len() != 8 {
            return Err(invalid());
        }
        let s: String = chars.into_iter().collect();
        Ok(BookingRef(format!("HB-{}-{}", &s[..4], &s[4..])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BookingRef {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        BookingRef::parse(&value)
    }
}

impl From<BookingRef> for String {
    fn from(value: BookingRef) -> Self {
        value.0
    }
}

impl fmt::Display for BookingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_forgives_misreadings() {
        let r = BookingRef::from_entropy(0xAB_CDEF_0123);
        assert_eq!(r.as_str().len(), 12);
        assert_eq!(BookingRef::parse(r.as_str()).unwrap(), r);
        assert_eq!(BookingRef::parse(&r.as_str().to_lowercase()).unwrap(), r);
        assert_eq!(BookingRef::parse("hb-0o1i-l234").unwrap().as_str(), "HB-0011-1234");
        for bad in ["", "HB-", "HB-1234-567", "HB-1234-5678-9", "XX-1234-5678", "HB-12345678", "HB-U234-5678", "HB-12é4-5678"] {
            assert!(BookingRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn different_entropy_gives_different_refs() {
        assert_ne!(BookingRef::from_entropy(1), BookingRef::from_entropy(2));
        assert_ne!(BookingRef::from_entropy(1 << 35), BookingRef::from_entropy(0));
    }
}
