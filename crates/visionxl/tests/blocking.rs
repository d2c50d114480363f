//! The blocking client: same calls, a runtime per calling thread, cancellation from another thread.

mod common;

use std::time::Duration;

use visionxl::blocking::{self, CancelToken};
use visionxl::{BatchOptions, ErrorCode, GenerateRequest, Status};
use visionxl_emulator::{Emulator, EmulatorConfig, Fault, FaultKind};

/// A blocking-started emulator with the given generation latency.
fn emu(latency_ms: u64) -> Emulator {
    Emulator::start_blocking(EmulatorConfig {
        latency: Duration::from_millis(latency_ms),
        ..Default::default()
    })
    .unwrap()
}

/// A blocking client aimed at the emulator (the settings of `common::builder`).
fn client(emu: &Emulator) -> blocking::Client {
    common::builder(emu).build_blocking().unwrap()
}

/// `n` requests with prompts "item {i}".
fn items(n: usize) -> Vec<GenerateRequest> {
    (0..n)
        .map(|i| GenerateRequest::new(format!("item {i}")))
        .collect()
}

#[test]
fn generate_save_and_read_back() {
    let emu = emu(0);
    let client = client(&emu);
    let g = client
        .generate(&GenerateRequest::new("a lighthouse"))
        .unwrap();
    assert_eq!(g.status(), &Status::Success);
    let dir = common::tempdir();
    let files = g.save_all(dir.path()).unwrap();
    assert_eq!(files.len(), 1);
    let again = client.get_generation(g.id()).unwrap();
    assert_eq!(
        again.image_bytes(0).unwrap(),
        std::fs::read(&files[0]).unwrap()
    );
    let e = g.save_all(dir.path()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::IoError);
    let asset_file = dir.path().join("in.png");
    std::fs::write(&asset_file, common::PNG_1X1).unwrap();
    assert!(
        !client
            .upload_asset(&asset_file)
            .unwrap()
            .reference()
            .is_empty()
    );
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[test]
fn cancel_from_another_thread() {
    let emu = emu(10_000);
    let client = client(&emu);
    let token = CancelToken::new();
    let t2 = token.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        t2.cancel();
    });
    let e = client
        .generate_cancellable(&GenerateRequest::new("slow"), &token)
        .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(e.code(), ErrorCode::Cancelled);
    assert!(e.may_have_been_charged(), "the POST had been sent: {e}");
    assert!(e.message().contains("may have been charged"));
    // The client is still usable after a cancellation.
    assert!(client.get_generation("no-such-id").unwrap_err().code() == ErrorCode::NotFound);
}

#[test]
fn cancel_a_download_and_a_wait() {
    let emu = emu(0);
    let client = client(&emu);
    let g = client.generate(&GenerateRequest::new("x")).unwrap();
    emu.inject(Fault::new(FaultKind::Delay { ms: 10_000 }).on_path("/temp"));
    let token = CancelToken::new();
    let t2 = token.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        t2.cancel();
    });
    let dir = common::tempdir();
    let e = g.save_all_cancellable(dir.path(), &token).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Cancelled);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the .part file is removed"
    );
    let done = CancelToken::new();
    done.cancel();
    let e = client
        .wait_for_generation_cancellable(g.id(), &done)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Cancelled);
}

