//! The static site, served like CloudFront will serve it from S3: files only, with the security headers of the
//! distribution's response headers policy, plus `/config.json` describing this environment to the browser.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, Uri, header};
use serde_json::Value;

#[derive(Debug)]
pub struct Site {
    pub root: PathBuf,
    /// The environment description the site reads at start (API base, identity provider, payment mode).
    pub config: Value,
}

/// The response headers every page gets, here and (through the CloudFront response headers policy in
/// `edge.yaml`, which `infra/check/tests/parity.rs` holds to this list) in AWS.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self' https://js.stripe.com; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self' https://api.stripe.com https://*.amazoncognito.com; \
         frame-src https://js.stripe.com https://hooks.stripe.com; form-action 'self' https://*.amazoncognito.com; \
         base-uri 'self'; object-src 'none'; frame-ancestors 'none'",
    ),
    ("strict-transport-security", "max-age=63072000; includeSubDomains; preload"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
];

pub fn security_headers(headers: &mut HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        headers.insert(*name, HeaderValue::from_static(value));
    }
}

pub async fn serve(State(site): State<Arc<Site>>, uri: Uri) -> Response<Body> {
    if uri.path() == "/config.json" {
        let mut response = Response::new(Body::from(site.config.to_string()));
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        security_headers(response.headers_mut());
        return response;
    }
    let Some(path) = resolve(&site.root, uri.path()) else { return not_found() };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            security_headers(headers);
            response
        }
        Err(_) => not_found(),
    }
}

/// Maps a URL path onto a file under `root`, refusing anything that could escape it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let relative = url_path.trim_start_matches('/');
    let relative = if relative.is_empty() || relative.ends_with('/') { format!("{relative}index.html") } else { relative.to_owned() };
    let candidate = Path::new(&relative);
    if candidate.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = root.join(candidate);
    if full.is_dir() { Some(full.join("index.html")) } else { Some(full) }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response<Body> {
    let mut response = Response::new(Body::from("Not found"));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    security_headers(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_escape_the_root() {
        let root = Path::new("/srv/site");
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/css/app.css"), Some(root.join("css/app.css")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/../../etc/passwd"), None);
        assert_eq!(resolve(root, "//etc/passwd"), Some(root.join("etc/passwd")));
    }
}
