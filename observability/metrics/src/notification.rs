//! Notification outcomes, always per channel: a metric that needs the `channel` dimension cannot be recorded
//! without one, because it is not a [`Metric`](crate::Metric).

use emf::{DimensionName, DimensionValue, Dimensions, MetricDef, Metrics, Resolution, Scope, Unit};

/// The dimension naming the channel.
pub const CHANNEL: DimensionName = DimensionName::new("channel");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    /// The `channel` dimension's value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    fn dimensions(self) -> Dimensions {
        // Both values are valid dimension values and `channel` is not a default dimension.
        DimensionValue::new(self.as_str()).and_then(|value| Dimensions::one(CHANNEL, value)).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Notification {
    Sent,
    Failed,
    /// The provider reported, after accepting it, that the message bounced for good.
    Bounced,
}

impl Notification {
    pub const ALL: [Notification; 3] = [Notification::Sent, Notification::Failed, Notification::Bounced];

    pub const fn def(self) -> MetricDef {
        let name = match self {
            Notification::Sent => "NotificationSent",
            Notification::Failed => "NotificationFailed",
            Notification::Bounced => "NotificationBounced",
        };
        MetricDef::new(name, Unit::Count, Resolution::Standard, Scope::FunctionAndService)
    }

    pub const fn meaning(self) -> &'static str {
        match self {
            Notification::Sent => "a confirmation or cancellation message was handed to the channel's provider",
            Notification::Failed => "the provider refused or could not take a message (it will be retried or dead-lettered)",
            Notification::Bounced => {
                "a message the provider accepted bounced for good (SES permanent bounce, counted per report: SNS may \
                 redeliver one); SMS has no per-message report from SNS, so its line stays at zero and SMS failures \
                 are in SNS's delivery-status logs"
            }
        }
    }

    /// Records one notification outcome on `channel`.
    pub fn record(self, metrics: &Metrics, channel: Channel) {
        metrics.add_with(self.def(), &channel.dimensions(), 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_is_a_dimension() {
        for channel in Channel::ALL {
            let dims = channel.dimensions();
            assert_eq!(dims.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect::<Vec<_>>(), [("channel", channel.as_str())]);
        }
    }
}
