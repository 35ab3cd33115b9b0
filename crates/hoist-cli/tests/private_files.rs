//! The journal holds file paths and bearer links: under the usual umask (022) the
//! `hoist` command still keeps its data folder 0700 and the journal 0600, and fixes an
//! older install whose folder and journal were readable by everyone.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `hoist ARGS` with HOME in `home`, started through `sh` with `umask 022`.
fn hoist_under_umask_022(home: &Path, args: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask 022 && exec \"$HOIST\" {args}"))
        .env("HOIST", env!("CARGO_BIN_EXE_hoist"))
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env("HOIST_CONFIG_DIR", home.join("config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hoist {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_data_folder_and_journal_are_private_under_umask_022() {
    let home = tempfile::tempdir().unwrap();
    hoist_under_umask_022(home.path(), "history");
    let data = home.path().join(".local/share/hoist");
    let journal = data.join("journal.sqlite");
    assert!(journal.is_file(), "hoist history made the journal");
    assert_eq!(mode(&data), 0o700, "the data folder");
    assert_eq!(mode(&journal), 0o600, "the journal");
    for side in ["journal.sqlite-wal", "journal.sqlite-shm"] {
        let p = data.join(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }
}

#[test]
fn an_older_install_readable_by_everyone_is_fixed() {
    let home = tempfile::tempdir().unwrap();
    hoist_under_umask_022(home.path(), "history");
    let data = home.path().join(".local/share/hoist");
    let journal = data.join("journal.sqlite");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&journal, std::fs::Permissions::from_mode(0o644)).unwrap();
    hoist_under_umask_022(home.path(), "links");
    assert_eq!(mode(&data), 0o700, "the data folder");
    assert_eq!(mode(&journal), 0o600, "the journal");
}
