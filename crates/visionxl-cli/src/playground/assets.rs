//! The page: HTML, CSS and JavaScript embedded in the binary (no CDN, no build step).

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One embedded file and its type.
pub struct Asset {
    /// The `Content-Type`.
    pub mime: &'static str,
    /// The bytes.
    pub body: &'static str,
}

/// The page.
pub const INDEX: Asset = Asset {
    mime: "text/html; charset=utf-8",
    body: include_str!("assets/index.html"),
};
/// The script (plain modules-free JavaScript, one view per tab).
pub const APP_JS: Asset = Asset {
    mime: "text/javascript; charset=utf-8",
    body: include_str!("assets/app.js"),
};
/// The style sheet.
pub const APP_CSS: Asset = Asset {
    mime: "text/css; charset=utf-8",
    body: include_str!("assets/app.css"),
};

/// An embedded file as an answer.
pub fn page(a: Asset) -> Response {
    ([(header::CONTENT_TYPE, a.mime)], a.body).into_response()
}
