//! Stripe's request encoding: `application/x-www-form-urlencoded` with bracketed nesting
//! (`metadata[booking_ref]=HB-1`, `allowed_payment_method_types[0]=card`, `payment_method_data[card][number]=...`).
//!
//! Kept as flat pairs and read by full key: the server needs a handful of parameters, and a flat view makes the
//! unknown-parameter check and the idempotency fingerprint straightforward.

use std::collections::BTreeMap;

use aws_lc_rs::digest;

use crate::api_error::ApiError;

/// Parameters whose values must never be stored, even inside a hash that could be brute-forced.
const CARD_NUMBER: &str = "payment_method_data[card][number]";
const CARD_CVC: &str = "payment_method_data[card][cvc]";

#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub(crate) fn parse(encoded: &[u8]) -> Self {
        Params { pairs: url::form_urlencoded::parse(encoded).into_owned().collect() }
    }

    /// The last value given for `key`; an empty value counts as absent, as Stripe treats it as "unset".
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub(crate) fn string(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_owned)
    }

    pub(crate) fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid(Some("parameter_invalid_integer"), format!("Invalid integer: {v}")).with_param(key))
            })
            .transpose()
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.get(key)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ApiError::invalid(None, format!("Invalid boolean: {v}")).with_param(key)),
            })
            .transpose()
    }

    /// `name[key]=value` pairs as a map (metadata).
    pub(crate) fn map(&self, name: &str) -> BTreeMap<String, String> {
        self.pairs
            .iter()
            .filter_map(|(k, v)| {
                let inner = k.strip_prefix(name)?.strip_prefix('[')?.strip_suffix(']')?;
                (!inner.contains('[')).then(|| (inner.to_owned(), v.clone()))
            })
            .collect()
    }

    /// `name[0]=a&name[1]=b` (or `name[]=a`) as a list in index order.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        let mut items: Vec<(usize, usize, String)> = self
            .pairs
            .iter()
            .enumerate()
            .filter_map(|(position, (k, v))| {
                let index = k.strip_prefix(name)?.strip_prefix('[')?.strip_suffix(']')?;
                let index = if index.is_empty() { position } else { index.parse().ok()? };
                Some((index, position, v.clone()))
            })
            .collect();
        items.sort();
        items.into_iter().map(|(_, _, v)| v).filter(|v| !v.is_empty()).collect()
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| top_level(k) == name)
    }

    /// Refuses parameters the endpoint does not know, like Stripe does; this is what catches a client sending a
    /// parameter the pinned API version has removed.
    pub(crate) fn check_known(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.pairs.iter().map(|(k, _)| top_level(k)).find(|name| !allowed.contains(name)) {
            Some(unknown) => Err(ApiError::unknown_param(unknown)),
            None => Ok(()),
        }
    }

    /// Identifies "the same request" for idempotency: order-independent, and blind to the card number and CVC
    /// (only the number's last four digits take part), so the stored record holds nothing sensitive.
    pub(crate) fn fingerprint(&self) -> String {
        let mut canonical: Vec<(&str, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != CARD_CVC)
            .map(|(k, v)| {
                let value = if k == CARD_NUMBER { last4(v) } else { v.clone() };
                (k.as_str(), value)
            })
            .collect();
        canonical.sort();
        let mut text = String::new();
        for (k, v) in canonical {
            text.push_str(&format!("{}={}\n", k.len(), k));
            text.push_str(&format!("{}={}\n", v.len(), v));
        }
        hex::encode(digest::digest(&digest::SHA256, text.as_bytes()).as_ref())
    }
}

fn top_level(key: &str) -> &str {
    key.split('[').next().unwrap_or(key)
}

fn last4(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_stripes_nested_encoding() {
        let p = Params::parse(
            b"amount=2000&currency=eur&metadata%5Bbooking_ref%5D=HB-ABCD-EFGH&metadata[x]=1&metadata[a][b]=no\
              &allowed_payment_method_types[1]=link&allowed_payment_method_types[0]=card&description=",
        );
        assert_eq!(p.int("amount").unwrap(), Some(2000));
        assert_eq!(p.get("currency"), Some("eur"));
        assert_eq!(p.get("description"), None);
        assert_eq!(p.map("metadata"), BTreeMap::from([("booking_ref".into(), "HB-ABCD-EFGH".into()), ("x".into(), "1".into())]));
        assert_eq!(p.list("allowed_payment_method_types"), vec!["card", "link"]);
        assert!(p.check_known(&["amount", "currency", "metadata", "allowed_payment_method_types", "description"]).is_ok());
        let err = p.check_known(&["amount", "currency", "metadata", "description"]).unwrap_err();
        assert_eq!(err.body()["error"]["param"], "allowed_payment_method_types");
        assert!(Params::parse(b"amount=12x").int("amount").is_err());
        assert_eq!(Params::parse(b"confirm=true").bool("confirm").unwrap(), Some(true));
        assert!(Params::parse(b"confirm=yes").bool("confirm").is_err());
    }

    #[test]
    fn fingerprint_is_order_independent_and_blind_to_card_secrets() {
        let a = Params::parse(b"a=1&b=2&payment_method_data[card][number]=4242424242424242&payment_method_data[card][cvc]=123");
        let b = Params::parse(b"payment_method_data[card][cvc]=999&b=2&payment_method_data[card][number]=4242 4242 4242 4242&a=1");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), Params::parse(b"a=1&b=3").fingerprint());
        assert_ne!(Params::parse(b"a=1&b=2").fingerprint(), Params::parse(b"a=1b=2").fingerprint());
        let other_card = Params::parse(b"a=1&b=2&payment_method_data[card][number]=4000000000000002");
        assert_ne!(a.fingerprint(), other_card.fingerprint());
    }
}
