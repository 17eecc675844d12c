use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// An ISO 4217 code: three ASCII upper-case letters, checked on construction.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(code: &str) -> Result<Self, DomainError> {
        let bytes = code.as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_uppercase) => Ok(Currency([*a, *b, *c])),
            _ => Err(DomainError::InvalidCurrency(code.chars().take(8).collect())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from three ASCII upper-case bytes.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Lower-case form, as Stripe's API wants it.
    pub fn to_lowercase(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

impl TryFrom<String> for Currency {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in integer minor units (cents) of one currency. Floating point never touches money; arithmetic is
/// checked and refuses to mix currencies, so a mistake is an error rather than a wrong charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn checked_add(self, other: Money) -> Result<Money, DomainError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(DomainError::AmountOverflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, DomainError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(DomainError::AmountOverflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, DomainError> {
        let minor = self.minor.checked_mul(factor).ok_or(DomainError::AmountOverflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// `self * basis_points / 10_000`, rounded half away from zero: how a tax rate in basis points applies.
    pub fn percent_bp(self, basis_points: u32) -> Result<Money, DomainError> {
        let scaled = i128::from(self.minor) * i128::from(basis_points);
        let half = if scaled >= 0 { 5_000 } else { -5_000 };
        let minor = i64::try_from((scaled + half) / 10_000).map_err(|_| DomainError::AmountOverflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn sum<I: IntoIterator<Item = Money>>(currency: Currency, items: I) -> Result<Money, DomainError> {
        items.into_iter().try_fold(Money::zero(currency), Money::checked_add)
    }

    fn same_currency(&self, other: Money) -> Result<(), DomainError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(DomainError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes() {
        for (input, ok) in [("EUR", true), ("usd", false), ("EU", false), ("EURO", false), ("E1R", false)] {
            assert_eq!(Currency::parse(input).is_ok(), ok, "{input}");
        }
    }

    #[test]
    fn tax_rounding_is_half_away_from_zero() {
        let check = |minor, bp, expected| assert_eq!(Money::new(minor, Currency::EUR).percent_bp(bp).unwrap().minor(), expected);
        check(10_000, 1_000, 1_000);
        check(12_345, 700, 864); // 864.15
        check(50, 1_000, 5);
        check(5, 1_000, 1); // 0.5 rounds up
        check(4, 1_000, 0);
        check(-5, 1_000, -1);
    }

    #[test]
    fn refuses_mixed_currencies_and_overflow() {
        let eur = Money::new(1, Currency::EUR);
        let usd = Money::new(1, Currency::USD);
        assert!(matches!(eur.checked_add(usd), Err(DomainError::CurrencyMismatch { .. })));
        assert_eq!(Money::new(i64::MAX, Currency::EUR).checked_add(eur), Err(DomainError::AmountOverflow));
        assert_eq!(Money::new(12_345, Currency::EUR).to_string(), "123.45 EUR");
        assert_eq!(Money::new(-5, Currency::EUR).to_string(), "-0.05 EUR");
    }
}
