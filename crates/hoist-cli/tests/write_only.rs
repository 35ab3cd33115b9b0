//! The `hoist` binary with write-only credentials: a SeaweedFS identity that may put
//! but not read (`scripts/s3-test-server.sh` makes it). Apart from `cli.rs`, which also
//! runs against the embedded store, where no such identity exists.

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use common::*;
use tokio::process::Command;

const MIB: u64 = 1024 * 1024;

fn writeonly(var: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: start scripts/s3-test-server.sh"))
}

/// Write-only keys: the object lands, but the line and the summary must not say
/// "verified"; the run still succeeds (nothing failed, nothing to send again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_only_keys_land_and_the_summary_says_not_verified() {
    let (_d, dir) = tmp();
    let file = dir.join("wo.bin");
    write_random(&file, 12 * MIB as usize, 77);
    let bucket = bucket("cliwriteonly").await;
    let journal = dir.join("journal.sqlite");
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("--journal")
        .arg(&journal)
        .env("HOIST_CONFIG_DIR", dir.join("hoist-config"))
        .env(
            "AWS_ACCESS_KEY_ID",
            writeonly("HOIST_TEST_WRITEONLY_ACCESS_KEY"),
        )
        .env(
            "AWS_SECRET_ACCESS_KEY",
            writeonly("HOIST_TEST_WRITEONLY_SECRET_KEY"),
        )
        .args(["upload", "--bucket", &bucket, "--endpoint", &endpoint()])
        .args(["--part-size", "5MiB"])
        .arg(&file)
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("landed wo.bin") && err.contains("not verified: no read permission"),
        "{err}"
    );
    assert!(err.contains("0 verified"), "{err}");
    assert!(err.contains("1 landed but not verified"), "{err}");
    assert!(object(&bucket, "wo.bin").await.is_some());
}
