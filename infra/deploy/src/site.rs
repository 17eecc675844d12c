//! The guest site as CloudFront serves it. `site/` has no build step and runs as committed under `cargo xtask
//! dev`; the package adds only what a CDN needs:
//!
//! - **content-hashed names** for scripts, styles and images (`js/core.3f2a9c01d4.js`), cached for a year as
//!   immutable, so a release never mixes old and new files in a browser and a redeploy of unchanged files is a
//!   no-op. Every reference to them is rewritten: `href`/`src` in HTML, ES module specifiers in JavaScript (static
//!   and dynamic `import`), `url()` and `@import` in CSS. A file's hash is taken after its own references are
//!   rewritten, so a change to `core.js` renames `core.js` and every module that imports it, and nothing else.
//! - pages keep their names (they are the URLs) and are revalidated on every request (`no-cache`), like
//!   `config.json`, which is generated per environment from the stack outputs.
//! - files named from outside the site keep their names, with a one-hour cache: `favicon.ico` (browsers ask for it
//!   by name) and `img/rooms/*` (the API's catalogue names them, `services/domain/catalog`).
//!
//! Nothing is inlined and no script is added, so the Content-Security-Policy (`script-src 'self'`, no inline
//! script or style) holds for the packaged site exactly as for the committed one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::DeployError;
use crate::lambda::sha256_hex;

/// A year, immutable: the name changes whenever the content does.
pub const CACHE_HASHED: &str = "public, max-age=31536000, immutable";
/// Pages and config.json: always revalidated, so a release is visible at once.
pub const CACHE_PAGE: &str = "no-cache";
/// Files whose names other parties know: an hour.
pub const CACHE_STABLE_NAME: &str = "public, max-age=3600";

/// Files that keep their names although they are assets, and why.
const STABLE_NAMES: [(&str, &str); 2] =
    [("favicon.ico", "browsers request /favicon.ico by name"), ("img/rooms/", "the API's catalogue names the room images")];

/// One object of the packaged site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// Object key = URL path without the leading slash, e.g. `js/core.3f2a9c01d4.js`.
    pub key: String,
    /// The file under `site/` it comes from (`config.json` has none).
    pub source: Option<String>,
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

impl SiteFile {
    pub fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }

    /// Whether the name carries the content hash (then it never needs a cache invalidation).
    pub fn is_hashed(&self) -> bool {
        self.cache_control == CACHE_HASHED
    }
}

/// The packaged site, files sorted by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub files: Vec<SiteFile>,
    /// Source path -> hashed key, for every renamed file.
    pub renamed: BTreeMap<String, String>,
}

impl Package {
    pub fn file(&self, key: &str) -> Option<&SiteFile> {
        self.files.iter().find(|f| f.key == key)
    }

    /// Adds (or replaces) the environment's `config.json`.
    pub fn with_config(mut self, config: &serde_json::Value) -> Self {
        self.files.retain(|f| f.key != "config.json");
        let mut bytes = serde_json::to_vec_pretty(config).unwrap_or_default();
        bytes.push(b'\n');
        self.files.push(SiteFile {
            key: "config.json".into(),
            source: None,
            bytes,
            content_type: "application/json",
            cache_control: CACHE_PAGE,
        });
        self.files.sort_by(|a, b| a.key.cmp(&b.key));
        self
    }

    /// Writes the files under `dir` (emptied first), for inspection and for `cargo xtask dev`-like serving.
    pub fn write(&self, dir: &Path) -> Result<(), DeployError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|source| DeployError::Write { path: dir.to_owned(), source })?;
        }
        for file in &self.files {
            let path = dir.join(&file.key);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| DeployError::Write { path: parent.to_owned(), source })?;
            }
            std::fs::write(&path, &file.bytes).map_err(|source| DeployError::Write { path: path.clone(), source })?;
        }
        Ok(())
    }
}

