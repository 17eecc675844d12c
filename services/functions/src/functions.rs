//! The one description of the five functions: what invokes each (its API routes, the table's stream, the
//! schedule), which ports it is wired with, and which store calls its use cases make. The local API gateway routes
//! by it, the handlers dispatch by it, the wiring scopes each store by it, and the tests hold the OpenAPI document
//! and the CloudFormation templates to it (routes, environment variables, IAM actions). Adding a route is one
//! line here plus its handler.

use booking_ports::StoreCall;

/// The Lambda functions, by the name their binary, template resources and log groups use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FunctionName {
    /// Prices, holds and opens the payment; the guest's cancellation (a payment transaction too).
    Payment,
    /// Stripe's webhook: reconciles the booking with its payment.
    Record,
    /// Catalogue, availability, the guest's own bookings. Read-only.
    Query,
    /// The table's stream: tells guests.
    Notify,
    /// The schedule: reconciles every due booking.
    Sweeper,
}

impl FunctionName {
    pub const ALL: [FunctionName; 5] = [Self::Payment, Self::Record, Self::Query, Self::Notify, Self::Sweeper];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Record => "record",
            Self::Query => "query",
            Self::Notify => "notify",
            Self::Sweeper => "sweeper",
        }
    }

    pub fn spec(self) -> &'static FunctionSpec {
        match self {
            Self::Payment => &PAYMENT,
            Self::Record => &RECORD,
            Self::Query => &QUERY,
            Self::Notify => &NOTIFY,
            Self::Sweeper => &SWEEPER,
        }
    }
}

/// How API Gateway guards a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The Cognito user pool authorizer: a valid ID token is required and its claims reach the function.
    Cognito,
    /// No authorizer. Only the read-only catalogue and the webhook (which checks Stripe's signature itself).
    Public,
}

/// Every operation of the HTTP API; `id` is its OpenAPI `operationId` and the API Gateway method's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    ListRooms,
    SearchAvailability,
    CreateBooking,
    ListMyBookings,
    GetMyBooking,
    CancelMyBooking,
    ResendMyConfirmation,
    StripeWebhook,
}

impl Operation {
    pub fn id(self) -> &'static str {
        match self {
            Self::ListRooms => "listRooms",
            Self::SearchAvailability => "searchAvailability",
            Self::CreateBooking => "createBooking",
            Self::ListMyBookings => "listMyBookings",
            Self::GetMyBooking => "getMyBooking",
            Self::CancelMyBooking => "cancelMyBooking",
            Self::ResendMyConfirmation => "resendMyConfirmation",
            Self::StripeWebhook => "stripeWebhook",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway resource path, with `{param}` placeholders.
    pub resource: &'static str,
    pub auth: Auth,
    pub operation: Operation,
}

/// What invokes a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// API Gateway (REST, Lambda proxy integration), on these routes.
    Http(&'static [Route]),
    /// The booking table's DynamoDB stream (outbox inserts), and the email feedback topic (SES's bounce,
    /// complaint and delivery events through SNS).
    TableStream,
    /// An EventBridge schedule.
    Schedule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSpec {
    pub name: FunctionName,
    pub trigger: Trigger,
    /// The store calls its use cases make. The wiring lets only these through, and its role's DynamoDB actions are
    /// derived from them.
    pub store_calls: &'static [StoreCall],
    /// Wired with the payment provider (and so the Stripe secret).
    pub payments: bool,
    /// Wired with the notifier (and so SES's identity and configuration set, and the booking-events topic).
    pub notifier: bool,
}

impl FunctionSpec {
    pub fn routes(&self) -> &'static [Route] {
        match self.trigger {
            Trigger::Http(routes) => routes,
            Trigger::TableStream | Trigger::Schedule => &[],
        }
    }

    /// Only reads: no write access to the table.
    pub fn read_only(&self) -> bool {
        self.store_calls.iter().all(|c| c.is_read())
    }

    /// The environment variables the function reads when deployed, besides the optional `HOTEL_CATALOG_PATH` and
    /// `RUST_LOG` every function takes (see `config.rs`).
    pub fn aws_environment(&self) -> Vec<&'static str> {
        let mut vars = vec![crate::config::TABLE_NAME, crate::config::METRICS_NAMESPACE, crate::config::METRICS_SERVICE];
        if self.notifier {
            vars.extend([crate::config::BOOKING_EVENTS_TOPIC_ARN, crate::config::SES_FROM_ADDRESS, crate::config::SES_CONFIGURATION_SET]);
        }
        if self.payments {
            vars.push(crate::config::STRIPE_SECRET_ARN);
        }
        vars
    }
}

