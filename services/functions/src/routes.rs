//! The HTTP API's routes: one table that the local API gateway routes by, the OpenAPI document is checked
//! against, and (later) the CloudFormation API is checked against. Adding a route means adding it here.

/// Which Lambda function serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// Prices, holds and opens the payment.
    Payment,
    /// Stripe's webhook: confirms or releases.
    Record,
    /// Catalogue, availability, the guest's bookings, cancellation.
    Query,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::Payment => "payment",
            Function::Record => "record",
            Function::Query => "query",
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway resource path, with `{param}` placeholders.
    pub resource: &'static str,
    pub function: Function,
    pub auth: Auth,
}

pub const ROUTES: &[Route] = &[
    Route { method: "GET", resource: "/api/rooms", function: Function::Query, auth: Auth::Public },
    Route { method: "GET", resource: "/api/availability", function: Function::Query, auth: Auth::Public },
    Route { method: "POST", resource: "/api/bookings", function: Function::Payment, auth: Auth::Cognito },
    Route { method: "GET", resource: "/api/bookings", function: Function::Query, auth: Auth::Cognito },
    Route { method: "GET", resource: "/api/bookings/{ref}", function: Function::Query, auth: Auth::Cognito },
    Route { method: "POST", resource: "/api/bookings/{ref}/cancel", function: Function::Query, auth: Auth::Cognito },
    Route { method: "POST", resource: "/api/webhooks/stripe", function: Function::Record, auth: Auth::Public },
];

/// Finds the route for `path` (no query string) and the values of its `{param}`s. A path that matches a resource
/// with another method yields `Err(true)` (405), no resource at all `Err(false)` (404).
pub fn match_route(method: &str, path: &str) -> Result<(&'static Route, Vec<(&'static str, String)>), bool> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut path_exists = false;
    for route in ROUTES {
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
                return Ok((route, params));
            }
            path_exists = true;
        }
    }
    Err(path_exists)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_routes_and_params() {
        let check = |method, path, expected: Result<(&str, Vec<(&str, &str)>), bool>| {
            let got = match_route(method, path).map(|(r, p)| (r.resource, p));
            let expected = expected.map(|(r, p)| (r, p.into_iter().map(|(k, v)| (k, v.to_owned())).collect::<Vec<_>>()));
            assert_eq!(got, expected, "{method} {path}");
        };
        check("GET", "/api/rooms", Ok(("/api/rooms", vec![])));
        check("GET", "/api/bookings/HB-1234-5678", Ok(("/api/bookings/{ref}", vec![("ref", "HB-1234-5678")])));
        check("POST", "/api/bookings/HB-1234-5678/cancel", Ok(("/api/bookings/{ref}/cancel", vec![("ref", "HB-1234-5678")])));
        check("DELETE", "/api/bookings", Err(true));
        check("GET", "/api/nothing", Err(false));
        check("GET", "/api/bookings//cancel", Err(false));
    }

    #[test]
    fn only_the_catalogue_and_the_webhook_are_public() {
        let public: Vec<_> = ROUTES.iter().filter(|r| r.auth == Auth::Public).map(|r| (r.method, r.resource)).collect();
        assert_eq!(public, [("GET", "/api/rooms"), ("GET", "/api/availability"), ("POST", "/api/webhooks/stripe")]);
        assert!(ROUTES.iter().filter(|r| r.method != "GET" && r.function != Function::Record).all(|r| r.auth == Auth::Cognito));
    }
}