/// What the browser reads from `/config.json` (the shape `services/devstack` serves locally).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteConfig {
    pub hotel: String,
    /// `https://<domain>`.
    pub origin: String,
    /// The user pool's issuer (identity stack output `Issuer`).
    pub issuer: String,
    pub client_id: String,
    /// Cognito's hosted UI (identity stack output `HostedUiBaseUrl`).
    pub hosted_ui: String,
    /// Stripe's publishable key (`pk_...`): public by design, it only identifies the account to Stripe.js.
    pub stripe_publishable_key: String,
}

impl SiteConfig {
    pub fn to_json(&self) -> serde_json::Value {
        let ui = self.hosted_ui.trim_end_matches('/');
        serde_json::json!({
            "hotel": self.hotel,
            "apiBase": "/api",
            "identity": {
                "issuer": self.issuer,
                "clientId": self.client_id,
                "authorizeUrl": format!("{ui}/oauth2/authorize"),
                "tokenUrl": format!("{ui}/oauth2/token"),
                "logoutUrl": format!("{ui}/logout"),
                "redirectUri": format!("{}/callback.html", self.origin),
            },
            "payments": { "mode": "stripe", "publishableKey": self.stripe_publishable_key },
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Page,
    Hashed,
    StableName,
}

fn kind(path: &str) -> Kind {
    let extension = path.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    let asset = matches!(extension, "js" | "mjs" | "css" | "svg" | "png" | "jpg" | "jpeg" | "webp" | "avif" | "gif" | "ico" | "woff2");
    match (asset, STABLE_NAMES.iter().any(|(prefix, _)| path == *prefix || (prefix.ends_with('/') && path.starts_with(prefix)))) {
        (true, false) => Kind::Hashed,
        (true, true) => Kind::StableName,
        (false, _) => Kind::Page,
    }
}

/// The `Content-Type` of a file, by extension (text in UTF-8).
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "gif" => "image/gif",
        "ico" => "image/vnd.microsoft.icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// A reference to another file inside a text file: the byte range of the specifier and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub start: usize,
    pub end: usize,
    pub target: String,
}

/// The references a page, script or style sheet makes (by file extension; other files make none).
pub fn references(path: &str, text: &str) -> Vec<Reference> {
    let mut found = Vec::new();
    match path.rsplit_once('.').map(|(_, e)| e).unwrap_or_default() {
        "html" => {
            for attribute in ["href=", "src="] {
                quoted_after(text, attribute, &mut found, |before| before.ends_with(|c: char| c.is_whitespace()));
            }
        }
        "js" | "mjs" => {
            quoted_after(text, "from", &mut found, |before| before.ends_with(|c: char| c.is_whitespace() || c == '}'));
            quoted_after(text, "import", &mut found, |before| !before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.'));
            quoted_after(text, "import(", &mut found, |before| !before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.'));
        }
        "css" => {
            quoted_after(text, "@import", &mut found, |_| true);
            let mut from = 0;
            while let Some(at) = text[from..].find("url(") {
                let start = from + at + 4;
                let rest = &text[start..];
                let skip = rest.len() - rest.trim_start().len();
                let rest = rest.trim_start();
                let (quote, body) = match rest.chars().next() {
                    Some(q @ ('"' | '\'')) => (Some(q), &rest[1..]),
                    _ => (None, rest),
                };
                let end = body.find(|c: char| quote.map_or(c == ')' || c.is_whitespace(), |q| c == q)).unwrap_or(body.len());
                let begin = start + skip + usize::from(quote.is_some());
                found.push(Reference { start: begin, end: begin + end, target: body[..end].to_owned() });
                from = begin + end;
            }
        }
        _ => {}
    }
    found.sort_by_key(|r| r.start);
    found.dedup_by_key(|r| r.start);
    found
}

/// Finds `keyword` followed (after optional whitespace) by a quoted string, where the text before the keyword
/// satisfies `boundary`.
fn quoted_after(text: &str, keyword: &str, found: &mut Vec<Reference>, boundary: impl Fn(&str) -> bool) {
    let mut from = 0;
    while let Some(at) = text[from..].find(keyword) {
        let position = from + at;
        from = position + keyword.len();
        if !boundary(&text[..position]) {
            continue;
        }
        let rest = &text[from..];
        let trimmed = rest.trim_start();
        let Some(quote @ ('"' | '\'' | '`')) = trimmed.chars().next() else { continue };
        let begin = from + (rest.len() - trimmed.len()) + 1;
        let Some(length) = text[begin..].find(quote) else { continue };
        found.push(Reference { start: begin, end: begin + length, target: text[begin..begin + length].to_owned() });
    }
}

/// Resolves a reference made from `from` (a site path like `js/book.js`) to a site path, if it points into the
/// site: `/x`, `./x`, `../x` or a bare relative path; not URLs with a scheme, `//host`, `#fragments` or `data:`.
pub fn resolve(from: &str, target: &str) -> Option<String> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if path.is_empty() || path.starts_with("//") || path.contains(':') {
        return None;
    }
    let mut segments: Vec<&str> = match path.strip_prefix('/') {
        Some(_) => Vec::new(),
        None => from.split('/').collect::<Vec<_>>().split_last().map(|(_, dir)| dir.to_vec()).unwrap_or_default(),
    };
    for segment in path.trim_start_matches('/').split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            other => segments.push(other),
        }
    }
    // A directory is its index.html, as the viewer-request function serves it (`href="/"` is the home page).
    if path.ends_with('/') {
        segments.push("index.html");
    }
    Some(segments.join("/"))
}

/// Packages `site_dir` (without `config.json`, which [`Package::with_config`] adds per environment).
pub fn package(site_dir: &Path) -> Result<Package, DeployError> {
    let mut sources = BTreeMap::new();
    collect(site_dir, site_dir, &mut sources)?;
    let mut hashed_names: BTreeMap<String, String> = BTreeMap::new();
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for path in sources.keys() {
        rewrite(path, &sources, &mut hashed_names, &mut contents, &mut BTreeSet::new())?;
    }
    let files = sources
        .keys()
        .map(|path| {
            let bytes = contents.remove(path).unwrap_or_default();
            let (key, cache_control) = match kind(path) {
                Kind::Page => (path.clone(), CACHE_PAGE),
                Kind::StableName => (path.clone(), CACHE_STABLE_NAME),
                Kind::Hashed => (hashed_names.get(path).cloned().unwrap_or_else(|| path.clone()), CACHE_HASHED),
            };
            SiteFile { key, source: Some(path.clone()), bytes, content_type: content_type(path), cache_control }
        })
        .collect::<Vec<_>>();
    let mut files = files;
    files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Package { files, renamed: hashed_names })
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) -> Result<(), DeployError> {
    let entries = std::fs::read_dir(dir).map_err(|source| DeployError::Read { path: dir.to_owned(), source })?;
    for entry in entries {
        let path = entry.map_err(|source| DeployError::Read { path: dir.to_owned(), source })?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, out)?;
        } else {
            let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            let bytes = std::fs::read(&path).map_err(|source| DeployError::Read { path: path.clone(), source })?;
            out.insert(relative, bytes);
        }
    }
    Ok(())
}

