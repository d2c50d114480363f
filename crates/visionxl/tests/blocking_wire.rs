//! The blocking client's own HTTP/1.1 connections (`src/direct`), against a raw TCP server
//! that writes each answer byte for byte: chunked bodies, bodies that end at the close,
//! `Connection: close`, keep-alive reuse, oversized answers, the call's timeout and a cancel
//! from another thread while a read or a connect is blocked.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use visionxl::blocking::{self, CancelToken};
use visionxl::{ErrorCode, GenerateOptions, GenerateRequest, Status};

/// What the server does with one request: the raw answer to write (`None`: write nothing and
/// hold the connection open), and whether to close the connection after it.
struct Reply {
    bytes: Option<Vec<u8>>,
    close: bool,
}

/// A raw HTTP server on 127.0.0.1: counts connections, keeps every request head it reads.
struct Raw {
    url: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Raw {
    fn start(script: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Raw {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let (conns, reqs) = (connections.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                conns.fetch_add(1, Ordering::SeqCst);
                let (script, reqs) = (script.clone(), reqs.clone());
                std::thread::spawn(move || serve(stream, &*script, &reqs));
            }
        });
        Raw {
            url,
            connections,
            requests,
        }
    }

    fn client(
        &self,
        configure: impl FnOnce(visionxl::ClientBuilder) -> visionxl::ClientBuilder,
    ) -> blocking::Client {
        configure(
            common::bare_builder("k-0123456789", &self.url)
                .requests_per_minute(0)
                .retry_policy(common::fast_retry()),
        )
        .build_blocking()
        .unwrap()
    }
}

/// Reads one request (head and `Content-Length` body); `None` at the close.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    Some(head)
}

