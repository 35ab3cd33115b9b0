//! Share and upload links against the real S3 server, fetched with a plain HTTP
//! client (no SDK, no credentials), as the person receiving the link would.

mod common;

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use common::*;
use hoist_core::objects::share::{self, MAX_EXPIRY};
use hoist_core::{
    AwsChainCredentials, BucketAccess, CredentialResolver, Disposition, ErrorCode, LinkMethod,
    UploadJournal,
};

async fn access(bucket: &str) -> BucketAccess {
    BucketAccess::connect(&AwsChainCredentials, target(bucket))
        .await
        .expect("access")
}

async fn put(bucket: &str, key: &str, data: Vec<u8>) {
    s3().await
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("image/png")
        .body(data.into())
        .send()
        .await
        .unwrap();
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn share_link_returns_the_exact_bytes_and_refuses_tampering() {
    let b = bucket("share-get").await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    put(&b, "photos/été cat+1.png", data.clone()).await;
    let a = access(&b).await;

    let link = share::share_link(&a, "photos/été cat+1.png", Duration::from_secs(3600), None)
        .await
        .unwrap();
    assert_eq!(link.method, LinkMethod::Get);
    assert!(!link.limited_by_credentials, "env keys do not expire");
    let hour_ms = 3600 * 1000;
    assert!((link.expires_at - link.created_at - hour_ms).abs() < 1000);

    let resp = http().get(&link.url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().to_vec(), data);

    // Change one character of the signature: refused.
    let pos = link.url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut tampered = link.url.clone().into_bytes();
    tampered[pos] = if tampered[pos] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(http().get(&tampered).send().await.unwrap().status(), 403);

    // Point the link at another key: refused too.
    let other = link.url.replace("cat%2B1", "dog");
    assert_ne!(other, link.url);
    assert_eq!(http().get(&other).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn share_link_is_refused_after_its_expiry() {
    let b = bucket("share-exp").await;
    put(&b, "a.txt", b"short-lived".to_vec()).await;
    let a = access(&b).await;
    let link = share::share_link(&a, "a.txt", Duration::from_secs(2), None)
        .await
        .unwrap();
    assert_eq!(http().get(&link.url).send().await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let resp = http().get(&link.url).send().await.unwrap();
    // S3, SeaweedFS and the embedded store answer 403; Garage 400 "Date is too old".
    assert!(
        matches!(resp.status().as_u16(), 403 | 400),
        "an expired link must be refused: {}",
        resp.status()
    );
}

#[tokio::test]
async fn content_disposition_rides_on_the_link() {
    let b = bucket("share-cd").await;
    put(&b, "docs/report 2024.pdf", b"%PDF-".to_vec()).await;
    let a = access(&b).await;
    let link = share::share_link(
        &a,
        "docs/report 2024.pdf",
        Duration::from_secs(60),
        Some(Disposition::Attachment),
    )
    .await
    .unwrap();
    let resp = http().get(&link.url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let cd = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cd.starts_with("attachment; filename=\"report 2024.pdf\""),
        "{cd}"
    );
}

#[tokio::test]
async fn expiry_limits_and_missing_objects_are_clear_errors() {
    let b = bucket("share-err").await;
    let a = access(&b).await;
    let e = share::share_link(&a, "nope.txt", Duration::from_secs(60), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
    put(&b, "yes.txt", b"x".to_vec()).await;
    let e = share::share_link(&a, "yes.txt", MAX_EXPIRY + Duration::from_secs(1), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(e.to_string().contains("7 days"), "{e}");
    // Exactly 7 days is allowed.
    share::share_link(&a, "yes.txt", MAX_EXPIRY, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn upload_link_lets_a_plain_put_create_the_object() {
    let b = bucket("share-put").await;
    let a = access(&b).await;
    let link = share::upload_link(&a, "inbox/from-friend.bin", Duration::from_secs(900), None)
        .await
        .unwrap();
    assert_eq!(link.method, LinkMethod::Put);
    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 256) as u8).collect();
    let resp = http()
        .put(&link.url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(object(&b, "inbox/from-friend.bin").await.unwrap(), body);

    // With a content type, the uploader must send that type (it is signed).
    let typed = share::upload_link(
        &a,
        "inbox/pic.png",
        Duration::from_secs(900),
        Some("image/png"),
    )
    .await
    .unwrap();
    let ok = http()
        .put(&typed.url)
        .header("content-type", "image/png")
        .body(b"png".to_vec())
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    let head = s3()
        .await
        .head_object()
        .bucket(&b)
        .key("inbox/pic.png")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("image/png"));
}

/// Credentials that end in ten minutes, as a profile with temporary credentials
/// would give (the keys are the test server's, so links still work).
struct ExpiringCredentials(SystemTime);

impl CredentialResolver for ExpiringCredentials {
    fn resolve(
        &self,
        _profile: Option<&str>,
    ) -> hoist_core::Result<Option<SharedCredentialsProvider>> {
        Ok(Some(SharedCredentialsProvider::new(Credentials::new(
            std::env::var("AWS_ACCESS_KEY_ID").unwrap(),
            std::env::var("AWS_SECRET_ACCESS_KEY").unwrap(),
            None,
            Some(self.0),
            "expiring-test",
        ))))
    }
}

#[tokio::test]
async fn a_link_dies_with_temporary_credentials_and_says_so() {
    let b = bucket("share-tmp").await;
    put(&b, "a.txt", b"temporary".to_vec()).await;
    let creds_end = SystemTime::now() + Duration::from_secs(600);
    let a = BucketAccess::connect(&ExpiringCredentials(creds_end), target(&b))
        .await
        .unwrap();

    let preview = share::preview_expiry(&a, Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert!(preview.limited_by_credentials);
    assert!(preview.expires_at < preview.requested_expires_at);

    let link = share::share_link(&a, "a.txt", Duration::from_secs(24 * 3600), None)
        .await
        .unwrap();
    assert!(link.limited_by_credentials);
    let end_ms = creds_end
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert_eq!(link.expires_at, end_ms);
    assert_eq!(http().get(&link.url).send().await.unwrap().status(), 200);

    // A short link ends before the credentials: not limited.
    let short = share::share_link(&a, "a.txt", Duration::from_secs(60), None)
        .await
        .unwrap();
    assert!(!short.limited_by_credentials);

    // Credentials already over: no link.
    let gone = BucketAccess::connect(
        &ExpiringCredentials(SystemTime::now() - Duration::from_secs(1)),
        target(&b),
    )
    .await
    .unwrap();
    let e = share::share_link(&gone, "a.txt", Duration::from_secs(60), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Auth, "{e}");
}

#[tokio::test]
async fn links_are_kept_in_the_journal_and_engine_access_works() {
    let b = bucket("share-hist").await;
    put(&b, "x/one.png", b"1".to_vec()).await;
    let (_d, dir) = tmp();
    let engine = engine(&dir, fast_settings()).await;
    let a = engine.access(target(&b)).unwrap();
    let link = share::share_link(&a, "x/one.png", Duration::from_secs(900), None)
        .await
        .unwrap();
    let saved = engine.journal().record_link(&link).unwrap();
    engine.shutdown().await.unwrap();

    let j = UploadJournal::open(&dir.join("journal.sqlite")).unwrap();
    let found = j.links(Some("one"), 10).unwrap();
    assert_eq!(found, vec![saved]);
    assert_eq!(
        http().get(&found[0].url).send().await.unwrap().status(),
        200
    );
}