#[test]
fn batch_iterator() {
    let emu = emu(0);
    let client = client(&emu);
    let reqs = items(5);
    let dir = common::tempdir();
    let iter = client
        .generate_many(
            reqs,
            BatchOptions {
                concurrency: 2,
                out_dir: Some(dir.path().to_path_buf()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(iter.total(), 5);
    let items: Vec<_> = iter.collect();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i.is_ok()));
    let g = client.wrap(items[0].result.as_ref().unwrap().clone());
    assert_eq!(
        g.image_bytes(0).unwrap().len() as u64,
        std::fs::metadata(&items[0].files[0]).unwrap().len()
    );
    assert_eq!(emu.ledger().charges.len(), 5);
}

#[test]
fn generate_all_in_input_order() {
    let emu = emu(0);
    let client = client(&emu);
    let reqs = items(4);
    let mut finished = 0;
    let items = client
        .generate_all(reqs, BatchOptions::default(), |_| {
            finished += 1;
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(finished, 4);
    let order: Vec<_> = items.iter().map(|i| i.index).collect();
    assert_eq!(order, [0, 1, 2, 3]);
    assert!(items.iter().all(|i| i.is_ok()));
}

#[test]
fn a_batch_runs_its_items_concurrently() {
    // A thread's single calls go on its own blocking connections, one at a time; a batch gets
    // a runtime of its own so its items overlap. Four 600 ms generations, four at a time: one
    // after the other they could not finish in under 2.4 s.
    let emu = emu(600);
    let client = client(&emu);
    let started = std::time::Instant::now();
    let opts = BatchOptions {
        concurrency: 4,
        ..BatchOptions::default()
    };
    let items = client
        .generate_all(items(4), opts, |_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    assert!(items.iter().all(|i| i.is_ok()));
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2000), "took {took:?}");
}

#[tokio::test]
async fn usable_and_droppable_inside_an_async_context() {
    // Calling the blocking client from async code blocks that thread (the caller's choice); it
    // must not panic ("cannot start a runtime from within a runtime") nor on drop.
    let emu = emu(0);
    let client = client(&emu);
    let g = client.generate(&GenerateRequest::new("x")).unwrap();
    assert_eq!(g.status(), &Status::Success);
    let dir = common::tempdir();
    assert_eq!(g.save_all(dir.path()).unwrap().len(), 1);
    drop(g);
    drop(client);
}

#[test]
fn blocking_from_env_without_key() {
    // With no key anywhere the error says what to do (the env var may be set on a dev box:
    // then there is nothing to check here).
    if std::env::var_os("ONEMIN_API_KEY").is_none() {
        let e = blocking::Client::from_env().unwrap_err();
        assert_eq!(e.code(), ErrorCode::AuthenticationError);
    }
}

/// Each calling thread runs its calls on its own runtime and pool: a generation made on one
/// thread saves on another (and after that thread exited), clones share one budget, and the
/// async client inside stays usable from an async runtime.
#[test]
fn threads_share_budget_and_generations_cross_threads() {
    let emu = emu(0);
    let client = common::bare_builder(emu.api_key(), emu.base_url())
        .requests_per_minute(0)
        .budget(312 * 3)
        .build_blocking()
        .unwrap();
    let made: Vec<blocking::Generation> = (0..4)
        .map(|i| {
            let c = client.clone();
            std::thread::spawn(move || c.generate(&GenerateRequest::new(format!("t{i}"))))
        })
        .map(|h| h.join().unwrap())
        .filter_map(Result::ok)
        .collect();
    assert_eq!(made.len(), 3, "the budget is shared by every thread");
    assert!(client.budget_remaining().unwrap() < 312);
    let dir = common::tempdir();
    std::thread::scope(|s| {
        for (i, g) in made.iter().enumerate() {
            let sub = dir.path().join(i.to_string());
            s.spawn(move || assert_eq!(g.save_all(sub).unwrap().len(), 1));
        }
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    let g = made[0].clone().into_async();
    let bytes = rt.block_on(g.image_bytes(0)).unwrap();
    assert!(!bytes.is_empty());
    assert_eq!(emu.ledger().charges.len(), 3);
}

/// `Client::save_all_with` downloads with the settings of the client it is called on, not
/// those of the client that made the generation; `upload_asset_bytes` uploads from memory.
#[test]
fn save_uses_the_saving_clients_settings_and_upload_from_memory() {
    let emu = emu(0);
    let maker = client(&emu);
    let tiny = common::bare_builder(emu.api_key(), emu.base_url())
        .max_image_bytes(16)
        .build_blocking()
        .unwrap();
    let g = maker.generate(&GenerateRequest::new("a cap")).unwrap();
    let dir = common::tempdir();
    let e = tiny
        .save_all_with(&g, dir.path(), visionxl::SaveOptions::default())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError, "{e}");
    assert!(e.message().contains("16"), "{e}");
    let files = maker
        .save_all_with(&g, dir.path(), visionxl::SaveOptions::default())
        .unwrap();
    assert_eq!(files.len(), 1);
    let asset = maker
        .upload_asset_bytes(bytes::Bytes::from_static(common::PNG_1X1), "in.png")
        .unwrap();
    assert!(!asset.reference().is_empty());
}

/// A kept-alive connection the server closes while the calling thread is idle (its runtime
/// not running) is noticed before the next request, which then goes out on a new connection:
/// the POST is not sent into a dead socket (which would fail it as possibly charged).
#[test]
fn a_connection_closed_while_idle_is_not_reused() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut connections = 0;
        for stream in listener.incoming().take(2) {
            let mut stream = stream.unwrap();
            connections += 1;
            // Read one request (headers and a Content-Length body).
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = stream.read(&mut chunk).unwrap();
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let body = common::record_body(
                &format!("idle-{connections}"),
                "SUCCESS",
                &["development/images/a.webp"],
                None,
            )
            .to_string();
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: keep-alive\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(answer.as_bytes()).unwrap();
            // Keep-alive promised, then closed while the client is idle.
            std::thread::sleep(Duration::from_millis(50));
            drop(stream);
        }
        connections
    });
    let client = visionxl::Client::builder()
        .ignore_env()
        .api_key("vxl-test-key")
        .base_url(&base)
        .requests_per_minute(0)
        .max_retries(0)
        .build_blocking()
        .unwrap();
    let first = client.generate(&GenerateRequest::new("one")).unwrap();
    assert_eq!(first.id(), "idle-1");
    std::thread::sleep(Duration::from_millis(300));
    let second = client
        .generate(&GenerateRequest::new("two"))
        .expect("the second POST went out on a fresh connection");
    assert_eq!(second.id(), "idle-2");
    assert_eq!(server.join().unwrap(), 2);
}
