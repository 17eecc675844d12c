//! The stand-in for a port a function has no business calling (its role has no permission for it). Any call is
//! a programming error, reported as a refusal rather than a silent success.

use async_trait::async_trait;
use booking_domain::Money;
use booking_ports::{CreateIntent, Notifier, NotifyError, OutboundMessage, PaymentError, PaymentGateway, PaymentIntent, Refund};

#[derive(Debug, Clone, Copy)]
pub struct Unconfigured(pub &'static str);

impl Unconfigured {
    fn refuse(&self) -> PaymentError {
        PaymentError::Rejected(format!("this function has no {} configured", self.0))
    }
}

#[async_trait]
impl PaymentGateway for Unconfigured {
    async fn create_intent(&self, _: &CreateIntent) -> Result<PaymentIntent, PaymentError> {
        Err(self.refuse())
    }
    async fn retrieve(&self, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(self.refuse())
    }
    async fn capture(&self, _: &str, _: Money, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(self.refuse())
    }
    async fn cancel(&self, _: &str, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(self.refuse())
    }
    async fn refund(&self, _: &str, _: Money, _: &str) -> Result<Refund, PaymentError> {
        Err(self.refuse())
    }
}

#[async_trait]
impl Notifier for Unconfigured {
    async fn send(&self, _: &OutboundMessage) -> Result<(), NotifyError> {
        Err(NotifyError::Rejected(format!("this function has no {} configured", self.0)))
    }
}
