//! An in-memory S3 bucket for fast unit tests of scheduling, retry and progress. It
//! keeps multipart uploads, checks part checksums and Complete's part list like a
//! strict store (AWS, Garage), computes the composite CRC32C on Complete, and can be
//! told to fail the next calls of a kind.
//! Every behaviour tested here is also proven against SeaweedFS in `tests/`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;

use super::body::PartData;
use super::checksum;
use super::multipart::{
    BodyChecksum, KeyPage, ListedPart, Multipart, ObjectInfo, PartRecord, UploadStore,
};
use super::target::ChecksumMode;
use crate::error::{HoistError, Result};

/// Which call a planned failure hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Call {
    Create,
    UploadPart,
    Complete,
    Put,
    Head,
    List,
}

/// Keys per listing page: small, so tests reach a listing's later pages.
pub(crate) const MEMORY_PAGE: usize = 100;

#[derive(Default)]
pub(crate) struct MemoryStore {
    state: Mutex<State>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct State {
    objects: HashMap<String, StoredObject>,
    uploads: HashMap<String, Upload>,
    /// Failures still to inject, per call.
    failures: HashMap<Call, Vec<HoistError>>,
    /// Calls made, per kind (including failed ones).
    calls: HashMap<Call, u64>,
    /// Keys in the order their first part or single PUT arrived.
    started: Vec<String>,
}

struct Upload {
    key: String,
    crc32c: bool,
    initiated_ms: i64,
    parts: BTreeMap<u32, (Bytes, String)>,
}

#[derive(Clone)]
pub(crate) struct StoredObject {
    pub data: Bytes,
    pub etag: String,
    pub crc32c: Option<String>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// The next calls of `call` fail with these errors, in order.
    pub fn fail_next(&self, call: Call, errors: Vec<HoistError>) {
        self.lock().failures.entry(call).or_default().extend(errors);
    }

    pub fn object(&self, key: &str) -> Option<StoredObject> {
        self.lock().objects.get(key).cloned()
    }

    pub fn calls(&self, call: Call) -> u64 {
        self.lock().calls.get(&call).copied().unwrap_or(0)
    }

    pub fn open_uploads(&self) -> usize {
        self.lock().uploads.len()
    }

    /// Stores an object as if it had been uploaded before (no call is counted).
    pub fn insert(&self, key: &str, data: &[u8]) {
        let crc = checksum::encode(checksum::crc32c(data));
        let object = StoredObject {
            data: Bytes::copy_from_slice(data),
            etag: format!("\"{crc}\""),
            crc32c: Some(crc),
        };
        self.lock().objects.insert(key.to_owned(), object);
    }

