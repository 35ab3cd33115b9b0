//! `hoist share`, `upload-link`, `fetch`, `ls`, `rm`, `links` against the real S3
//! server, and `--copy` under Xvfb read back with xclip.

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::http_source::{HttpSource, expected_crc};
use common::*;
use tokio::process::Command;

/// `HOIST_BIN` overrides the binary (a shared target directory may hold another
/// branch's build by the time the tests run).
fn hoist(journal: &Path) -> Command {
    let bin = std::env::var("HOIST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_hoist").into());
    let mut c = Command::new(bin);
    c.arg("--journal").arg(journal).env("HOIST_BUCKET", "");
    c
}

async fn run(cmd: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("hoist finished")
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn put(bucket: &str, key: &str, data: &[u8]) {
    s3().await
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(data.to_vec().into())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn share_prints_a_working_url_on_its_own_line_and_remembers_it() {
    let (_d, dir) = tmp();
    let j = dir.join("j.sqlite");
    let b = bucket("cli-share").await;
    put(&b, "docs/a.txt", b"shared bytes").await;
    let ep = endpoint();

    let o = run(hoist(&j).args([
        "share",
        "a.txt",
        "-b",
        &b,
        "--endpoint",
        &ep,
        "-p",
        "docs",
        "--expires",
        "15m",
    ]))
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "only the URL on stdout: {out}");
    let url = out.trim();
    assert!(url.starts_with("http://"), "{url}");
    assert!(stderr(&o).contains("15 min"), "{}", stderr(&o));
    let body = reqwest::get(url).await.unwrap();
    assert_eq!(body.status(), 200);
    assert_eq!(body.bytes().await.unwrap().as_ref(), b"shared bytes");

    let o = run(hoist(&j).args(["--json", "links", "--search", "a.txt"])).await;
    let v: serde_json::Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(v["url"], url);
    assert_eq!(v["key"], "docs/a.txt");
    assert_eq!(v["method"], "get");

    // Errors are clear and exit non-zero.
    let o = run(hoist(&j).args(["share", "missing.txt", "-b", &b, "--endpoint", &ep])).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    let o = run(hoist(&j).args([
        "share",
        "docs/a.txt",
        "-b",
        &b,
        "--endpoint",
        &ep,
        "-e",
        "8d",
    ]))
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("7 days"), "{}", stderr(&o));
}

#[tokio::test]
async fn upload_link_works_with_a_plain_put() {
    let (_d, dir) = tmp();
    let j = dir.join("j.sqlite");
    let b = bucket("cli-ulink").await;
    let o = run(hoist(&j).args([
        "upload-link",
        "inbox/f.bin",
        "-b",
        &b,
        "--endpoint",
        &endpoint(),
        "--expires",
        "15m",
    ]))
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let url = stdout(&o).trim().to_owned();
    let r = reqwest::Client::new()
        .put(&url)
        .body(vec![7u8; 4096])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(object(&b, "inbox/f.bin").await.unwrap(), vec![7u8; 4096]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_ls_and_rm() {
    let (_d, dir) = tmp();
    let j = dir.join("j.sqlite");
    let b = bucket("cli-fetch").await;
    let ep = endpoint();
    let src = HttpSource::start().await;
    let size = 12 * 1024 * 1024 + 5;
    let url = src.url(&format!(
        "/bytes?size={size}&seed=5&type=image/png&chunked=1"
    ));
    let o = run(hoist(&j).args([
        "fetch",
        &url,
        "--key",
        "pics/p.png",
        "-b",
        &b,
        "--endpoint",
        &ep,
        "--allow-type",
        "image/*",
        "--part-size",
        "5MiB",
    ]))
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), format!("s3://{b}/pics/p.png"));
    let got = object(&b, "pics/p.png").await.unwrap();
    assert_eq!(got.len() as u64, size);
    assert_eq!(
        hoist_core::s3::checksum::crc32c(&got),
        expected_crc(size, 5)
    );

    let o = run(hoist(&j).args([
        "fetch",
        &url,
        "--key",
        "x",
        "-b",
        &b,
        "--endpoint",
        &ep,
        "--allow-type",
        "application/pdf",
    ]))
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not an allowed type"), "{}", stderr(&o));
    let o = run(hoist(&j).args([
        "fetch",
        &src.url("/gone"),
        "--key",
        "x",
        "-b",
        &b,
        "--endpoint",
        &ep,
    ]))
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("404"), "{}", stderr(&o));
    let o = run(hoist(&j).args([
        "fetch",
        &url,
        "--key",
        "x",
        "-b",
        &b,
        "--endpoint",
        &ep,
        "--max-size",
        "1MiB",
    ]))
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("too large"), "{}", stderr(&o));

    put(&b, "top.txt", b"t").await;
    let o = run(hoist(&j).args(["ls", "-b", &b, "--endpoint", &ep])).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("PRE pics/"), "{lines:?}");
    assert!(lines[1].ends_with(" 1 top.txt"), "{lines:?}");
    let o = run(hoist(&j).args([
        "--json",
        "ls",
        "pics",
        "-b",
        &b,
        "--endpoint",
        &ep,
        "--page-size",
        "1",
    ]))
    .await;
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["key"], "pics/p.png");
    assert_eq!(v["size"], size);

    let o = run(hoist(&j).args(["rm", "pics/p.png", "-b", &b, "--endpoint", &ep])).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(object(&b, "pics/p.png").await.is_none());
    let o = run(hoist(&j).args(["rm", "pics/p.png", "-b", &b, "--endpoint", &ep])).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
}

