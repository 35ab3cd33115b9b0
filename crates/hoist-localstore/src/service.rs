//! The S3 API of the local store: s3s-fs for buckets and objects, Hoist's own
//! multipart handling (ListParts with ETags, sorted and paged; ListMultipartUploads;
//! parts and Complete held to S3's checksum rules, see `complete`).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use s3s::dto::*;
use s3s::{S3, S3Error, S3Request, S3Response, S3Result, s3_error};
use tokio::io::AsyncWriteExt;

use crate::checksums::{self, Algorithm, Sums, set_sums, sums_of};
use crate::multipart::{self, PartChecks, PartError, PartMeta, UploadMeta, Uploads};

const MAX_PAGE: i32 = 1000;

pub struct LocalS3 {
    fs: s3s_fs::FileSystem,
    objects: PathBuf,
    uploads: Uploads,
}

impl LocalS3 {
    /// `objects` holds buckets (one folder each) as s3s-fs lays them out; `multipart`
    /// holds uploads in progress.
    pub fn new(objects: PathBuf, multipart: PathBuf) -> std::io::Result<LocalS3> {
        std::fs::create_dir_all(&objects)?;
        let fs = s3s_fs::FileSystem::new(&objects)
            .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let objects = objects.canonicalize()?;
        Ok(LocalS3 {
            fs,
            objects,
            uploads: Uploads::open(multipart)?,
        })
    }

