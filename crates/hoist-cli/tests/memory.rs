//! Constant memory: parts are streamed from the file, so `hoist upload` of a 1 GiB
//! file with default flags stays under 64 MiB peak RSS (it held whole parts before:
//! about 149 MiB). Against SeaweedFS; the peak is what the kernel reports for the
//! process (`/usr/bin/time`'s maximum resident set size).

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

use common::*;

const GIB: usize = 1 << 30;

#[tokio::test]
async fn a_1_gib_upload_with_default_flags_stays_under_64_mib() {
    let (_d, dir) = tmp();
    let file = dir.join("big.bin");
    write_random(&file, GIB, 21);
    let bucket = bucket("rss").await;
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "maxrss_kib=%M"])
        .arg(env!("CARGO_BIN_EXE_hoist"))
        .arg("--journal")
        .arg(dir.join("journal.sqlite"))
        .args(["upload", file.to_str().unwrap(), "--bucket", &bucket])
        .args(["--endpoint", &endpoint()])
        .output()
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{said}");
    let kib: u64 = said
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .expect("time reports the peak");
    eprintln!(
        "1 GiB: {took:.1} s ({:.0} MB/s), peak RSS {} MiB",
        GIB as f64 / took / 1e6,
        kib / 1024
    );
    assert!(kib < 64 * 1024, "peak RSS {} MiB", kib / 1024);
    let head = s3()
        .await
        .head_object()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(GIB as i64));
}
