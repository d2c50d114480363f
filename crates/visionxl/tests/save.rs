//! Save safety: hostile names, no overwrite, sidecars, magic bytes, no leftovers.

mod common;

use common::*;
use visionxl::{ErrorCode, GenerateRequest, SaveOptions};

/// A service whose record names hostile paths; every download is a PNG unless the path says
/// `html`.
async fn hostile_service(paths: &'static [&'static str]) -> Mock {
    Mock::start(move |seen, base| {
        if seen.method == "POST" || seen.path.starts_with("/api/results") {
            Canned::json(200, record_body("rec-evil", "SUCCESS", paths, None))
        } else if seen.path.contains("html") {
            Canned::bytes(
                200,
                "image/png",
                b"<!doctype html><html><body>not an image at all</body></html>",
            )
        } else {
            let _ = base;
            Canned::bytes(200, "image/webp", PNG_1X1)
        }
    })
    .await
}

fn mock_client(mock: &Mock) -> visionxl::Client {
    visionxl::Client::builder()
        .ignore_env()
        .api_key("k")
        .base_url(&mock.base_url)
        .retry_policy(fast_retry())
        .build()
        .unwrap()
}

#[tokio::test]
async fn hostile_result_paths_cannot_leave_the_directory() {
    static PATHS: &[&str] = &[
        "../../../../tmp/evil.webp",
        "/etc/cron.d/evil.png",
        "..\\..\\windows\\evil.png",
        "img/a\nb\u{7}c.png",
        "..",
        "img/same.png",
        "other/same.png",
    ];
    let mock = hostile_service(PATHS).await;
    let client = mock_client(&mock);
    let g = client.generate(&GenerateRequest::new("x")).await.unwrap();
    let names: Vec<&str> = g.images().iter().map(|i| i.file_name()).collect();
    assert_eq!(
        names,
        [
            "evil.webp",
            "evil_1.png",
            "evil_2.png",
            "abc.png",
            "rec-evil_4",
            "same.png",
            "same_6.png"
        ]
    );
    let root = tempdir();
    let dir = root.path().join("out");
    let files = g.save_all(&dir).await.unwrap();
    assert_eq!(files.len(), PATHS.len());
    for f in &files {
        assert_eq!(f.parent().unwrap(), dir, "{f:?} left the directory");
        assert_eq!(
            f.extension().unwrap(),
            "png",
            "extension follows the bytes: {f:?}"
        );
    }
    assert_eq!(files[0], dir.join("evil.png"), "evil.webp is a PNG");
    assert_eq!(files[4], dir.join("rec-evil_4.png"));
    // Nothing was written outside `out`.
    let outside: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, vec![std::ffi::OsString::from("out")]);
}

#[tokio::test]
async fn never_overwrite_silently() {
    let emu = emulator(0).await;
    let client = client(&emu);
    let g = client.generate(&GenerateRequest::new("x")).await.unwrap();
    let dir = tempdir();
    let first = g.save_all(dir.path()).await.unwrap();
    let before = std::fs::read(&first[0]).unwrap();
    let e = g.save_all(dir.path()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::IoError);
    assert!(
        e.message().contains(&first[0].display().to_string()),
        "names the file: {e}"
    );
    assert!(e.message().contains("overwrite"), "{e}");
    assert_eq!(std::fs::read(&first[0]).unwrap(), before);
    // An existing file of another name that the sidecar would clobber is refused too.
    let p = dir.path().join("mine.webp.json");
    std::fs::write(&p, "my notes").unwrap();
    let e = g.save(0, dir.path().join("mine.webp")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::IoError);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "my notes");
    assert!(!dir.path().join("mine.webp").exists(), "no half-saved pair");
    // Asked for: replaced.
    let again = g
        .save_all_with(
            dir.path(),
            SaveOptions {
                overwrite: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again, first);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn not_an_image_is_refused_and_leaves_nothing() {
    static PATHS: &[&str] = &["img/ok.png", "img/html.png"];
    let mock = hostile_service(PATHS).await;
    let g = mock_client(&mock)
        .generate(&GenerateRequest::new("x"))
        .await
        .unwrap();
    let dir = tempdir();
    let e = g.save(1, dir.path().join("x.png")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError);
    assert!(e.message().contains("not an image"), "{e}");
    assert_eq!(e.record_id(), Some("rec-evil"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert_eq!(
        g.image_bytes(1).await.unwrap_err().code(),
        ErrorCode::DownloadError
    );
    assert!(g.image_bytes(0).await.is_ok());
}

#[tokio::test]
async fn sidecars_can_be_skipped_and_paths_are_created() {
    let emu = emulator(0).await;
    let g = client(&emu)
        .generate(&GenerateRequest::new("x"))
        .await
        .unwrap();
    let root = tempdir();
    let dir = root.path().join("a/b/c");
    let files = g
        .save_all_with(
            &dir,
            SaveOptions {
                sidecar: false,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(files[0].exists());
    assert!(
        !dir.join(format!(
            "{}.json",
            files[0].file_name().unwrap().to_string_lossy()
        ))
        .exists()
    );
    let e = g.save(0, "..").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::IoError);
}

#[tokio::test]
async fn download_progress_reaches_the_file_size() {
    use std::sync::{Arc, Mutex};
    let emu = visionxl_emulator::Emulator::start(Default::default())
        .await
        .unwrap();
    let client = bare_builder(emu.api_key(), emu.base_url())
        .requests_per_minute(0)
        .build()
        .unwrap();
    let mut req = visionxl::GenerateRequest::new("a progress bar");
    req.n = 2;
    req.size = visionxl::Size::S512x512;
    let generation = client.generate(&req).await.unwrap();
    let seen: Arc<Mutex<Vec<visionxl::DownloadProgress>>> = Arc::default();
    let sink = seen.clone();
    let dir = tempfile::tempdir().unwrap();
    let files = generation
        .save_all_with(
            dir.path(),
            visionxl::SaveOptions {
                on_progress: Some(Arc::new(move |p| sink.lock().unwrap().push(p))),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    for (index, file) in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e != "json"))
        .enumerate()
    {
        let size = std::fs::metadata(file).unwrap().len();
        let mine: Vec<_> = seen.iter().filter(|p| p.index == index).collect();
        assert!(
            mine.len() >= 2,
            "a start and at least one chunk for image {index}"
        );
        assert!(
            mine.windows(2).all(|w| w[0].received <= w[1].received),
            "never goes back"
        );
        assert_eq!(
            mine.last().unwrap().received,
            size,
            "ends at the file's size"
        );
        assert!(mine.iter().all(|p| p.total.is_none_or(|t| t == size)));
    }
}
