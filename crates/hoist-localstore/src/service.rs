//! The S3 API of the local store: s3s-fs for buckets and objects, Hoist's own
//! multipart handling (ListParts with ETags, sorted and paged; ListMultipartUploads;
//! parts and Complete held to S3's checksum rules, see `complete` and `completion`).
//! Every key is checked to stay inside its bucket before s3s-fs sees it (`keys`), and
//! what s3s-fs writes is made private to the owner (`private`).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3, S3Error, S3Request, S3Response, S3Result, s3_error};

use crate::checksums::{Algorithm, Sums, set_sums, sums_of};
use crate::keys::{self, check_key, check_prefix};
use crate::multipart::{self, PartChecks, PartError, PartMeta, UploadMeta, Uploads};
use crate::private;

const MAX_PAGE: i32 = 1000;

pub struct LocalS3 {
    fs: s3s_fs::FileSystem,
    pub(crate) objects: PathBuf,
    pub(crate) uploads: Arc<Uploads>,
}

impl LocalS3 {
    /// `objects` holds buckets (one folder each) as s3s-fs lays them out; `multipart`
    /// holds uploads in progress.
    pub fn new(objects: PathBuf, multipart: PathBuf) -> std::io::Result<LocalS3> {
        private::ensure_dir(&objects)?;
        let fs = s3s_fs::FileSystem::new(&objects)
            .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let objects = objects.canonicalize()?;
        Ok(LocalS3 {
            fs,
            objects,
            uploads: Arc::new(Uploads::open(multipart)?),
        })
    }

    pub(crate) fn bucket_dir(&self, bucket: &str) -> S3Result<PathBuf> {
        let dir = self.objects.join(bucket_path(bucket)?);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(s3_error!(NoSuchBucket))
        }
    }

    /// The upload, checked to belong to this bucket and key.
    pub(crate) async fn upload(
        &self,
        upload_id: &str,
        bucket: &str,
        key: &str,
    ) -> S3Result<UploadMeta> {
        let meta = self.uploads.meta(upload_id).await.map_err(part_error)?;
        if meta.bucket != bucket || meta.key != key {
            return Err(s3_error!(NoSuchUpload));
        }
        Ok(meta)
    }
}

/// A bucket as a folder below the root: one plain name (s3s has checked it follows
/// S3's bucket naming rules; this holds whatever it lets through).
fn bucket_path(name: &str) -> S3Result<&Path> {
    let p = Path::new(name);
    let mut parts = p.components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) => Ok(p),
        _ => Err(s3_error!(
            InvalidBucketName,
            "unsupported bucket name {name:?}"
        )),
    }
}

/// Tags, server-side encryption and storage classes would be dropped silently by
/// s3s-fs (it keeps none of them, and has no GetObjectTagging): refuse them in words
/// instead. STANDARD is what every object here is.
fn refuse_unkept(
    tagging: Option<&str>,
    sse: Option<&ServerSideEncryption>,
    storage_class: Option<&StorageClass>,
) -> S3Result<()> {
    if let Some(class) = storage_class
        && class.as_str() != "STANDARD"
    {
        return Err(s3_error!(
            NotImplemented,
            "storage class {} is not supported by this store (Hoist's local store keeps every object as STANDARD)",
            class.as_str()
        ));
    }
    if tagging.is_some_and(|t| !t.is_empty()) {
        return Err(s3_error!(
            NotImplemented,
            "object tags are not supported by this store (Hoist's local store)"
        ));
    }
    if sse.is_some() {
        return Err(s3_error!(
            NotImplemented,
            "server-side encryption is not supported by this store (Hoist's local store keeps files unencrypted on this computer)"
        ));
    }
    Ok(())
}

/// The source of a CopyObject, checked like any key.
fn check_copy_source(source: &CopySource) -> S3Result<()> {
    match source {
        CopySource::Bucket { bucket, key, .. } => {
            bucket_path(bucket)?;
            check_key(key)
        }
        _ => Err(s3_error!(
            NotImplemented,
            "copy from access points or outposts"
        )),
    }
}