#[tokio::test]
async fn copy_without_a_display_is_a_clear_error() {
    let (_d, dir) = tmp();
    let j = dir.join("j.sqlite");
    let b = bucket("cli-nodisp").await;
    put(&b, "a.txt", b"x").await;
    let o = run(hoist(&j)
        .args([
            "share",
            "a.txt",
            "-b",
            &b,
            "--endpoint",
            &endpoint(),
            "--copy",
        ])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY"))
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no display"), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("http"), "the URL is still printed");
}

/// Under Xvfb: after `hoist share --copy` returns, `xclip` reads the link.
#[tokio::test]
async fn copy_puts_the_link_on_the_x11_clipboard() {
    if which("Xvfb").is_none() || which("xclip").is_none() {
        panic!("Xvfb and xclip are required (scripts/install-deps.sh installs them)");
    }
    let display = format!(":{}", 200 + std::process::id() % 500);
    let mut xvfb = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "640x480x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let socket = format!("/tmp/.X11-unix/X{}", &display[1..]);
    for _ in 0..100 {
        if Path::new(&socket).exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_d, dir) = tmp();
    let j = dir.join("j.sqlite");
    let b = bucket("cli-copy").await;
    put(&b, "a.txt", b"x").await;
    let o = run(hoist(&j)
        .args([
            "share",
            "a.txt",
            "-b",
            &b,
            "--endpoint",
            &endpoint(),
            "--copy",
        ])
        .env("DISPLAY", &display)
        // The holder outlives the command; it must not stay for 10 minutes.
        .env("HOIST_CLIPBOARD_HOLD_SECS", "3")
        .env("HOIST_TEST_MARK", &dir))
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("copied to the clipboard"),
        "{}",
        stderr(&o)
    );
    let url = stdout(&o).trim().to_owned();
    let clip = run(Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", &display))
    .await;
    assert!(clip.status.success(), "{}", stderr(&clip));
    assert_eq!(stdout(&clip), url);
    let _ = xvfb.kill().await;
    // The holder ends by itself after its hold time, even with the display gone.
    let mark = format!("HOIST_TEST_MARK={}", dir.display());
    let holder_alive = || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
            std::fs::read(p.path().join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == mark.as_bytes()))
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while holder_alive() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !holder_alive(),
        "the clipboard holder outlived its hold time"
    );
}

fn which(bin: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(bin))
        .find(|p| p.exists())
}
