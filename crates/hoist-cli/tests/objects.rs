//! `hoist` managing objects against the real S3 server: upload options and key
//! templates.

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::path::Path;

use common::*;
use tokio::process::Command;

fn hoist(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.arg("--journal").arg(dir.join("journal.sqlite"));
    c.env("HOIST_CONFIG_DIR", dir.join("hoist-config"));
    c.env_remove("HOIST_PROFILE");
    c.env_remove("HOIST_BUCKET");
    c
}

async fn run(c: &mut Command) -> (bool, String, String) {
    let out = c.output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn upload_with_content_type_metadata_tags_and_storage_class() {
    let (_d, dir) = tmp();
    let note = dir.join("note.txt");
    std::fs::write(&note, b"a note").unwrap();
    let bucket = bucket("cliopts").await;
    let (ok, out, err) = run(hoist(&dir)
        .args(["upload", "--bucket", &bucket, "--endpoint", &endpoint()])
        .arg(&note)
        .args([
            "--content-type",
            "text/x-hoist",
            "--metadata",
            "project=apollo",
            "--tag",
            "team=blue",
            "--cache-control",
            "no-cache",
            "--content-disposition",
            "inline",
            "--storage-class",
            "standard_ia",
            "--sse",
            "AES256",
        ]))
    .await;
    assert!(ok, "{out}\n{err}");
    let s3 = s3().await;
    let h = s3
        .head_object()
        .bucket(&bucket)
        .key("note.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_type(), Some("text/x-hoist"));
    assert_eq!(h.cache_control(), Some("no-cache"));
    assert_eq!(h.content_disposition(), Some("inline"));
    assert_eq!(
        h.metadata()
            .and_then(|m| m.get("project"))
            .map(String::as_str),
        Some("apollo")
    );
    assert_eq!(h.storage_class().map(|c| c.as_str()), Some("STANDARD_IA"));
    assert_eq!(
        h.server_side_encryption().map(|s| s.as_str()),
        Some("AES256")
    );
    let tags = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("note.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_set().len(), 1);
    assert_eq!(tags.tag_set()[0].key(), "team");
    assert_eq!(tags.tag_set()[0].value(), "blue");
}

#[tokio::test]
async fn bad_upload_options_are_refused_in_words_before_anything_is_sent() {
    let (_d, dir) = tmp();
    let note = dir.join("note.txt");
    std::fs::write(&note, b"a note").unwrap();
    let bucket = bucket("clibad").await;
    for (args, words) in [
        (vec!["--metadata", "novalue"], "is not NAME=VALUE"),
        (vec!["--tag", "=x"], "is not NAME=VALUE"),
        (vec!["--storage-class", "FASTEST"], "unknown storage class"),
        (vec!["--sse", "rot13"], "unknown server-side encryption"),
        (
            vec!["--key-template", "{year}/{name}"],
            "unknown placeholder",
        ),
    ] {
        let (ok, out, err) = run(hoist(&dir)
            .args(["upload", "--bucket", &bucket, "--endpoint", &endpoint()])
            .arg(&note)
            .args(&args))
        .await;
        assert!(!ok, "{args:?} was accepted: {out}");
        assert!(err.contains(words), "{args:?}: {err}");
        assert!(
            !err.contains("{ ") && !err.contains("InvalidInput("),
            "Debug output: {err}"
        );
    }
    assert!(keys(&bucket).await.is_empty());
}

#[tokio::test]
async fn a_key_template_places_files() {
    let (_d, dir) = tmp();
    let note = dir.join("note.txt");
    std::fs::write(&note, b"a note").unwrap();
    let bucket = bucket("clitpl").await;
    let (ok, out, err) = run(hoist(&dir)
        .args(["upload", "--bucket", &bucket, "--endpoint", &endpoint()])
        .args(["--prefix", "in", "--key-template", "{yyyy}/{uuid}-{name}"])
        .arg(&note))
    .await;
    assert!(ok, "{out}\n{err}");
    let k = keys(&bucket).await;
    assert_eq!(k.len(), 1, "{k:?}");
    let parts: Vec<&str> = k[0].split('/').collect();
    assert_eq!(parts.len(), 3, "{k:?}");
    assert_eq!(parts[0], "in");
    assert_eq!(parts[1].len(), 4);
    assert!(
        parts[2].ends_with("-note.txt") && parts[2].len() == 36 + 9,
        "{k:?}"
    );
}

async fn put_small(bucket: &str, key: &str, body: &'static [u8]) {
    s3().await
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(body))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn mb_then_ls_without_a_bucket_lists_it() {
    let (_d, dir) = tmp();
    let name = unique_name("climb");
    let (ok, out, err) = run(hoist(&dir).args(["mb", &name, "--endpoint", &endpoint()])).await;
    assert!(ok, "{out}\n{err}");
    let (ok, out, err) = run(hoist(&dir).args(["ls", "--endpoint", &endpoint()])).await;
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l.ends_with(&name)), "{out}");
    let (ok, _, err) = run(hoist(&dir).args(["mb", &name, "--endpoint", &endpoint()])).await;
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(hoist(&dir).args(["mb", "Bad_Name", "--endpoint", &endpoint()])).await;
    assert!(!ok && err.contains("not a valid bucket name"), "{err}");
}

#[tokio::test]
async fn cp_mv_and_rm_recursive() {
    let (_d, dir) = tmp();
    let b = bucket("clicpmv").await;
    put_small(&b, "a.txt", b"alpha").await;
    for i in 0..5 {
        put_small(&b, &format!("dir/{i}.txt"), b"d").await;
    }
    let base = ["--bucket", b.as_str(), "--endpoint"];
    let (ok, out, err) = run(hoist(&dir)
        .args(["cp", "a.txt", "b.txt"])
        .args(base)
        .arg(endpoint()))
    .await;
    assert!(ok, "{out}\n{err}");
    let (ok, out, err) = run(hoist(&dir)
        .args(["mv", "a.txt", &format!("s3://{b}/c.txt")])
        .args(base)
        .arg(endpoint()))
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(
        err.contains("moved") && err.contains("verified by"),
        "{err}"
    );
    let (ok, out, err) = run(hoist(&dir)
        .args(["mv", "--recursive", "dir", "moved"])
        .args(base)
        .arg(endpoint()))
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(
        err.contains("move: 5 done") && err.contains("0 failed"),
        "{err}"
    );
    assert_eq!(
        keys(&b).await,
        [
            "b.txt",
            "c.txt",
            "moved/0.txt",
            "moved/1.txt",
            "moved/2.txt",
            "moved/3.txt",
            "moved/4.txt"
        ]
    );
    // Not a terminal and no --yes: refused, nothing deleted.
    let (ok, _, err) = run(hoist(&dir)
        .args(["rm", "--recursive", "moved"])
        .args(base)
        .arg(endpoint())
        .stdin(std::process::Stdio::null()))
    .await;
    assert!(!ok && err.contains("--yes"), "{err}");
    assert_eq!(keys(&b).await.len(), 7);
    let (ok, out, err) = run(hoist(&dir)
        .args(["--json", "rm", "--recursive", "--yes", "moved/"])
        .args(base)
        .arg(endpoint()))
    .await;
    assert!(ok, "{out}\n{err}");
    let summary: serde_json::Value = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "summary")
        .expect("a summary line");
    assert_eq!(summary["done"], 5);
    assert_eq!(keys(&b).await, ["b.txt", "c.txt"]);
}

#[tokio::test]
async fn ls_versions_and_restore() {
    let (_d, dir) = tmp();
    let b = bucket("cliver").await;
    let s3 = s3().await;
    s3.put_bucket_versioning()
        .bucket(&b)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    put_small(&b, "v.txt", b"one").await;
    put_small(&b, "v.txt", b"two!").await;
    let (ok, out, err) = run(hoist(&dir)
        .args([
            "--json",
            "ls",
            "--versions",
            "v.txt",
            "--bucket",
            &b,
            "--endpoint",
        ])
        .arg(endpoint()))
    .await;
    assert!(ok, "{err}");
    let listed: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{out}");
    let old = listed.iter().find(|v| v["size"] == 3).unwrap()["version_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, _, err) = run(hoist(&dir)
        .args([
            "restore",
            "v.txt",
            "--version-id",
            &old,
            "--bucket",
            &b,
            "--endpoint",
        ])
        .arg(endpoint()))
    .await;
    assert!(ok && err.contains("is version"), "{err}");
    assert_eq!(object(&b, "v.txt").await.unwrap(), b"one");
}