    fn bucket_dir(&self, bucket: &str) -> S3Result<PathBuf> {
        let dir = self.objects.join(safe_relative(bucket)?);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(s3_error!(NoSuchBucket))
        }
    }

    /// The upload, checked to belong to this bucket and key.
    async fn upload(&self, upload_id: &str, bucket: &str, key: &str) -> S3Result<UploadMeta> {
        let meta = self.uploads.meta(upload_id).await.map_err(part_error)?;
        if meta.bucket != bucket || meta.key != key {
            return Err(s3_error!(NoSuchUpload));
        }
        Ok(meta)
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
        multipart::write_atomic(&name("metadata.json"), &serde_json::to_vec(&attrs)?).await
    }

    async fn assemble(
        &self,
        upload_id: &str,
        parts: &[&PartMeta],
        dest: &Path,
    ) -> std::io::Result<()> {
        // s3s-fs deletes `.tmp.*.internal.part` files at start: a crash leaves no litter.
        let tmp = self.objects.join(format!(
            ".tmp.hoist-{:016x}.internal.part",
            fastrand::u64(..)
        ));
        let result = async {
            let mut out = tokio::io::BufWriter::new(tokio::fs::File::create(&tmp).await?);
            for p in parts {
                let path = self
                    .uploads
                    .part_path(upload_id, p.number)
                    .ok_or_else(|| std::io::Error::other("bad upload id"))?;
                let mut f = tokio::fs::File::open(path).await?;
                tokio::io::copy(&mut f, &mut out).await?;
            }
            out.flush().await?;
            out.into_inner().sync_data().await?;
            if let Some(parent) = dest.parent() {
                tokio::fs::create_dir_all(parent).await?;
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

/// A bucket or key as a path below the root: no `..`, no absolute paths.
fn safe_relative(name: &str) -> S3Result<&Path> {
    let p = Path::new(name);
    if name.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(s3_error!(InvalidArgument, "unsupported bucket or key name"));
    }
    Ok(p)
}

fn part_error(e: PartError) -> S3Error {
    match e {
        PartError::NoSuchUpload => s3_error!(NoSuchUpload),
        PartError::BadDigest(m) => s3_error!(BadDigest, "{m}"),
        PartError::InvalidRequest(m) => s3_error!(InvalidRequest, "{m}"),
        PartError::Body(m) => s3_error!(IncompleteBody, "{m}"),
        PartError::Io(e) => io_error(e),
    }
}

fn io_error(e: std::io::Error) -> S3Error {
    tracing::error!("local store I/O: {e}");
    s3_error!(InternalError, "local store I/O error: {e}")
}

fn timestamp(ms: u64) -> Timestamp {
    Timestamp::from(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
}

fn page_size(requested: Option<i32>) -> usize {
    requested
        .filter(|n| *n > 0)
        .map_or(MAX_PAGE, |n| n.min(MAX_PAGE)) as usize
}

#[async_trait::async_trait]
impl S3 for LocalS3 {
    // Buckets and objects: s3s-fs as it is.
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.fs.create_bucket(req).await
    }
    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.fs.delete_bucket(req).await
    }
    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.fs.get_bucket_location(req).await
    }
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.fs.put_object(req).await
    }
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.fs.get_object(req).await
    }
    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.fs.head_object(req).await
    }
    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.fs.copy_object(req).await
    }
    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.fs.delete_object(req).await
    }
    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.fs.delete_objects(req).await
    }
    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.fs.list_objects(req).await
    }
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.fs.list_objects_v2(req).await
    }

    // Multipart uploads: Hoist's own.
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        self.bucket_dir(&input.bucket)?;
        safe_relative(&input.key)?;
        let algorithm = match &input.checksum_algorithm {
            None => None,
            Some(a) => Some(Algorithm::parse(a.as_str()).ok_or_else(|| {
                s3_error!(
                    InvalidRequest,
                    "Checksum algorithm {} is not supported",
                    a.as_str()
                )
            })?),
        };
        let meta = UploadMeta {
            bucket: input.bucket.clone(),
            key: input.key.clone(),
            initiated_ms: multipart::now_ms(),
            content_type: input.content_type.clone(),
            user_metadata: input.metadata.clone().map(|m| m.into_iter().collect()),
            crc32c: false,
            checksum_algorithm: algorithm,
        };
        let id = self.uploads.create(&meta).await.map_err(io_error)?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(id),
            checksum_algorithm: input.checksum_algorithm,
            ..Default::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let mut input = req.input;
        if !(1..=10_000).contains(&input.part_number) {
            return Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ));
        }
        let meta = self
            .upload(&input.upload_id, &input.bucket, &input.key)
            .await?;
        let body = input.body.take().ok_or_else(|| s3_error!(IncompleteBody))?;
        let in_headers = sums_of!(input);
        // A streamed (aws-chunked) body names its checksum up front and sends the
        // value in a trailer, after the bytes.
        let announced = input
            .checksum_algorithm
            .iter()
            .map(|a| a.as_str().to_owned())
            .chain(
                req.headers
                    .get("x-amz-trailer")
                    .and_then(|v| v.to_str().ok())
                    .map(|t| t.trim().trim_start_matches("x-amz-checksum-").to_owned()),
            )
            .filter_map(|name| Algorithm::parse(&name));
        let compute = in_headers.keys().copied().chain(announced).collect();
        let trailers = req.trailing_headers;
        let sent = move || {
            let mut sent = in_headers;
            if let Some(map) = trailers.and_then(|t| t.take()) {
                for a in Algorithm::ALL {
                    if let Some(v) = map.get(a.header()).and_then(|v| v.to_str().ok()) {
                        sent.insert(a, v.to_owned());
                    }
                }
            }
            sent
        };
        let part = self
            .uploads
            .put_part(
                &input.upload_id,
                input.part_number,
                body,
                PartChecks {
                    content_md5: input.content_md5.clone(),
                    compute,
                    required: meta.algorithm(),
                    sent,
                },
            )
            .await
            .map_err(part_error)?;
        let mut out = UploadPartOutput {
            e_tag: Some(ETag::Strong(part.etag)),
            ..Default::default()
        };
        set_sums!(out, &part.checksums);
        Ok(S3Response::new(out))
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        let meta = self
            .upload(&input.upload_id, &input.bucket, &input.key)
            .await?;
        let all = self
            .uploads
            .parts(&input.upload_id)
            .await
            .map_err(part_error)?;
        let marker = input.part_number_marker.unwrap_or(0);
        let max = page_size(input.max_parts);
        let after: Vec<&PartMeta> = all.iter().filter(|p| p.number > marker).collect();
        let truncated = after.len() > max;
        let page: Vec<Part> = after
            .into_iter()
            .take(max)
            .map(|p| {
                let mut part = Part {
                    part_number: Some(p.number),
                    size: Some(p.size as i64),
                    e_tag: Some(ETag::Strong(p.etag.clone())),
                    last_modified: Some(timestamp(p.modified_ms)),
                    ..Default::default()
                };
                // As S3: the checksum of the upload's algorithm, if it has one.
                let listed: Sums = meta
                    .algorithm()
                    .and_then(|a| p.sum(a).map(|v| (a, v.to_owned())))
                    .into_iter()
                    .collect();
                set_sums!(part, &listed);
                part
            })
            .collect();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: page.last().and_then(|p| p.part_number),
            max_parts: Some(max as i32),
            is_truncated: Some(truncated),
            parts: Some(page),
            ..Default::default()
        }))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        self.bucket_dir(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let all: Vec<(String, UploadMeta)> = self
            .uploads
            .list()
            .await
            .map_err(io_error)?
            .into_iter()
            .filter(|(_, m)| m.bucket == input.bucket && m.key.starts_with(&prefix))
            .collect();
        let start = match (&input.key_marker, &input.upload_id_marker) {
            (Some(k), Some(u)) => all
                .iter()
                .position(|(id, m)| &m.key == k && id == u)
                .map_or_else(|| all.partition_point(|(_, m)| &m.key <= k), |i| i + 1),
            (Some(k), None) => all.partition_point(|(_, m)| &m.key <= k),
            _ => 0,
        };
        let max = page_size(input.max_uploads);
        let rest = &all[start.min(all.len())..];
        let page = &rest[..rest.len().min(max)];
        let truncated = rest.len() > page.len();
        let uploads = page
            .iter()
            .map(|(id, m)| MultipartUpload {
                key: Some(m.key.clone()),
                upload_id: Some(id.clone()),
                initiated: Some(timestamp(m.initiated_ms)),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            next_key_marker: page.last().map(|(_, m)| m.key.clone()),
            next_upload_id_marker: page.last().map(|(id, _)| id.clone()),
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            uploads: Some(uploads),
            ..Default::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let meta = self
            .upload(&input.upload_id, &input.bucket, &input.key)
            .await?;
        let dest = self
            .bucket_dir(&input.bucket)?
            .join(safe_relative(&input.key)?);
        let listed = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default();
        let stored: HashMap<i32, PartMeta> = self
            .uploads
            .parts(&input.upload_id)
            .await
            .map_err(part_error)?
            .into_iter()
            .map(|p| (p.number, p))
            .collect();
        let parts = crate::complete::check(&meta, &listed, &stored)?;
        self.assemble(&input.upload_id, &parts, &dest)
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
        match self.uploads.remove(&input.upload_id).await {
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
        Ok(S3Response::new(out))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        self.upload(&input.upload_id, &input.bucket, &input.key)
            .await?;
        self.uploads
            .remove(&input.upload_id)
            .await
            .map_err(part_error)?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
}