/// Rewrites `path`'s references (hashing what it references first) and, for a hashed asset, names it after the
/// rewritten content.
fn rewrite(
    path: &str,
    sources: &BTreeMap<String, Vec<u8>>,
    hashed_names: &mut BTreeMap<String, String>,
    contents: &mut BTreeMap<String, Vec<u8>>,
    visiting: &mut BTreeSet<String>,
) -> Result<(), DeployError> {
    if contents.contains_key(path) {
        return Ok(());
    }
    if !visiting.insert(path.to_owned()) {
        return Err(DeployError::Site(format!("{path} is part of a reference cycle between hashed files")));
    }
    let source = sources.get(path).cloned().unwrap_or_default();
    let bytes = match std::str::from_utf8(&source) {
        Ok(text) if !references(path, text).is_empty() => {
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            for reference in references(path, text) {
                let Some(target) = resolve(path, &reference.target).filter(|t| sources.contains_key(t)) else { continue };
                if kind(&target) != Kind::Hashed {
                    continue;
                }
                rewrite(&target, sources, hashed_names, contents, visiting)?;
                let Some(new_name) = hashed_names.get(&target) else { continue };
                let old_file = target.rsplit('/').next().unwrap_or(&target);
                let new_file = new_name.rsplit('/').next().unwrap_or(new_name);
                let specifier = &text[reference.start..reference.end];
                let Some(at) = specifier.rfind(old_file) else {
                    return Err(DeployError::Site(format!("{path}: cannot rename the reference {specifier:?}")));
                };
                out.push_str(&text[last..reference.start + at]);
                out.push_str(new_file);
                last = reference.start + at + old_file.len();
            }
            out.push_str(&text[last..]);
            out.into_bytes()
        }
        _ => source,
    };
    if kind(path) == Kind::Hashed {
        let (stem, extension) = path.rsplit_once('.').unwrap_or((path, ""));
        hashed_names.insert(path.to_owned(), format!("{stem}.{}.{extension}", &sha256_hex(&bytes)[..10]));
    }
    visiting.remove(path);
    contents.insert(path.to_owned(), bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_a_browser() {
        assert_eq!(resolve("js/book.js", "./core.js").as_deref(), Some("js/core.js"));
        assert_eq!(resolve("js/book.js", "../app.css").as_deref(), Some("app.css"));
        assert_eq!(resolve("index.html", "/js/home.js").as_deref(), Some("js/home.js"));
        assert_eq!(resolve("book.html", "/").as_deref(), Some("index.html"));
        assert_eq!(resolve("js/book.js", "../").as_deref(), Some("index.html"));
        assert_eq!(resolve("index.html", "search.html?guests=2#x").as_deref(), Some("search.html"));
        assert_eq!(resolve("index.html", "https://js.stripe.com/v3/"), None);
        assert_eq!(resolve("index.html", "#main"), None);
        assert_eq!(resolve("index.html", "data:image/png;base64,xx"), None);
        assert_eq!(resolve("index.html", "../../etc/passwd"), None);
    }

    #[test]
    fn finds_references_in_each_language() {
        let js =
            "import {\n  a,\n} from './core.js';\nimport './side.js';\nconst m = await import('./pay.js');\n// not: reimport('./x.js')";
        let targets: Vec<String> = references("js/a.js", js).into_iter().map(|r| r.target).collect();
        assert_eq!(targets, ["./core.js", "./side.js", "./pay.js"]);
        let css = "@import 'base.css'; .a { background: url( \"img/a.svg\" ) } .b { mask: url(img/b.svg) }";
        let targets: Vec<String> = references("app.css", css).into_iter().map(|r| r.target).collect();
        assert_eq!(targets, ["base.css", "img/a.svg", "img/b.svg"]);
        let html = r#"<link rel="stylesheet" href="/app.css"><script type="module" src='/js/home.js'></script><a data-href="x">"#;
        let targets: Vec<String> = references("index.html", html).into_iter().map(|r| r.target).collect();
        assert_eq!(targets, ["/app.css", "/js/home.js"]);
    }

    #[test]
    fn content_types_and_kinds() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("js/core.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(kind("favicon.ico"), Kind::StableName);
        assert_eq!(kind("img/rooms/deluxe-king.svg"), Kind::StableName);
        assert_eq!(kind("favicon.svg"), Kind::Hashed);
        assert_eq!(kind("book.html"), Kind::Page);
    }
}
