//! The Browser's selection actions (new folder, rename, move into a folder, delete
//! with folders) on SeaweedFS and the embedded store.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::stores::TestStore;
use hoist_core::objects::manage::{self, CopySettings};
use hoist_core::objects::selection;

async fn put(s3: &aws_sdk_s3::Client, b: &str, key: &str, body: &'static [u8]) {
    s3.put_object()
        .bucket(b)
        .key(key)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .unwrap();
}

async fn all(s3: &aws_sdk_s3::Client, b: &str) -> Vec<String> {
    let mut k: Vec<String> = manage::list_keys(s3, b, "")
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    k.sort();
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_renames_moves_and_deletes_of_a_selection() {
    for store in [TestStore::seaweed().await, TestStore::embedded().await] {
        let s3 = store.s3().await;
        let b = store.bucket("sel").await;
        let settings = CopySettings::default();
        put(&s3, &b, "a.txt", b"a").await;
        put(&s3, &b, "b.txt", b"b").await;
        put(&s3, &b, "c.txt", b"c").await;
        put(&s3, &b, "docs/x.txt", b"x").await;

        assert!(selection::new_folder(&s3, &b, "", "a/b").await.is_err());
        let marker: &[&str] = if store.local {
            // Its markers would be directories no listing shows: refused in words.
            let e = selection::new_folder(&s3, &b, "", "Archive")
                .await
                .unwrap_err();
            assert_eq!(e.code(), hoist_core::ErrorCode::Unsupported, "{e}");
            assert!(
                e.to_string().contains("empty folders are not supported"),
                "{e}"
            );
            &[]
        } else {
            let f = selection::new_folder(&s3, &b, "", "Archive").await.unwrap();
            assert_eq!(f, "Archive/");
            let again = selection::new_folder(&s3, &b, "", "Archive")
                .await
                .unwrap_err();
            assert!(again.to_string().contains("already exists"), "{again}");
            &["Archive/"]
        };
        let with_marker = |rest: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = marker.iter().chain(rest).map(|s| s.to_string()).collect();
            v.sort();
            v
        };

        // Rename never replaces.
        let e = selection::rename(&s3, &b, "a.txt", "b.txt", &settings, None)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("already exists"),
            "{}: {e}",
            store.name()
        );
        selection::rename(&s3, &b, "a.txt", "alpha.txt", &settings, None)
            .await
            .unwrap();
        selection::rename(&s3, &b, "docs/", "papers/", &settings, None)
            .await
            .unwrap();
        assert_eq!(
            all(&s3, &b).await,
            with_marker(&["alpha.txt", "b.txt", "c.txt", "papers/x.txt"]),
            "{}",
            store.name()
        );

        let moved = selection::move_into(
            &s3,
            &b,
            &["alpha.txt".into(), "b.txt".into(), "papers/".into()],
            "Archive/",
            &settings,
            None,
        )
        .await
        .unwrap();
        assert_eq!((moved.done, moved.failed.len()), (3, 0), "{}", store.name());
        assert_eq!(
            all(&s3, &b).await,
            with_marker(&[
                "Archive/alpha.txt",
                "Archive/b.txt",
                "Archive/papers/x.txt",
                "c.txt"
            ]),
            "{}",
            store.name()
        );

        let gone = selection::delete(&s3, &b, &["Archive/".into(), "c.txt".into()], None)
            .await
            .unwrap();
        assert_eq!(
            (gone.done, gone.failed.len()),
            (4 + marker.len() as u64, 0),
            "{}",
            store.name()
        );
        assert!(all(&s3, &b).await.is_empty());
    }
}
