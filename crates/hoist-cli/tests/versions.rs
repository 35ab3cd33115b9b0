//! `hoist ls --versions` and `hoist restore` against the real S3 server with
//! versioning on (seed 004 keeps every asset's versions). SeaweedFS only: the
//! embedded store has no versioning.

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::path::Path;

use common::*;
use serde_json::Value;
use tokio::process::Command;

fn hoist(journal: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.arg("--json").arg("--journal").arg(journal);
    c.env("HOIST_CONFIG_DIR", journal.with_file_name("hoist-config"));
    c
}

async fn run(journal: &Path, args: &[&str]) -> (bool, Vec<Value>, String) {
    let out = hoist(journal).args(args).output().await.unwrap();
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn put(bucket: &str, key: &str, body: &[u8]) {
    s3().await
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
}

async fn get(bucket: &str, key: &str) -> Vec<u8> {
    let out = s3()
        .await
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_listed_and_an_old_one_restored() {
    let b = bucket("versions").await;
    s3().await
        .put_bucket_versioning()
        .bucket(&b)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let key = "assets/logo v1.txt";
    put(&b, key, b"first version").await;
    put(&b, key, b"the second version").await;
    // Shares the prefix: must not show up among the key's versions.
    put(&b, "assets/logo v1.txt.bak", b"backup").await;
    let (_d, dir) = tmp();
    let journal = dir.join("journal.sqlite");
    let ep = endpoint();
    let base = ["--bucket", b.as_str(), "--endpoint", ep.as_str()];

    let ls = |key: &'static str| {
        let journal = journal.clone();
        let base = base.map(str::to_owned);
        async move {
            let mut args = vec!["ls", "--versions", key];
            args.extend(base.iter().map(String::as_str));
            run(&journal, &args).await
        }
    };
    let (ok, versions, err) = ls(key).await;
    assert!(ok, "{err}");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(versions[0]["is_latest"], true);
    assert_eq!(versions[0]["size"], 18);
    assert_eq!(versions[1]["size"], 13);
    let first = versions[1]["version_id"].as_str().unwrap().to_owned();

    let mut args = vec!["restore", key, "--version-id", first.as_str()];
    args.extend(base);
    let (ok, out, err) = run(&journal, &args).await;
    assert!(ok, "{err}");
    assert_eq!(out[0]["size"], 13);
    assert_eq!(get(&b, key).await, b"first version");
    let (_, versions, _) = ls(key).await;
    assert_eq!(versions.len(), 3, "a restore adds a version, deletes none");

    // Deleted: the latest is a delete marker; restoring the old version brings it back.
    s3().await
        .delete_object()
        .bucket(&b)
        .key(key)
        .send()
        .await
        .unwrap();
    let (_, versions, _) = ls(key).await;
    assert_eq!(versions[0]["is_delete_marker"], true);
    assert_eq!(versions[0]["is_latest"], true);
    let marker = versions[0]["version_id"].as_str().unwrap().to_owned();
    let mut args = vec!["restore", key, "--version-id", marker.as_str()];
    args.extend(base);
    let (ok, _, err) = run(&journal, &args).await;
    assert!(!ok && err.contains("delete marker"), "{err}");
    let mut args = vec!["restore", key, "--version-id", first.as_str()];
    args.extend(base);
    let (ok, _, err) = run(&journal, &args).await;
    assert!(ok, "{err}");
    assert_eq!(get(&b, key).await, b"first version");

    // Bad input: words, not a request.
    let mut args = vec!["restore", key, "--version-id", "x\r\nX-Evil: 1"];
    args.extend(base);
    let (ok, _, err) = run(&journal, &args).await;
    assert!(!ok && err.contains("is not a version id"), "{err}");
    let mut args = vec!["restore", key, "--version-id", "nosuchversion"];
    args.extend(base);
    let (ok, _, err) = run(&journal, &args).await;
    assert!(!ok && err.contains("has no version"), "{err}");
    let (ok, _, err) = ls("assets/never-written.txt").await;
    assert!(!ok && err.contains("has no versions"), "{err}");
}