use StoreCall as S;

const IDEMPOTENCY: [StoreCall; 3] = [S::BeginIdempotent, S::CompleteIdempotent, S::AbandonIdempotent];

pub const PAYMENT: FunctionSpec = FunctionSpec {
    name: FunctionName::Payment,
    trigger: Trigger::Http(&[
        Route { method: "POST", resource: "/api/bookings", auth: Auth::Cognito, operation: Operation::CreateBooking },
        Route { method: "POST", resource: "/api/bookings/{ref}/cancel", auth: Auth::Cognito, operation: Operation::CancelMyBooking },
        Route {
            method: "POST",
            resource: "/api/bookings/{ref}/confirmation",
            auth: Auth::Cognito,
            operation: Operation::ResendMyConfirmation,
        },
    ]),
    store_calls: &[S::GetBooking, S::PlaceHold, S::Transition, IDEMPOTENCY[0], IDEMPOTENCY[1], IDEMPOTENCY[2], S::QueueResend],
    payments: true,
    notifier: false,
};

pub const RECORD: FunctionSpec = FunctionSpec {
    name: FunctionName::Record,
    trigger: Trigger::Http(&[Route {
        method: "POST",
        resource: "/api/webhooks/stripe",
        auth: Auth::Public,
        operation: Operation::StripeWebhook,
    }]),
    store_calls: &[S::GetBooking, S::Transition, IDEMPOTENCY[0], IDEMPOTENCY[1], IDEMPOTENCY[2]],
    payments: true,
    notifier: false,
};

pub const QUERY: FunctionSpec = FunctionSpec {
    name: FunctionName::Query,
    trigger: Trigger::Http(&[
        Route { method: "GET", resource: "/api/rooms", auth: Auth::Public, operation: Operation::ListRooms },
        Route { method: "GET", resource: "/api/availability", auth: Auth::Public, operation: Operation::SearchAvailability },
        Route { method: "GET", resource: "/api/bookings", auth: Auth::Cognito, operation: Operation::ListMyBookings },
        Route { method: "GET", resource: "/api/bookings/{ref}", auth: Auth::Cognito, operation: Operation::GetMyBooking },
    ]),
    store_calls: &[S::NightCounts, S::BookingWithDeliveries, S::BookingsForGuest, S::Deliveries],
    payments: false,
    notifier: false,
};

pub const NOTIFY: FunctionSpec = FunctionSpec {
    name: FunctionName::Notify,
    trigger: Trigger::TableStream,
    store_calls: &[
        S::GetBooking,
        IDEMPOTENCY[0],
        IDEMPOTENCY[1],
        IDEMPOTENCY[2],
        S::RecordDelivery,
        S::IsUndeliverable,
        S::MarkUndeliverable,
    ],
    payments: false,
    notifier: true,
};

pub const SWEEPER: FunctionSpec = FunctionSpec {
    name: FunctionName::Sweeper,
    trigger: Trigger::Schedule,
    store_calls: &[S::DueBookings, S::GetBooking, S::Transition],
    payments: true,
    notifier: false,
};

/// Every function.
pub const FUNCTIONS: [&FunctionSpec; 5] = [&PAYMENT, &RECORD, &QUERY, &NOTIFY, &SWEEPER];

/// Every API route, with the function that serves it.
pub fn routes() -> impl Iterator<Item = (FunctionName, &'static Route)> {
    FUNCTIONS.into_iter().flat_map(|f| f.routes().iter().map(move |r| (f.name, r)))
}

/// A route found for a request, with the values of its `{param}`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub function: FunctionName,
    pub route: &'static Route,
    pub params: Vec<(&'static str, String)>,
}

/// Why no route was found: API Gateway answers these differently (404 vs 405, with `Allow`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMiss {
    NoSuchPath,
    /// The path exists with these methods.
    MethodNotAllowed(Vec<&'static str>),
}

