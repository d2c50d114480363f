//! Helpers shared by the integration tests: every test starts its own emulator on port 0 and
//! talks to it with a plain HTTP client.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{Value, json};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, Fault};

pub const MODEL: &str = "5c232a9e-9061-4777-980a-ddc8e65647c6";
pub const KEY: &str = "vxl-emulator-key";

/// A plain reqwest client (30 s timeout).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// An emulator with the default configuration.
pub async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("start")
}

/// An emulator whose default configuration `f` changed first.
pub async fn start_with(f: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut c = EmulatorConfig::default();
    f(&mut c);
    Emulator::start(c).await.expect("start")
}

/// A default emulator with `fault` injected, and a client.
pub async fn start_faulted(fault: Fault) -> (Emulator, reqwest::Client) {
    let emu = start().await;
    emu.inject(fault);
    (emu, client())
}

/// An account with practically unlimited credits.
pub fn rich(key: &str) -> ApiKey {
    ApiKey::new(key, 1 << 40)
}

/// A generation body for `prompt_object`.
pub fn body(prompt_object: Value) -> Value {
    json!({"type": "IMAGE_GENERATOR", "model": MODEL, "promptObject": prompt_object})
}

/// Sends `method` to `path` of the emulator with no key and no body.
pub async fn bare(
    c: &reqwest::Client,
    method: reqwest::Method,
    emu: &Emulator,
    path: &str,
) -> reqwest::Response {
    let url = format!("{}{path}", emu.base_url());
    c.request(method, url).send().await.expect("send")
}

/// POSTs JSON to `path` of the emulator, with `key` as `API-KEY` when given.
pub async fn post_json(
    c: &reqwest::Client,
    emu: &Emulator,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut r = c.post(format!("{}{path}", emu.base_url())).json(body);
    if let Some(k) = key {
        r = r.header("API-KEY", k);
    }
    r.send().await.expect("send")
}

/// POST /api/features with the default key; returns (status, JSON body).
pub async fn generate(c: &reqwest::Client, emu: &Emulator, body: &Value) -> (u16, Value) {
    let r = post_json(c, emu, "/api/features", Some(&emu.api_key()), body).await;
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

pub async fn get_json(c: &reqwest::Client, url: &str, key: Option<&str>) -> (u16, Value) {
    let mut r = c.get(url);
    if let Some(k) = key {
        r = r.header("API-KEY", k);
    }
    let r = r.send().await.expect("send");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

pub async fn download(c: &reqwest::Client, url: &str) -> (u16, String, Vec<u8>) {
    let r = c.get(url).send().await.expect("send");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.bytes().await.expect("body").to_vec())
}

/// The `details` string of a live error, parsed.
pub fn details(body: &Value) -> Value {
    let d = body["details"].as_str().expect("details is a JSON string");
    serde_json::from_str(d).expect("details holds JSON")
}

pub fn paths(body: &Value) -> Vec<String> {
    body["aiRecord"]["aiRecordDetail"]["resultObject"]
        .as_array()
        .expect("resultObject")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// A small real PNG for uploads.
pub fn png_bytes() -> Vec<u8> {
    let img = image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([x as u8 * 30, y as u8 * 30, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub async fn upload(
    c: &reqwest::Client,
    emu: &Emulator,
    field: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("init.png");
    let form = reqwest::multipart::Form::new().part(field.to_string(), part);
    let r = c
        .post(format!("{}/api/assets", emu.base_url()))
        .header("API-KEY", emu.api_key())
        .multipart(form)
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

/// A raw HTTP/1.1 exchange over std (no runtime needed): (status, body).
pub fn raw_http(
    base: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let key = key.map(|k| format!("API-KEY: {k}\r\n")).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{key}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}
