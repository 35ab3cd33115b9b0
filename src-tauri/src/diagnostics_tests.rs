//! No secret reaches the log file or the diagnostics report: a profile's secret key
//! goes through profile save, an upload and a share link (with its presigned
//! signature) with every log line at `trace`, against SeaweedFS and a real keyring
//! (run under `scripts/with-keyring.sh`).

use std::time::Duration;

use hoist_core::profiles::ChecksumPreference;

use crate::models::ProfileForm;
use crate::state::Desktop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_or_signature_reaches_the_log_file_or_the_report() {
    let Ok(endpoint) = std::env::var("HOIST_TEST_ENDPOINT") else {
        panic!("set HOIST_TEST_ENDPOINT (the SeaweedFS test server)");
    };
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or("hoisttestsecret".into());
    let dir = tempfile::tempdir().unwrap();
    let logs = super::init(&dir.path().join("logs"), "trace").expect("the subscriber installs");
    let bucket = format!("diag-{}", fastrand::u32(..));
    let made = std::process::Command::new("aws")
        .args([
            "s3",
            "mb",
            &format!("s3://{bucket}"),
            "--endpoint-url",
            &endpoint,
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    let desktop = Desktop::start(dir.path().join("data"), dir.path().join("config"))
        .await
        .unwrap();
    desktop
        .save_profile(ProfileForm {
            name: "seaweed".into(),
            previous_name: None,
            endpoint: Some(endpoint.clone()),
            region: Some("us-east-1".into()),
            bucket: Some(bucket.clone()),
            prefix: String::new(),
            path_style: Some(true),
            checksum: ChecksumPreference::Auto,
            access_key_id: std::env::var("AWS_ACCESS_KEY_ID").unwrap_or("hoisttestkey".into()),
            secret_access_key: Some(secret.clone()),
            session_token: None,
            session_expires_at: None,
        })
        .await
        .expect("the profile saves (is the keyring running?)");
    desktop.use_profile(Some("seaweed".into())).await.unwrap();
    let file = dir.path().join("report.txt");
    std::fs::write(&file, b"quarterly numbers").unwrap();
    desktop.add_chosen(vec![file], None).await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), desktop.engine.wait_idle())
        .await
        .unwrap()
        .unwrap();
    let link = desktop
        .share("report.txt", None, Duration::from_secs(600), None)
        .await
        .unwrap();
    tracing::info!("share link made: {}", link.url);
    let signature = link
        .url
        .split("X-Amz-Signature=")
        .nth(1)
        .map(|s| s.split('&').next().unwrap().to_owned())
        .expect("a presigned URL");
    let report = super::report(&desktop, &logs).unwrap();
    desktop.shutdown().await;
    tokio::time::sleep(Duration::from_millis(500)).await; // the writer thread flushes

    let mut log = String::new();
    for e in std::fs::read_dir(&logs.dir).unwrap() {
        log.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    assert!(
        log.lines().count() > 20,
        "the log holds the session:\n{log}"
    );
    assert!(
        log.contains("X-Amz-Signature=REDACTED"),
        "the link's line is there, redacted"
    );
    for (what, text) in [("log file", log), ("report", report.text())] {
        assert!(!text.contains(&secret), "the secret key is in the {what}");
        assert!(
            !text.contains(&signature),
            "the link's signature is in the {what}"
        );
    }
}
