//! async-stripe's generated types onto the port's types.

use booking_domain::{Currency, Money};
use booking_ports::{PaymentError, PaymentIntent, PaymentStatus, Refund};
use stripe_core::PaymentIntentStatus;

pub(crate) fn intent(pi: stripe_core::PaymentIntent) -> Result<PaymentIntent, PaymentError> {
    let status = status(&pi.status)?;
    let amount = money(pi.amount, &pi.currency)?;
    let mut metadata = pi.metadata;
    // Refunds live on the charge; the gateway asks for it expanded. Unexpanded (never the case for our calls)
    // counts as nothing refunded, which can only make the use cases refund too little, never twice.
    let amount_refunded = match &pi.latest_charge {
        Some(stripe_types::Expandable::Object(charge)) => charge.amount_refunded,
        _ => 0,
    };
    Ok(PaymentIntent {
        id: pi.id.to_string(),
        // Stripe always returns it to secret-key callers; an empty one only makes the browser step fail visibly.
        client_secret: pi.client_secret.unwrap_or_default(),
        status,
        amount,
        amount_capturable: pi.amount_capturable,
        amount_received: pi.amount_received,
        amount_refunded,
        reference: metadata.remove(crate::BOOKING_REF_KEY),
    })
}

pub(crate) fn refund(refund: stripe_core::Refund) -> Result<Refund, PaymentError> {
    Ok(Refund {
        id: refund.id.to_string(),
        amount: money(refund.amount, &refund.currency)?,
        // Stripe documents `status` as always present for refunds; "pending" is its initial value.
        status: refund.status.unwrap_or_else(|| "pending".to_owned()),
    })
}

pub(crate) fn status(status: &PaymentIntentStatus) -> Result<PaymentStatus, PaymentError> {
    Ok(match status {
        PaymentIntentStatus::RequiresPaymentMethod => PaymentStatus::RequiresPaymentMethod,
        PaymentIntentStatus::RequiresConfirmation => PaymentStatus::RequiresConfirmation,
        PaymentIntentStatus::RequiresAction => PaymentStatus::RequiresAction,
        PaymentIntentStatus::Processing => PaymentStatus::Processing,
        PaymentIntentStatus::RequiresCapture => PaymentStatus::RequiresCapture,
        PaymentIntentStatus::Canceled => PaymentStatus::Canceled,
        PaymentIntentStatus::Succeeded => PaymentStatus::Succeeded,
        // `Unknown(..)` (the enum is non-exhaustive): a status newer than our model: we cannot act on it safely, and retrying later may see a known one.
        other => {
            return Err(PaymentError::Unavailable(format!("unrecognised payment intent status {:?}", other.as_str())));
        }
    })
}

pub(crate) fn money(amount: i64, currency: &stripe_types::Currency) -> Result<Money, PaymentError> {
    let code = currency.to_string().to_ascii_uppercase();
    let currency = Currency::parse(&code).map_err(|e| PaymentError::Unavailable(format!("unusable currency in Stripe response: {e}")))?;
    Ok(Money::new(amount, currency))
}

/// Stripe wants lower-case codes; its `Currency` type keeps unknown codes as they are, so nothing is lost.
pub(crate) fn stripe_currency(currency: Currency) -> stripe_types::Currency {
    match currency.to_lowercase().parse::<stripe_types::Currency>() {
        Ok(c) => c,
        Err(never) => match never {},
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_one_to_one() {
        let check = |stripe: PaymentIntentStatus, ours: PaymentStatus| assert_eq!(status(&stripe).unwrap(), ours);
        check(PaymentIntentStatus::RequiresPaymentMethod, PaymentStatus::RequiresPaymentMethod);
        check(PaymentIntentStatus::RequiresConfirmation, PaymentStatus::RequiresConfirmation);
        check(PaymentIntentStatus::RequiresAction, PaymentStatus::RequiresAction);
        check(PaymentIntentStatus::Processing, PaymentStatus::Processing);
        check(PaymentIntentStatus::RequiresCapture, PaymentStatus::RequiresCapture);
        check(PaymentIntentStatus::Canceled, PaymentStatus::Canceled);
        check(PaymentIntentStatus::Succeeded, PaymentStatus::Succeeded);
        assert!(status(&PaymentIntentStatus::Unknown("teleported".into())).is_err());
    }

    #[test]
    fn currencies_round_trip_through_stripes_lower_case() {
        for code in ["EUR", "USD", "JPY", "XYZ"] {
            let ours = Currency::parse(code).unwrap();
            let theirs = stripe_currency(ours);
            assert_eq!(theirs.to_string(), code.to_ascii_lowercase());
            assert_eq!(money(1234, &theirs).unwrap(), Money::new(1234, ours));
        }
        assert!(money(1, &stripe_types::Currency::Unknown("euro".into())).is_err());
    }
}