impl LocalS3 {
    /// After s3s-fs wrote an object: private to the owner (see `private`).
    fn made_private(&self, bucket: &str, key: &str) -> S3Result<()> {
        private::fix_object(&self.objects, bucket, key).map_err(io_error)
    }
}

pub(crate) fn part_error(e: PartError) -> S3Error {
    match e {
        PartError::NoSuchUpload => s3_error!(NoSuchUpload),
        PartError::BadDigest(m) => s3_error!(BadDigest, "{m}"),
        PartError::InvalidRequest(m) => s3_error!(InvalidRequest, "{m}"),
        PartError::Body(m) => s3_error!(IncompleteBody, "{m}"),
        PartError::Io(e) => io_error(e),
    }
}

pub(crate) fn io_error(e: std::io::Error) -> S3Error {
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
        let dir = self.objects.join(bucket_path(&req.input.bucket)?);
        let out = self.fs.create_bucket(req).await?;
        private::dir(&dir).map_err(io_error)?;
        Ok(out)
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
        bucket_path(&req.input.bucket)?;
        check_key(&req.input.key)?;
        // s3s-fs makes a "name/" marker a directory, which no listing shows: the
        // folder would be invisible. Say so instead.
        if req.input.key.ends_with('/') {
            return Err(s3_error!(
                NotImplemented,
                "empty folders are not supported by this store (Hoist's local store): upload a file into the folder instead"
            ));
        }
        refuse_unkept(
            req.input.tagging.as_deref(),
            req.input.server_side_encryption.as_ref(),
            req.input.storage_class.as_ref(),
        )?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.fs.put_object(req).await?;
        self.made_private(&bucket, &key)?;
        Ok(out)
    }
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        check_key(&req.input.key)?;
        self.fs.get_object(req).await
    }
    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        check_key(&req.input.key)?;
        self.fs.head_object(req).await
    }
    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        check_copy_source(&req.input.copy_source)?;
        bucket_path(&req.input.bucket)?;
        check_key(&req.input.key)?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.fs.copy_object(req).await?;
        self.made_private(&bucket, &key)?;
        Ok(out)
    }
    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        check_key(&req.input.key)?;
        self.fs.delete_object(req).await
    }
    /// Answers per key, as S3 does: a refused key is reported in `errors` and the
    /// others are deleted.
    async fn delete_objects(
        &self,
        mut req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let mut refused = Vec::new();
        req.input
            .delete
            .objects
            .retain(|o| match keys::refusal_message(&o.key) {
                Some(message) => {
                    refused.push(Error {
                        code: Some("InvalidArgument".into()),
                        key: Some(o.key.clone()),
                        message: Some(message),
                        version_id: o.version_id.clone(),
                    });
                    false
                }
                None => true,
            });
        let mut out = if req.input.delete.objects.is_empty() {
            S3Response::new(DeleteObjectsOutput::default())
        } else {
            self.fs.delete_objects(req).await?
        };
        if !refused.is_empty() {
            out.output
                .errors
                .get_or_insert_with(Vec::new)
                .extend(refused);
        }
        Ok(out)
    }
    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        check_prefix(req.input.prefix.as_deref())?;
        self.fs.list_objects(req).await
    }
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        check_prefix(req.input.prefix.as_deref())?;
        self.fs.list_objects_v2(req).await
    }

    // Multipart uploads: Hoist's own.
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        self.bucket_dir(&input.bucket)?;
        check_key(&input.key)?;
        refuse_unkept(
            input.tagging.as_deref(),
            input.server_side_encryption.as_ref(),
            input.storage_class.as_ref(),
        )?;
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
            cache_control: input.cache_control.clone(),
            content_disposition: input.content_disposition.clone(),
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
        check_key(&input.key)?;
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
        check_key(&input.key)?;
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
        check_prefix(input.prefix.as_deref())?;
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
        Ok(S3Response::new(self.complete(req.input).await?))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        check_key(&input.key)?;
        self.upload(&input.upload_id, &input.bucket, &input.key)
            .await?;
        self.uploads
            .remove(&input.upload_id)
            .await
            .map_err(part_error)?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
}