/// Finds the route for `path` (no query string).
pub fn match_route(method: &str, path: &str) -> Result<RouteMatch, RouteMiss> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut allowed = Vec::new();
    for (function, route) in routes() {
        let pattern: Vec<&str> = route.resource.split('/').collect();
        if pattern.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        let fits = pattern.iter().zip(&segments).all(|(p, s)| match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) if !s.is_empty() => {
                params.push((name, (*s).to_owned()));
                true
            }
            Some(_) => false,
            None => p == s,
        });
        if fits {
            if route.method == method {
                return Ok(RouteMatch { function, route, params });
            }
            allowed.push(route.method);
        }
    }
    Err(if allowed.is_empty() { RouteMiss::NoSuchPath } else { RouteMiss::MethodNotAllowed(allowed) })
}

/// The operation API Gateway routed a request to, from its method and resource (what a handler dispatches on).
pub fn operation(function: FunctionName, method: &str, resource: &str) -> Option<Operation> {
    function.spec().routes().iter().find(|r| r.method == method && r.resource == resource).map(|r| r.operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_routes_and_params() {
        type Expected<'a> = Result<(FunctionName, &'a str, &'a [(&'a str, &'a str)]), RouteMiss>;
        let check = |method, path, expected: Expected| {
            let got = match_route(method, path)
                .map(|m| (m.function, m.route.resource, m.params.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()));
            let expected = expected.map(|(f, r, p)| (f, r, p.iter().map(|(k, v)| (*k, (*v).to_owned())).collect::<Vec<_>>()));
            assert_eq!(got, expected, "{method} {path}");
        };
        check("GET", "/api/rooms", Ok((FunctionName::Query, "/api/rooms", &[])));
        check("GET", "/api/bookings/HB-1234-5678", Ok((FunctionName::Query, "/api/bookings/{ref}", &[("ref", "HB-1234-5678")])));
        check(
            "POST",
            "/api/bookings/HB-1234-5678/cancel",
            Ok((FunctionName::Payment, "/api/bookings/{ref}/cancel", &[("ref", "HB-1234-5678")])),
        );
        check(
            "POST",
            "/api/bookings/HB-1234-5678/confirmation",
            Ok((FunctionName::Payment, "/api/bookings/{ref}/confirmation", &[("ref", "HB-1234-5678")])),
        );
        check("GET", "/api/bookings/HB-1234-5678/confirmation", Err(RouteMiss::MethodNotAllowed(vec!["POST"])));
        check("DELETE", "/api/bookings", Err(RouteMiss::MethodNotAllowed(vec!["POST", "GET"])));
        check("GET", "/api/nothing", Err(RouteMiss::NoSuchPath));
        check("GET", "/api/bookings//cancel", Err(RouteMiss::NoSuchPath));
    }

    #[test]
    fn only_the_catalogue_and_the_webhook_are_public() {
        let public: Vec<_> = routes().filter(|(_, r)| r.auth == Auth::Public).map(|(_, r)| (r.method, r.resource)).collect();
        assert_eq!(public, [("POST", "/api/webhooks/stripe"), ("GET", "/api/rooms"), ("GET", "/api/availability")]);
        assert!(
            routes().filter(|(_, r)| r.method != "GET" && r.operation != Operation::StripeWebhook).all(|(_, r)| r.auth == Auth::Cognito)
        );
    }

    #[test]
    fn query_is_read_only_and_holds_no_payment_secret() {
        assert!(QUERY.read_only() && !QUERY.payments && !QUERY.notifier);
        assert!(!PAYMENT.read_only() && !RECORD.read_only() && !SWEEPER.read_only());
        assert_eq!(QUERY.aws_environment(), ["TABLE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"]);
    }

    #[test]
    fn every_operation_is_served_once() {
        let mut ops: Vec<Operation> = routes().map(|(_, r)| r.operation).collect();
        ops.sort();
        let before = ops.len();
        ops.dedup();
        assert_eq!((before, ops.len()), (8, 8));
        for (function, route) in routes() {
            assert_eq!(operation(function, route.method, route.resource), Some(route.operation));
        }
    }
}
