//! CompleteMultipartUpload: the client's part list checked against the stored parts
//! as S3 checks it (`completion`: order, ETags, checksums, sizes), then the parts assembled into
//! the object, all under the upload's lock so a part re-sent meanwhile cannot change
//! what is assembled.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use s3s::dto::*;
use s3s::{S3Result, s3_error};
use tokio::io::AsyncWriteExt;

use crate::checksums::{self, Algorithm, set_sums};
use crate::multipart::{self, Held, PartError, PartMeta, UploadMeta};
use crate::service::{LocalS3, io_error, part_error};
use crate::{keys, private};

impl LocalS3 {
    pub(crate) async fn complete(
        &self,
        input: CompleteMultipartUploadInput,
    ) -> S3Result<CompleteMultipartUploadOutput> {
        keys::check_key(&input.key)?;
        let meta = self
            .upload(&input.upload_id, &input.bucket, &input.key)
            .await?;
        let bucket_dir = self.bucket_dir(&input.bucket)?;
        let dest = bucket_dir.join(&input.key);
        let listed = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default();
        let held = self
            .uploads
            .hold(&input.upload_id)
            .await
            .map_err(part_error)?;
        let stored: HashMap<i32, PartMeta> = held
            .parts()
            .await
            .map_err(part_error)?
            .into_iter()
            .map(|p| (p.number, p))
            .collect();
        let parts = crate::completion::check(&meta, &listed, &stored)?;
        self.assemble(&held, &parts, &bucket_dir, &dest)
            .await
            .map_err(io_error)?;
        let etag =
            multipart::multipart_etag(&parts.iter().map(|p| p.etag.clone()).collect::<Vec<_>>())
                .ok_or_else(|| s3_error!(InternalError, "stored part ETag is not hex"))?;
        // `check` made sure every part has the upload's checksum.
        let checksum = meta.algorithm().and_then(|a| {
            let sums: Vec<&str> = parts.iter().filter_map(|p| p.sum(a)).collect();
            checksums::composite(a, &sums).map(|c| (a, c))
        });
        self.write_object_info(
            &meta,
            &etag,
            checksum.as_ref().map(|(a, c)| (*a, c.as_str())),
        )
        .await
        .map_err(io_error)?;
        match held.remove().await {
            Ok(()) | Err(PartError::NoSuchUpload) => {}
            Err(e) => return Err(part_error(e)),
        }
        let mut out = CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(ETag::Strong(etag)),
            ..Default::default()
        };
        set_sums!(out, &checksum.into_iter().collect());
        Ok(out)
    }

    /// s3s-fs keeps an object's ETag and checksums in a JSON file beside the tree;
    /// completed multipart objects get theirs written in the same format (s3s-fs is
    /// pinned to =0.14.1, and the tests read them back through HeadObject).
    async fn write_object_info(
        &self,
        meta: &UploadMeta,
        etag: &str,
        checksum: Option<(Algorithm, &str)>,
    ) -> std::io::Result<()> {
        let name = |suffix: &str| {
            self.objects.join(format!(
                ".bucket-{}.object-{}.{suffix}",
                URL_SAFE_NO_PAD.encode(&meta.bucket),
                URL_SAFE_NO_PAD.encode(&meta.key)
            ))
        };
        let mut info = serde_json::Map::new();
        info.insert("e_tag".into(), etag.into());
        if let Some((algorithm, value)) = checksum {
            info.insert(algorithm.info_key(), value.into());
        }
        multipart::write_atomic(&name("internal.json"), &serde_json::to_vec(&info)?).await?;
        let mut attrs = serde_json::Map::new();
        if let Some(ct) = &meta.content_type {
            attrs.insert("content_type".into(), ct.clone().into());
        }
        if let Some(m) = &meta.user_metadata {
            attrs.insert("user_metadata".into(), serde_json::to_value(m)?);
        }
        if let Some(v) = &meta.cache_control {
            attrs.insert("cache_control".into(), v.clone().into());
        }
        if let Some(v) = &meta.content_disposition {
            attrs.insert("content_disposition".into(), v.clone().into());
        }
        multipart::write_atomic(&name("metadata.json"), &serde_json::to_vec(&attrs)?).await
    }

    async fn assemble(
        &self,
        held: &Held<'_>,
        parts: &[&PartMeta],
        bucket_dir: &Path,
        dest: &Path,
    ) -> std::io::Result<()> {
        // s3s-fs deletes `.tmp.*.internal.part` files at start: a crash leaves no litter.
        let tmp = self.objects.join(format!(
            ".tmp.hoist-{:016x}.internal.part",
            fastrand::u64(..)
        ));
        let result = async {
            let mut out = tokio::io::BufWriter::new(private::create_file(&tmp).await?);
            for p in parts {
                let mut f = tokio::fs::File::open(held.part_path(p.number)).await?;
                tokio::io::copy(&mut f, &mut out).await?;
            }
            out.flush().await?;
            out.into_inner().sync_data().await?;
            if let Some(parent) = dest.parent() {
                private::create_dir_all(parent)?;
                // Folders s3s-fs made before (with the umask) on the way, too.
                let mut p = Some(parent);
                while let Some(d) = p.filter(|d| d.starts_with(bucket_dir)) {
                    private::dir(d)?;
                    p = d.parent();
                }
            }
            tokio::fs::rename(&tmp, dest).await
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }
}
