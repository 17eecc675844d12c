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

/// A route found for a request, with the values of its `{param}`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub route: &'static Route,
    pub params: Vec<(&'static str, String)>,
}

/// Why no route was found: API Gateway answers these differently (404 vs 405).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteMiss {
    NoSuchPath,
    MethodNotAllowed,
}

/// Finds the route for `path` (no query string).
pub fn match_route(method: &str, path: &str) -> Result<RouteMatch, RouteMiss> {
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
                return Ok(RouteMatch { route, params });
            }
            path_exists = true;
        }
    }
    Err(if path_exists { RouteMiss::MethodNotAllowed } else { RouteMiss::NoSuchPath })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_routes_and_params() {
        type Expected<'a> = Result<(&'a str, &'a [(&'a str, &'a str)]), RouteMiss>;
        let check = |method, path, expected: Expected| {
            let got = match_route(method, path);
            let got = got
                .as_ref()
                .map(|m| (m.route.resource, m.params.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()))
                .map_err(|e| *e);
            assert_eq!(got, expected.map(|(r, p)| (r, p.to_vec())), "{method} {path}");
        };
        check("GET", "/api/rooms", Ok(("/api/rooms", &[])));
        check("GET", "/api/bookings/HB-1234-5678", Ok(("/api/bookings/{ref}", &[("ref", "HB-1234-5678")])));
        check("POST", "/api/bookings/HB-1234-5678/cancel", Ok(("/api/bookings/{ref}/cancel", &[("ref", "HB-1234-5678")])));
        check("DELETE", "/api/bookings", Err(RouteMiss::MethodNotAllowed));
        check("GET", "/api/nothing", Err(RouteMiss::NoSuchPath));
        check("GET", "/api/bookings//cancel", Err(RouteMiss::NoSuchPath));
    }

    #[test]
    fn only_the_catalogue_and_the_webhook_are_public() {
        let public: Vec<_> = ROUTES.iter().filter(|r| r.auth == Auth::Public).map(|r| (r.method, r.resource)).collect();
        assert_eq!(public, [("GET", "/api/rooms"), ("GET", "/api/availability"), ("POST", "/api/webhooks/stripe")]);
        assert!(ROUTES.iter().filter(|r| r.method != "GET" && r.function != Function::Record).all(|r| r.auth == Auth::Cognito));
    }
}
