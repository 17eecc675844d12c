//! The packaged site (`site/` as CloudFront serves it): every reference resolves, only references change, names
//! change exactly when content does, and the headers per file are right.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;
use std::path::Path;

use infra_deploy::site::{self, CACHE_HASHED, CACHE_PAGE, CACHE_STABLE_NAME, Package, references, resolve};

fn site_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../site")
}

fn packaged() -> Package {
    site::package(&site_dir()).unwrap()
}

fn copy_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in packaged().files {
        let source = file.source.unwrap();
        let to = dir.path().join(&source);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(site_dir().join(&source), to).unwrap();
    }
    dir
}

#[test]
fn every_reference_in_the_package_resolves() {
    let package = packaged().with_config(&serde_json::json!({}));
    let keys: BTreeSet<&str> = package.files.iter().map(|f| f.key.as_str()).collect();
    let mut checked = 0;
    for file in &package.files {
        let Ok(text) = std::str::from_utf8(&file.bytes) else { continue };
        for reference in references(&file.key, text) {
            let Some(target) = resolve(&file.key, &reference.target) else { continue };
            assert!(keys.contains(target.as_str()), "{} refers to {:?}, which the package does not have", file.key, reference.target);
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} references found: the scanner has stopped seeing them");
}

#[test]
fn no_packaged_file_names_a_renamed_file_by_its_old_name() {
    let package = packaged();
    // Every script, the stylesheet and favicon.svg in site/ today: 14.
    assert!(package.renamed.len() >= 14, "{:?}", package.renamed);
    for file in &package.files {
        let Ok(text) = std::str::from_utf8(&file.bytes) else { continue };
        for old in package.renamed.keys() {
            let name = old.rsplit('/').next().unwrap();
            for quote in ["/", "'", "\""] {
                assert!(!text.contains(&format!("{quote}{name}")), "{} still names {old}", file.key);
            }
        }
    }
}

#[test]
fn only_references_change_so_the_csp_still_holds() {
    // Undoing the renames gives back the committed bytes: no script, style or attribute was added, so the
    // Content-Security-Policy (no inline script or style) holds exactly as it does for site/.
    let package = packaged();
    for file in &package.files {
        let source = std::fs::read(site_dir().join(file.source.as_ref().unwrap())).unwrap();
        let Ok(text) = std::str::from_utf8(&file.bytes) else {
            // Binary files (favicon.ico, images) are never rewritten.
            assert_eq!(file.bytes, source, "{}", file.key);
            continue;
        };
        let mut text = text.to_owned();
        for (old, new) in &package.renamed {
            text = text.replace(new.rsplit('/').next().unwrap(), old.rsplit('/').next().unwrap());
        }
        assert_eq!(text.as_bytes(), source.as_slice(), "{}", file.key);
    }
}

#[test]
fn names_change_exactly_when_content_does() {
    let before = packaged();
    assert_eq!(before, packaged(), "packaging is deterministic");
    let dir = copy_site();
    let price = dir.path().join("js/price.js");
    let text = std::fs::read_to_string(&price).unwrap();
    std::fs::write(&price, text + "\n// changed\n").unwrap();
    let after = site::package(dir.path()).unwrap();
    let renamed: BTreeSet<&str> =
        before.renamed.iter().filter(|(old, new)| after.renamed.get(*old) != Some(*new)).map(|(old, _)| old.as_str()).collect();
    // price.js and the modules that import it, nothing else.
    assert_eq!(renamed, BTreeSet::from(["js/book.js", "js/booking.js", "js/price.js", "js/search.js"]));
    let changed_pages: BTreeSet<&str> = after
        .files
        .iter()
        .filter(|f| f.cache_control == CACHE_PAGE && before.file(&f.key).is_some_and(|b| b.bytes != f.bytes))
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(changed_pages, BTreeSet::from(["book.html", "booking.html", "search.html"]));
}

#[test]
fn headers_per_file() {
    let package = packaged().with_config(&serde_json::json!({"apiBase": "/api"}));
    let header = |key: &str| {
        let file = package.file(key).unwrap_or_else(|| panic!("{key}"));
        (file.content_type, file.cache_control)
    };
    assert_eq!(header("index.html"), ("text/html; charset=utf-8", CACHE_PAGE));
    assert_eq!(header("config.json"), ("application/json", CACHE_PAGE));
    assert_eq!(header("favicon.ico"), ("image/vnd.microsoft.icon", CACHE_STABLE_NAME));
    assert_eq!(header("img/rooms/deluxe-king.svg"), ("image/svg+xml", CACHE_STABLE_NAME));
    let core = &package.renamed["js/core.js"];
    assert!(core.starts_with("js/core.") && core.len() == "js/core.".len() + 10 + ".js".len(), "{core}");
    assert_eq!(header(core), ("text/javascript; charset=utf-8", CACHE_HASHED));
    assert_eq!(header(&package.renamed["app.css"]), ("text/css; charset=utf-8", CACHE_HASHED));
    assert_eq!(header(&package.renamed["favicon.svg"]), ("image/svg+xml", CACHE_HASHED));
}

#[test]
fn the_catalogue_images_keep_their_names() {
    // The API's catalogue names the room images (services/domain/catalog): they must be where it says.
    let catalog: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../services/domain/catalog/demo-hotel.json")).unwrap(),
    )
    .unwrap();
    let package = packaged();
    let mut images = 0;
    for room in catalog["room_types"].as_array().into_iter().flatten().chain(catalog["rooms"].as_array().into_iter().flatten()) {
        if let Some(image) = room["image"].as_str() {
            assert!(package.file(image.trim_start_matches('/')).is_some(), "{image}");
            images += 1;
        }
    }
    assert!(images >= 4, "found {images} catalogue images");
}
