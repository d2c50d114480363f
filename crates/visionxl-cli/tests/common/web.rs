//! The reqwest client the server tests (playground and serve) talk through.

/// A reqwest client that never goes through a proxy (rustls' ring provider installed first).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Sends a request and reads its answer as JSON (panics on a transport error or non-JSON).
pub async fn json_of(req: reqwest::RequestBuilder) -> serde_json::Value {
    req.send().await.unwrap().json().await.unwrap()
}
