//! The web app: the files `npm run build` writes to web/dist, served beside the API. Any other
//! GET outside `/api/` gets index.html, so a deep link such as `/w/…/deals/…` opens the app on
//! that screen. Hashed assets are cached for good; index.html is always revalidated so a new
//! release is picked up at the next load.

use crate::error::ApiError;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../../web/dist/"]
#[allow_missing = true]
struct Assets;

const NOT_BUILT: &str = "<!doctype html><title>Velocity</title><p>The web app is not built. \
Run <code>make run</code>, or <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>, \
then reload. The API is at <a href=\"/api/docs\">/api/docs</a>.</p>";

/// The router's fallback: app files and pages for browsers, problem+json for API paths.
pub async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let is_api = path == "api" || path.starts_with("api/");
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return ApiError::NotFound("no such endpoint; see /api/docs".into()).into_response();
    }
    if let Some(file) = (!path.is_empty()).then(|| Assets::get(path)).flatten() {
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [
                (header::CONTENT_TYPE, file.metadata.mimetype().to_owned()),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
            file.data,
        )
            .into_response();
    }
    let looks_like_a_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    match Assets::get("index.html") {
        Some(_) if looks_like_a_file => {
            ApiError::NotFound(format!("no such file: /{path}")).into_response()
        }
        Some(index) => ([(header::CACHE_CONTROL, "no-cache")], Html(index.data)).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response(),
    }
}
