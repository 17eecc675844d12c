//! Stripe's documented test cards and test payment methods, and card-detail validation.
//!
//! The full number is only ever looked at here, to pick the test behaviour and check it; what leaves this module
//! is a `Card` (brand, last four, expiry). Any other valid number is declined with `test_mode_live_card`, as in
//! Stripe's test mode.

use chrono::{DateTime, Datelike};

use crate::api_error::ApiError;
use crate::form::Params;
use crate::model::{Card, Decline};

struct TestCard {
    number: &'static str,
    token: &'static str,
    brand: &'static str,
    funding: &'static str,
    decline: Option<(&'static str, &'static str, &'static str)>,
}

const GENERIC: &str = "Your card was declined.";

const TEST_CARDS: &[TestCard] = &[
    TestCard { number: "4242424242424242", token: "pm_card_visa", brand: "visa", funding: "credit", decline: None },
    TestCard { number: "4000056655665556", token: "pm_card_visa_debit", brand: "visa", funding: "debit", decline: None },
    TestCard { number: "5555555555554444", token: "pm_card_mastercard", brand: "mastercard", funding: "credit", decline: None },
    TestCard { number: "378282246310005", token: "pm_card_amex", brand: "amex", funding: "credit", decline: None },
    TestCard {
        number: "4000000000000002",
        token: "pm_card_chargeDeclined",
        brand: "visa",
        funding: "credit",
        decline: Some(("card_declined", "generic_decline", GENERIC)),
    },
    TestCard {
        number: "4000000000009995",
        token: "pm_card_chargeDeclinedInsufficientFunds",
        brand: "visa",
        funding: "credit",
        decline: Some(("card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    },
    TestCard {
        number: "4000000000009987",
        token: "pm_card_chargeDeclinedLostCard",
        brand: "visa",
        funding: "credit",
        decline: Some(("card_declined", "lost_card", GENERIC)),
    },
    TestCard {
        number: "4000000000000069",
        token: "pm_card_chargeDeclinedExpiredCard",
        brand: "visa",
        funding: "credit",
        decline: Some(("expired_card", "expired_card", "Your card has expired.")),
    },
    TestCard {
        number: "4000000000000127",
        token: "pm_card_chargeDeclinedIncorrectCvc",
        brand: "visa",
        funding: "credit",
        decline: Some(("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.")),
    },
    TestCard {
        number: "4000000000000119",
        token: "pm_card_chargeDeclinedProcessingError",
        brand: "visa",
        funding: "credit",
        decline: Some(("processing_error", "processing_error", "An error occurred while processing your card. Try again in a little bit.")),
    },
];

const LIVE_CARD_IN_TEST_MODE: (&str, &str, &str) = (
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://docs.stripe.com/testing.",
);

fn decline((code, decline_code, message): (&str, &str, &str)) -> Decline {
    Decline { code: code.to_owned(), decline_code: decline_code.to_owned(), message: message.to_owned() }
}

fn card_of(test: &TestCard, exp_month: u32, exp_year: i32) -> Card {
    Card {
        brand: test.brand.to_owned(),
        last4: test.number[test.number.len() - 4..].to_owned(),
        exp_month,
        exp_year,
        funding: test.funding.to_owned(),
        country: "US".to_owned(),
        decline: test.decline.map(decline),
    }
}

/// A test payment method such as `pm_card_visa`; tokens carry an expiry a few years ahead, like Stripe's.
pub(crate) fn from_token(token: &str, now: i64) -> Option<Card> {
    let (year, _) = year_month(now);
    TEST_CARDS.iter().find(|c| c.token == token).map(|c| card_of(c, 12, year + 3))
}

/// Card details from `payment_method_data[card][...]`, validated like Stripe does before it tries a charge.
pub(crate) fn from_params(params: &Params, now: i64) -> Result<Card, ApiError> {
    const P: &str = "payment_method_data[card]";
    let number_param = format!("{P}[number]");
    let number: String = params
        .get(&number_param)
        .ok_or_else(|| ApiError::missing_param(&number_param))?
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::card("invalid_number", "Your card number is invalid.", &number_param));
    }
    if !luhn_ok(&number) {
        return Err(ApiError::card("incorrect_number", "Your card number is incorrect.", &number_param));
    }
    let month_param = format!("{P}[exp_month]");
    let exp_month = params
        .get(&month_param)
        .ok_or_else(|| ApiError::missing_param(&month_param))?
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| ApiError::card("invalid_expiry_month", "Your card's expiration month is invalid.", &month_param))?;
    let year_param = format!("{P}[exp_year]");
    let year_error = || ApiError::card("invalid_expiry_year", "Your card's expiration year is invalid.", &year_param);
    let raw_year = params.get(&year_param).ok_or_else(|| ApiError::missing_param(&year_param))?;
    let exp_year = raw_year.trim().parse::<i32>().map_err(|_| year_error())?;
    let exp_year = if exp_year < 100 { exp_year + 2000 } else { exp_year };
    if (exp_year, exp_month) < year_month(now) {
        return Err(year_error());
    }
    let cvc_param = format!("{P}[cvc]");
    if let Some(cvc) = params.get(&cvc_param)
        && !((3..=4).contains(&cvc.len()) && cvc.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::card("invalid_cvc", "Your card's security code is invalid.", &cvc_param));
    }
    Ok(match TEST_CARDS.iter().find(|c| c.number == number) {
        Some(test) => card_of(test, exp_month, exp_year),
        None => Card {
            brand: brand_of(&number).to_owned(),
            last4: number[number.len() - 4..].to_owned(),
            exp_month,
            exp_year,
            funding: "unknown".to_owned(),
            country: "US".to_owned(),
            decline: Some(decline(LIVE_CARD_IN_TEST_MODE)),
        },
    })
}

