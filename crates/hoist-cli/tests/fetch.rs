//! `hoist fetch` queues the URL like `hoist upload` queues files: JSON event lines,
//! Ctrl-C keeps it in the journal, `hoist resume` continues it (with Range).

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::http_source::{HttpSource, expected_crc};
use common::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn hoist(journal: &Path) -> Command {
    let bin = std::env::var("HOIST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_hoist").into());
    let mut c = Command::new(bin);
    c.arg("--journal").arg(journal).env("HOIST_BUCKET", "");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_prints_events_ctrl_c_keeps_it_and_resume_continues_with_range() {
    let (_d, dir) = tmp();
    let j = dir.join("j.sqlite");
    let b = bucket("cli-fetchq").await;
    let ep = endpoint();
    let src = HttpSource::start().await;
    let size = 20 * hoist_core::MIB + 9;
    let url = src.url(&format!(
        "/bytes?size={size}&seed=12&type=image/png&range=1&rate=6000000"
    ));
    let mut child = hoist(&j)
        .args([
            "--json",
            "fetch",
            &url,
            "--key",
            "f.png",
            "-b",
            &b,
            "--endpoint",
            &ep,
            "--allow-type",
            "image/*",
            "--part-size",
            "5MiB",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let mut parts = std::collections::BTreeSet::new();
    let interrupted = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
            let event = v["event"].as_str().unwrap_or("").to_owned();
            if event == "part_done" {
                parts.insert(v["part"].as_u64().unwrap());
            }
            seen.push(v);
            if parts.contains(&1) && parts.contains(&2) {
                // Ctrl-C, as a terminal sends it.
                let pid = child.id().unwrap().to_string();
                Command::new("kill")
                    .args(["-INT", &pid])
                    .status()
                    .await
                    .unwrap();
                return true;
            }
        }
        false
    })
    .await
    .expect("two parts in time");
    assert!(
        interrupted,
        "the fetch ended before two parts were stored: {seen:?}"
    );
    while lines.next_line().await.unwrap().is_some() {}
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(130), "interrupted");
    let events: Vec<&str> = seen.iter().filter_map(|v| v["event"].as_str()).collect();
    assert_eq!(events[0], "queued", "{events:?}");
    assert!(events.contains(&"started"), "{events:?}");
    assert!(events.contains(&"progress"), "{events:?}");
    assert_eq!(seen[0]["path"], url.as_str());
    let before = src.served();

    // The journal keeps it queued: `hoist status` lists it, `hoist resume` ends it.
    let o = hoist(&j).args(["--json", "status"]).output().await.unwrap();
    let status = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(status.contains(&url), "{status}");
    let o = tokio::time::timeout(
        Duration::from_secs(60),
        hoist(&j).args(["--json", "resume"]).output(),
    )
    .await
    .unwrap()
    .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("\"resumed\":true"), "{out}");
    assert!(out.contains("\"event\":\"completed\""), "{out}");
    let again = src.served() - before;
    assert!(
        again < size - 9 * hoist_core::MIB,
        "resume fetched {again} of {size} bytes"
    );
    let got = object(&b, "f.png").await.unwrap();
    assert_eq!(got.len() as u64, size);
    assert_eq!(
        hoist_core::s3::checksum::crc32c(&got),
        expected_crc(size, 12)
    );
    println!("hoist resume fetched {again} of {size} bytes again");
}