    /// Keys in the order the store first received bytes for them.
    pub fn started_order(&self) -> Vec<String> {
        self.lock().started.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts the call and returns the failure planned for it, if any.
    fn enter(&self, call: Call) -> Result<()> {
        let mut s = self.lock();
        *s.calls.entry(call).or_default() += 1;
        match s.failures.get_mut(&call) {
            Some(list) if !list.is_empty() => Err(list.remove(0)),
            _ => Ok(()),
        }
    }
}

fn check_body(body: &[u8], sum: &BodyChecksum) -> Result<()> {
    let ok = match sum {
        BodyChecksum::Crc32c(c) => checksum::crc32c(body) == *c,
        BodyChecksum::Md5(m) => checksum::md5_base64(body) == *m,
        // The trailer is the CRC32C of what streamed, and an echo is compared by the
        // sender: both match by construction.
        BodyChecksum::Trailing | BodyChecksum::Echoed => true,
    };
    if ok {
        Ok(())
    } else {
        Err(HoistError::Integrity(
            "the store received different bytes than were sent (BadDigest)".into(),
        ))
    }
}

/// A permanent refusal, as `S3Store` reports the store's 400.
fn refused(code: &str, message: String) -> HoistError {
    HoistError::Rejected {
        status: 400,
        code: code.into(),
        message,
    }
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

fn note_start(s: &mut State, key: &str) {
    if !s.started.iter().any(|k| k == key) {
        s.started.push(key.to_owned());
    }
}

#[async_trait]
impl Multipart for MemoryStore {
    async fn create_multipart(
        &self,
        key: &str,
        _options: &super::ObjectOptions,
        mode: ChecksumMode,
    ) -> Result<String> {
        self.enter(Call::Create)?;
        let crc32c = mode == ChecksumMode::Crc32c;
        let id = format!("mp-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        self.lock().uploads.insert(
            id.clone(),
            Upload {
                key: key.to_owned(),
                crc32c,
                initiated_ms: crate::journal::now_ms(),
                parts: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: PartData,
        sum: &BodyChecksum,
    ) -> Result<String> {
        self.enter(Call::UploadPart)?;
        let body = body.collect().await?;
        check_body(&body, sum)?;
        let etag = format!("\"{}\"", md5_hex(&body));
        let mut s = self.lock();
        note_start(&mut s, key);
        let up = s
            .uploads
            .get_mut(upload_id)
            .filter(|u| u.key == key)
            .ok_or(HoistError::NoSuchUpload)?;
        if up.crc32c && matches!(sum, BodyChecksum::Md5(_)) {
            return Err(refused(
                "InvalidRequest",
                "Checksum Type mismatch occurred, expected checksum Type: crc32c, actual checksum Type: null".into(),
            ));
        }
        up.parts.insert(number, (body, etag.clone()));
        Ok(etag)
    }

    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<ListedPart>> {
        let s = self.lock();
        let up = s
            .uploads
            .get(upload_id)
            .filter(|u| u.key == key)
            .ok_or(HoistError::NoSuchUpload)?;
        Ok(up
            .parts
            .iter()
            .map(|(n, (data, etag))| ListedPart {
                number: *n,
                size: data.len() as u64,
                etag: etag.clone(),
                crc32c: up.crc32c.then(|| checksum::crc32c(data)),
            })
            .collect())
    }

    async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartRecord],
        mode: ChecksumMode,
    ) -> Result<Option<String>> {
        self.enter(Call::Complete)?;
        let mut s = self.lock();
        let up = s
            .uploads
            .get(upload_id)
            .filter(|u| u.key == key)
            .ok_or(HoistError::NoSuchUpload)?;
        let mut data = Vec::new();
        let mut crcs = Vec::new();
        let mut md5s = Vec::new();
        for p in parts {
            let Some((bytes, etag)) = up.parts.get(&p.number) else {
                return Err(HoistError::Rejected {
                    status: 400,
                    code: "InvalidPart".into(),
                    message: format!("part {} was never uploaded", p.number),
                });
            };
            if *etag != p.etag {
                return Err(HoistError::Rejected {
                    status: 400,
                    code: "InvalidPart".into(),
                    message: format!("part {} has another ETag", p.number),
                });
            }
            // What S3Store lists for the part, held to the upload's algorithm.
            let crc = checksum::crc32c(bytes);
            match (up.crc32c, p.listed_crc32c(mode)) {
                (false, Some(_)) => {
                    return Err(refused(
                        "InvalidDigest",
                        format!(
                            "Invalid checksum for part {}: in request = Some(Crc32c(..)), uploaded part = None",
                            p.number
                        ),
                    ));
                }
                (true, None) => {
                    return Err(refused(
                        "InvalidRequest",
                        format!(
                            "The upload was created using a crc32c checksum. It was missing for part {} in the request.",
                            p.number
                        ),
                    ));
                }
                (true, Some(listed)) if listed != crc => {
                    return Err(refused(
                        "InvalidPart",
                        format!("the CRC32C of part {} does not match", p.number),
                    ));
                }
                _ => {}
            }
            data.extend_from_slice(bytes);
            crcs.push(crc);
            md5s.push(checksum::md5_base64(bytes));
        }
        let etag = format!(
            "\"{}\"",
            checksum::multipart_etag(&md5s).expect("base64 MD5s")
        );
        let crc32c = up.crc32c.then(|| checksum::composite(&crcs));
        s.uploads.remove(upload_id);
        s.objects.insert(
            key.to_owned(),
            StoredObject {
                data: Bytes::from(data),
                etag: etag.clone(),
                crc32c,
            },
        );
        Ok(Some(etag))
    }

    async fn abort(&self, _key: &str, upload_id: &str) -> Result<()> {
        self.lock().uploads.remove(upload_id);
        Ok(())
    }

    async fn uploads_of(&self, key: &str) -> Result<Vec<super::store::PendingMultipart>> {
        Ok(self
            .lock()
            .uploads
            .iter()
            .filter(|(_, u)| u.key == key)
            .map(|(id, u)| super::store::PendingMultipart {
                key: key.to_owned(),
                upload_id: id.clone(),
                initiated_ms: Some(u.initiated_ms),
            })
            .collect())
    }
}

#[async_trait]
impl UploadStore for MemoryStore {
    async fn check_bucket(&self) -> Result<()> {
        Ok(())
    }

    async fn put_object(
        &self,
        key: &str,
        body: PartData,
        sum: &BodyChecksum,
        _options: &super::ObjectOptions,
    ) -> Result<(Option<String>, Option<String>)> {
        self.enter(Call::Put)?;
        let body = body.collect().await?;
        check_body(&body, sum)?;
        let etag = format!("\"{}\"", md5_hex(&body));
        let crc = checksum::encode(checksum::crc32c(&body));
        let mut s = self.lock();
        note_start(&mut s, key);
        s.objects.insert(
            key.to_owned(),
            StoredObject {
                data: body,
                etag: etag.clone(),
                crc32c: Some(crc.clone()),
            },
        );
        Ok((Some(etag), Some(crc)))
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>> {
        self.enter(Call::Head)?;
        Ok(self.lock().objects.get(key).map(|o| ObjectInfo {
            size: o.data.len() as u64,
            etag: Some(o.etag.clone()),
            crc32c: o.crc32c.clone(),
            content_type: None,
        }))
    }

    /// Pages of [`MEMORY_PAGE`] keys in byte order, as S3 lists; `next` is the last key.
    async fn list_page(&self, prefix: &str, next: Option<String>) -> Result<KeyPage> {
        self.enter(Call::List)?;
        let s = self.lock();
        let mut keys: Vec<&String> = s
            .objects
            .keys()
            .filter(|k| k.starts_with(prefix) && next.as_ref().is_none_or(|n| *k > n))
            .collect();
        keys.sort_unstable();
        let more = keys.len() > MEMORY_PAGE;
        keys.truncate(MEMORY_PAGE);
        Ok(KeyPage {
            next: more.then(|| keys.last().map(|k| (*k).clone())).flatten(),
            keys: keys.into_iter().cloned().collect(),
        })
    }
}
