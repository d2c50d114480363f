//! The blocking client's direct connections over TLS, as they reach the live service
//! (`https`): a local rustls server with a certificate for 127.0.0.1 signed by a test CA
//! (tests/fixtures/tls, made with openssl, valid until 2126) that this process trusts through
//! `SSL_CERT_FILE` (read by the platform verifier on Linux). Its own test binary, since it sets
//! the environment.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use visionxl::GenerateRequest;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

fn server_config() -> Arc<rustls::ServerConfig> {
    let certs = CertificateDer::pem_file_iter(format!("{FIXTURES}/server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{FIXTURES}/server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    )
}

/// Reads one request (head, then a `Content-Length` body); `false` at the close.
fn read_request(r: &mut impl BufRead) -> bool {
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).is_ok()
}

/// An HTTPS server on 127.0.0.1 answering every request with a finished record; it closes a
/// connection (with a TLS close_notify) after `answers_per_connection` answers. Returns its
/// URL and its count of connections.
fn serve(answers_per_connection: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let connections = Arc::new(AtomicUsize::new(0));
    let (count, config) = (connections.clone(), server_config());
    std::thread::spawn(move || {
        for (n, tcp) in listener.incoming().enumerate() {
            let Ok(tcp) = tcp else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            std::thread::spawn(move || answer(tcp, config, n, answers_per_connection));
        }
    });
    (url, connections)
}

fn answer(tcp: TcpStream, config: Arc<rustls::ServerConfig>, n: usize, answers: usize) {
    let tls = rustls::ServerConnection::new(config).unwrap();
    let mut r = BufReader::new(rustls::StreamOwned::new(tls, tcp));
    for i in 0..answers {
        if !read_request(&mut r) {
            return;
        }
        let body = common::record_body(&format!("rec-{n}-{i}"), "SUCCESS", &["images/a.png"], None)
            .to_string();
        let s = r.get_mut();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if s.write_all(head.as_bytes())
            .and_then(|()| s.write_all(body.as_bytes()))
            .is_err()
        {
            return;
        }
        let _ = s.flush();
    }
    let s = r.get_mut();
    s.conn.send_close_notify();
    let _ = s.flush();
}

/// A blocking client of `url`, no pacing, `retries` retries.
fn tls_client(url: &str, retries: u32) -> visionxl::blocking::Client {
    common::bare_builder("k-0123456789", url)
        .requests_per_minute(0)
        .max_retries(retries)
        .build_blocking()
        .unwrap()
}

#[test]
fn generations_over_tls_keep_their_connection_and_survive_a_close() {
    // SAFETY: the only test of this binary sets the variable before any thread reads it.
    unsafe { std::env::set_var("SSL_CERT_FILE", format!("{FIXTURES}/ca.pem")) };

    // Kept alive: three calls on one connection (TLS 1.3 session tickets arrive on it too).
    let (url, connections) = serve(100);
    let client = tls_client(&url, 2);
    for i in 0..3 {
        let g = client.generate(&GenerateRequest::new("x")).unwrap();
        assert_eq!(g.id(), format!("rec-0-{i}"));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);

    // The server closes each connection after one answer (close_notify while the client is
    // idle): every call goes on a new connection, none into the closed one.
    let (url, connections) = serve(1);
    let client = tls_client(&url, 2);
    for i in 0..3 {
        let g = client.generate(&GenerateRequest::new("x")).unwrap();
        assert_eq!(g.id(), format!("rec-{i}-0"));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(connections.load(Ordering::SeqCst), 3);

    // A certificate the client does not trust: refused before anything is sent.
    // SAFETY: as above; no other thread of this binary reads the environment.
    unsafe { std::env::remove_var("SSL_CERT_FILE") };
    let (url, connections) = serve(100);
    let client = tls_client(&url, 0);
    let err = client.generate(&GenerateRequest::new("x")).unwrap_err();
    assert_eq!(err.code(), visionxl::ErrorCode::ConnectionError, "{err}");
    assert!(!err.may_have_been_charged(), "{err}");
    assert!(connections.load(Ordering::SeqCst) >= 1);
}
