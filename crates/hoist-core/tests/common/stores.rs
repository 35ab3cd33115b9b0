//! The two stores the object-management suites run against: the shared SeaweedFS
//! server and the embedded local store (started per test, with the same keys as the
//! environment's so the engine's default credentials work on both).

use aws_sdk_s3::Client;
use hoist_core::Target;
use hoist_localstore::{LocalStore, LocalStoreConfig};

pub struct TestStore {
    pub endpoint: String,
    pub local: bool,
    _local: Option<(LocalStore, tempfile::TempDir)>,
}

impl TestStore {
    pub async fn seaweed() -> TestStore {
        TestStore {
            endpoint: super::endpoint(),
            local: false,
            _local: None,
        }
    }

    pub async fn embedded() -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::start(LocalStoreConfig {
            data_dir: dir.path().to_path_buf(),
            access_key: std::env::var("AWS_ACCESS_KEY_ID").expect("AWS_ACCESS_KEY_ID"),
            secret_key: std::env::var("AWS_SECRET_ACCESS_KEY").expect("AWS_SECRET_ACCESS_KEY"),
            ..LocalStoreConfig::default()
        })
        .await
        .expect("the local store starts");
        TestStore {
            endpoint: store.endpoint(),
            local: true,
            _local: Some((store, dir)),
        }
    }

    pub fn name(&self) -> &'static str {
        if self.local {
            "local store"
        } else {
            "SeaweedFS"
        }
    }

    pub async fn s3(&self) -> Client {
        let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let conf = aws_sdk_s3::config::Builder::from(&base)
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .build();
        Client::from_conf(conf)
    }

    pub async fn bucket(&self, hint: &str) -> String {
        let name = super::unique_name(hint);
        self.s3()
            .await
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .expect("create bucket");
        name
    }

    pub fn target(&self, bucket: &str) -> Target {
        Target {
            endpoint: Some(self.endpoint.clone()),
            ..Target::new(bucket)
        }
    }
}