fn serve(
    mut stream: TcpStream,
    script: &(dyn Fn(usize) -> Reply + Send + Sync),
    reqs: &Mutex<Vec<String>>,
) {
    while let Some(head) = read_request(&mut stream) {
        let n = {
            let mut r = reqs.lock().unwrap();
            r.push(head);
            r.len() - 1
        };
        let reply = script(n);
        match reply.bytes {
            Some(b) => {
                let _ = stream.write_all(&b);
            }
            None => {
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
        }
        if reply.close {
            return;
        }
    }
}

/// A finished record, as JSON text.
fn record(id: &str) -> String {
    common::record_body(id, "SUCCESS", &["images/a.png"], None).to_string()
}

/// An answer with `Content-Length`.
fn sized(body: &str, extra_headers: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{extra_headers}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn keep(bytes: Vec<u8>) -> Reply {
    Reply {
        bytes: Some(bytes),
        close: false,
    }
}

#[test]
fn kept_alive_answers_share_one_connection_and_requests_carry_the_key() {
    let raw = Raw::start(|n| keep(sized(&record(&format!("rec-{n}")), "")));
    let client = raw.client(|b| b.user_agent("wire-test/1"));
    for n in 0..3 {
        let g = client.generate(&GenerateRequest::new("x")).unwrap();
        assert_eq!(g.id(), format!("rec-{n}"));
    }
    assert_eq!(raw.connections.load(Ordering::SeqCst), 1);
    let head = raw.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(
        head.starts_with("post /api/features http/1.1\r\n"),
        "{head}"
    );
    for line in [
        "api-key: k-0123456789",
        "content-type: application/json",
        "user-agent: wire-test/1",
        "host: 127.0.0.1:",
    ] {
        assert!(head.contains(line), "{line} missing from {head}");
    }
}

#[test]
fn chunked_answers_and_connection_close_are_understood() {
    let raw = Raw::start(|n| {
        let body = record(&format!("rec-{n}"));
        let (a, b) = body.split_at(body.len() / 2);
        let bytes = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
            a.len(),
            b.len()
        );
        Reply {
            bytes: Some(bytes.into_bytes()),
            close: true,
        }
    });
    let client = raw.client(|b| b);
    for n in 0..2 {
        let g = client.generate(&GenerateRequest::new("x")).unwrap();
        assert_eq!(
            (g.id(), g.status()),
            (format!("rec-{n}").as_str(), &Status::Success)
        );
    }
    // `Connection: close`: a new connection for the second call.
    assert_eq!(raw.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn an_answer_without_a_length_ends_at_the_close() {
    let raw = Raw::start(|_| Reply {
        bytes: Some(
            format!(
                "HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{}",
                record("rec-eof")
            )
            .into_bytes(),
        ),
        close: true,
    });
    let g = raw
        .client(|b| b)
        .generate(&GenerateRequest::new("x"))
        .unwrap();
    assert_eq!(g.id(), "rec-eof");
}

#[test]
fn an_oversized_answer_is_refused_and_may_have_been_charged() {
    let raw = Raw::start(|_| keep(sized(&record("rec-big"), "")));
    let client = raw.client(|b| b.max_response_bytes(64));
    let err = client.generate(&GenerateRequest::new("x")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidResponse);
    assert!(
        err.message().contains("larger than the limit of 64 bytes"),
        "{}",
        err.message()
    );
    assert!(err.may_have_been_charged());
}

#[test]
fn no_answer_in_time_is_a_timeout_that_may_have_been_charged() {
    let raw = Raw::start(|_| Reply {
        bytes: None,
        close: false,
    });
    let client = raw.client(|b| b.timeout(Duration::from_millis(300)));
    let started = Instant::now();
    let err = client.generate(&GenerateRequest::new("x")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
    assert!(err.may_have_been_charged());
    assert!(started.elapsed() < Duration::from_secs(10));
    // Never sent twice.
    assert_eq!(raw.requests.lock().unwrap().len(), 1);
}

/// The error of a generation that another thread cancels after 300 ms: `cancelled`, well
/// before the client's own timeouts (60 s in these tests).
fn generate_cancelled_after_300ms(client: &blocking::Client) -> visionxl::Error {
    let token = CancelToken::new();
    let stopper = token.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        stopper.cancel();
    });
    let started = Instant::now();
    let opts = GenerateOptions {
        cancel: Some(token),
        ..GenerateOptions::default()
    };
    let err = client
        .generate_with(&GenerateRequest::new("x"), opts)
        .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.code(), ErrorCode::Cancelled, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    err
}

#[test]
fn a_cancel_from_another_thread_breaks_a_blocked_read() {
    let raw = Raw::start(|_| Reply {
        bytes: None,
        close: false,
    });
    let client = raw.client(|b| b.timeout(Duration::from_secs(60)));
    let err = generate_cancelled_after_300ms(&client);
    assert!(err.may_have_been_charged(), "the request had left: {err}");
    assert_eq!(raw.requests.lock().unwrap().len(), 1);
}

#[test]
fn a_cancel_from_another_thread_stops_a_connect_under_way() {
    // A listener whose accept queue is full (backlog 0, one connection waiting): the kernel
    // drops further SYNs, so a connect hangs until its timeout, on loopback.
    let listener =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    listener
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let _queued = TcpStream::connect(addr).unwrap();
    let client = common::bare_builder("k-0123456789", format!("http://{addr}"))
        .requests_per_minute(0)
        .connect_timeout(Duration::from_secs(60))
        .build_blocking()
        .unwrap();
    let err = generate_cancelled_after_300ms(&client);
    assert!(!err.may_have_been_charged(), "nothing had left: {err}");
}

#[test]
fn a_connection_the_server_closed_while_idle_is_not_used_again() {
    // The first answer keeps the connection alive, then the server closes it while the client
    // is idle: the next POST must go on a new connection, not into the closed one.
    let raw = Raw::start(|n| Reply {
        bytes: Some(sized(&record(&format!("rec-{n}")), "")),
        close: true,
    });
    let client = raw.client(|b| b);
    client.generate(&GenerateRequest::new("x")).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let g = client.generate(&GenerateRequest::new("x")).unwrap();
    assert_eq!(g.id(), "rec-1");
    assert_eq!(raw.connections.load(Ordering::SeqCst), 2);
}
