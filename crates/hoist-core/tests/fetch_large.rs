//! A large streamed response lands intact with bounded memory. Alone in its own test
//! binary so the process's peak RSS (VmHWM) belongs to this fetch.

mod common;

use common::http_source::{HttpSource, expected_crc};
use common::*;
use hoist_core::objects::fetch::{FetchOptions, fetch_url};
use hoist_core::{AwsChainCredentials, BucketAccess, MIB};

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_chunked_response_streams_with_bounded_memory() {
    let size: u64 = std::env::var("HOIST_FETCH_TEST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
        * MIB;
    let src = HttpSource::start().await;
    let b = bucket("fetch-large").await;
    let a = BucketAccess::connect(&AwsChainCredentials, target(&b))
        .await
        .unwrap();
    let mut opts = FetchOptions::new("large.bin");
    opts.part_size = 8 * MIB;
    opts.parallel_parts = 2;

    let before = vm_hwm_kib();
    let fetched = fetch_url(
        &a,
        &src.url(&format!("/bytes?size={size}&seed=9&chunked=1")),
        &opts,
        |_, _| {},
    )
    .await
    .unwrap();
    let growth_mib = (vm_hwm_kib() - before) / 1024;
    let secs = fetched.elapsed_ms as f64 / 1000.0;
    println!(
        "fetch: {} MiB in {secs:.2} s = {:.0} MiB/s; peak buffered {} MiB; peak RSS growth {growth_mib} MiB",
        size / MIB,
        (size / MIB) as f64 / secs,
        fetched.peak_buffered / MIB
    );
    assert!(fetched.multipart);
    assert_eq!(fetched.size, size);
    // The read buffer plus at most two parts in flight.
    assert!(
        fetched.peak_buffered <= 3 * opts.part_size,
        "{}",
        fetched.peak_buffered
    );
    assert!(
        growth_mib * MIB < size / 4,
        "memory grew by {growth_mib} MiB for a {} MiB body",
        size / MIB
    );

    // Read it back streaming and compare CRC32C with what the server sent.
    let mut obj = s3()
        .await
        .get_object()
        .bucket(&b)
        .key("large.bin")
        .send()
        .await
        .unwrap();
    let (mut crc, mut len) = (0u32, 0u64);
    while let Some(chunk) = obj.body.try_next().await.unwrap() {
        crc = crc32c::crc32c_append(crc, &chunk);
        len += chunk.len() as u64;
    }
    assert_eq!(len, size);
    assert_eq!(
        crc,
        expected_crc(size, 9),
        "the object differs from what was served"
    );
}
