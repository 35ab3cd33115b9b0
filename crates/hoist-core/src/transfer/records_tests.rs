//! The queue tables' unit tests (and `sample`, a new upload other tests use).

use super::*;

pub(crate) fn sample(path: &str) -> NewUpload {
    NewUpload {
        path: PathBuf::from(path),
        identity: FileIdentity {
            size: 100,
            mtime_ns: 5,
            inode: 7,
        },
        target: Target::new("bucket"),
        key: "k".into(),
        content_type: "text/plain".into(),
        options: ObjectOptions::default(),
        priority: 0,
        conflict: ConflictPolicy::Overwrite,
        fetch: None,
    }
}

#[test]
fn retarget_moves_only_unfinished_uploads_on_that_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let j = UploadJournal::open(&dir.path().join("j.sqlite")).unwrap();
    let mut local = sample("/a");
    local.target.endpoint = Some("http://127.0.0.1:1000".into());
    let mut other = sample("/b");
    other.target.endpoint = Some("http://10.0.0.1:9000".into());
    let ids = j
        .insert_uploads(&[local.clone(), other, local], UploadState::Queued)
        .unwrap();
    j.set_state(ids[2], UploadState::Done, None).unwrap();
    let moved = j
        .retarget_uploads("http://127.0.0.1:1000", "http://127.0.0.1:2000")
        .unwrap();
    assert_eq!(moved, 1);
    let ep = |id| j.upload(id).unwrap().unwrap().target.endpoint.unwrap();
    assert_eq!(ep(ids[0]), "http://127.0.0.1:2000");
    assert_eq!(ep(ids[1]), "http://10.0.0.1:9000");
    assert_eq!(
        ep(ids[2]),
        "http://127.0.0.1:1000",
        "finished uploads keep their record"
    );
}

#[test]
fn parts_survive_reopen_and_reset_clears_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.sqlite");
    let id = {
        let j = UploadJournal::open(&db).unwrap();
        let id = j
            .insert_uploads(&[sample("/a")], UploadState::Queued)
            .unwrap()[0];
        j.begin_multipart(
            id,
            &FileIdentity {
                size: 100,
                mtime_ns: 5,
                inode: 7,
            },
            "mp-1",
            50,
        )
        .unwrap();
        j.record_part(
            id,
            &PartRecord {
                number: 1,
                size: 50,
                etag: "\"e1\"".into(),
                crc32c: Some(9),
                md5: None,
            },
        )
        .unwrap();
        assert!(!j.mark_attempt(id, 2, (50, 50)).unwrap());
        assert!(j.mark_attempt(id, 2, (50, 50)).unwrap());
        id
    };
    let j = UploadJournal::open(&db).unwrap();
    let row = j.upload(id).unwrap().unwrap();
    assert_eq!(row.multipart_id.as_deref(), Some("mp-1"));
    assert_eq!((row.parts_done, row.bytes_done), (1, 50));
    assert_eq!(j.parts(id).unwrap()[0].crc32c, Some(9));
    assert_eq!(j.part_cuts(id).unwrap(), Some(vec![(2, 50, 50)]));
    assert!(j.live_multipart_ids().unwrap().contains("mp-1"));
    j.reset_upload(
        id,
        &FileIdentity {
            size: 120,
            mtime_ns: 6,
            inode: 7,
        },
    )
    .unwrap();
    let row = j.upload(id).unwrap().unwrap();
    assert_eq!(
        (row.parts_done, row.identity.size, row.multipart_id),
        (0, 120, None)
    );
    assert!(
        !j.mark_attempt(id, 2, (50, 50)).unwrap(),
        "attempts are forgotten with the upload"
    );
    // An attempt journaled before parts could grow has no range: the part size says.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "INSERT INTO part_attempts (upload, number) VALUES (?1, 1)",
            [id],
        )
        .unwrap();
    assert_eq!(j.part_cuts(id).unwrap(), None);
}