fn year_month(now: i64) -> (i32, u32) {
    DateTime::from_timestamp(now, 0).map(|d| (d.year(), d.month())).unwrap_or((1970, 1))
}

fn brand_of(number: &str) -> &'static str {
    match number.as_bytes().first() {
        Some(b'4') => "visa",
        Some(b'5' | b'2') => "mastercard",
        Some(b'3') => "amex",
        Some(b'6') => "discover",
        _ => "unknown",
    }
}

fn luhn_ok(number: &str) -> bool {
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// 2026-11-24.
    const NOW: i64 = 1_795_478_400;

    fn card(number: &str, month: &str, year: &str, cvc: &str) -> Result<Card, ApiError> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("payment_method_data[type]", "card")
            .append_pair("payment_method_data[card][number]", number)
            .append_pair("payment_method_data[card][exp_month]", month)
            .append_pair("payment_method_data[card][exp_year]", year)
            .append_pair("payment_method_data[card][cvc]", cvc)
            .finish();
        from_params(&Params::parse(query.as_bytes()), NOW)
    }

    fn error_code(result: Result<Card, ApiError>) -> String {
        let err = result.unwrap_err();
        err.body()["error"]["code"].as_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn test_cards_behave_as_documented() {
        let check = |number: &str, brand: &str, last4: &str, decline_code: Option<&str>| {
            let card = card(number, "12", "2030", "123").unwrap();
            assert_eq!((card.brand.as_str(), card.last4.as_str()), (brand, last4), "{number}");
            assert_eq!(card.decline.map(|d| d.decline_code).as_deref(), decline_code, "{number}");
        };
        check("4242 4242 4242 4242", "visa", "4242", None);
        check("4242424242424242", "visa", "4242", None);
        check("5555-5555-5555-4444", "mastercard", "4444", None);
        check("4000 0000 0000 0002", "visa", "0002", Some("generic_decline"));
        check("4000000000009995", "visa", "9995", Some("insufficient_funds"));
        check("4539578763621486", "visa", "1486", Some("test_mode_live_card"));
    }

    #[test]
    fn bad_card_details_are_card_errors() {
        assert_eq!(error_code(card("4242424242424241", "12", "2030", "123")), "incorrect_number");
        assert_eq!(error_code(card("4242", "12", "2030", "123")), "invalid_number");
        assert_eq!(error_code(card("4242x24242424242", "12", "2030", "123")), "invalid_number");
        assert_eq!(error_code(card("4242424242424242", "13", "2030", "123")), "invalid_expiry_month");
        assert_eq!(error_code(card("4242424242424242", "10", "2026", "123")), "invalid_expiry_year");
        assert_eq!(error_code(card("4242424242424242", "12", "20x0", "123")), "invalid_expiry_year");
        assert_eq!(error_code(card("4242424242424242", "12", "2030", "12")), "invalid_cvc");
        assert!(card("4242424242424242", "11", "26", "1234").is_ok());
        assert_eq!(error_code(from_params(&Params::parse(b"payment_method_data[type]=card"), NOW)), "parameter_missing");
    }

    #[test]
    fn tokens_resolve_to_test_cards() {
        assert_eq!(from_token("pm_card_visa", NOW).unwrap().decline, None);
        assert_eq!(from_token("pm_card_chargeDeclined", NOW).unwrap().decline.unwrap().decline_code, "generic_decline");
        assert_eq!(from_token("pm_card_chargeDeclinedInsufficientFunds", NOW).unwrap().decline.unwrap().decline_code, "insufficient_funds");
        assert_eq!(from_token("pm_card_visa", NOW).unwrap().exp_year, 2029);
        assert!(from_token("pm_card_unheard_of", NOW).is_none());
    }
}
