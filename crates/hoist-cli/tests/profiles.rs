//! `hoist profile` against real parts: the Secret Service started by
//! `scripts/with-keyring.sh`, and the SeaweedFS test store.

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use std::io::Write;

const SECRET_VAR: &str = "AWS_SECRET_ACCESS_KEY";

struct Home {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Home {
    fn new() -> Home {
        let (dir, root) = tmp();
        Home { _dir: dir, root }
    }

    fn config(&self) -> PathBuf {
        self.root.join("config")
    }

    fn journal(&self) -> PathBuf {
        self.root.join("data").join("journal.sqlite")
    }

    /// `hoist` with no AWS credentials in its environment: only the keyring has them.
    fn hoist(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
            .arg("--journal")
            .arg(self.journal())
            .args(args)
            .env("HOIST_CONFIG_DIR", self.config())
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove(SECRET_VAR)
            .env_remove("AWS_ENDPOINT_URL")
            .env("AWS_SHARED_CREDENTIALS_FILE", self.root.join("none"))
            .env("AWS_CONFIG_FILE", self.root.join("none"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    walk(dir)
        .into_iter()
        .filter(|p| {
            std::fs::read(p)
                .map(|b| b.windows(needle.len()).any(|w| w == needle))
                .unwrap_or(false)
        })
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn keyring_lookup(name: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "dev.hoist", "username", name])
        .output()
        .expect("secret-tool runs");
    (out.status.success() && !out.stdout.is_empty())
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn a_keyring_profile_uploads_and_its_secret_is_nowhere_else() {
    let home = Home::new();
    let secret = std::env::var(SECRET_VAR).unwrap();
    let key_id = std::env::var("AWS_ACCESS_KEY_ID").unwrap();
    let bucket = bucket("cliprof").await;
    let name = format!("cli-{}", std::process::id());
    let ep = endpoint();
    let mut outputs = String::new();

    let add = home.hoist(
        &[
            "profile",
            "add",
            &name,
            "--access-key-id",
            &key_id,
            "--endpoint",
            &ep,
            "--bucket",
            &bucket,
            "--prefix",
            "kr",
        ],
        &format!("{secret}\n"),
    );
    outputs += &text(&add);
    assert!(add.status.success(), "{}", text(&add));
    assert!(
        keyring_lookup(&name).is_some_and(|s| s.contains(&secret)),
        "secret-tool sees the secret in the keyring"
    );

    let test = home.hoist(&["profile", "test", &name], "");
    outputs += &text(&test);
    assert!(test.status.success(), "{}", text(&test));
    assert!(text(&test).contains("OK"), "{}", text(&test));

    let used = home.hoist(&["profile", "use", &name], "");
    assert!(used.status.success(), "{}", text(&used));
    let list = home.hoist(&["--json", "profile", "list"], "");
    outputs += &text(&list);
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(v["active"], name.as_str());
    assert_eq!(v["profiles"][0]["secret_stored"], true);

    // The default profile carries endpoint, bucket, prefix and the keyring secret.
    let file = home.root.join("photo.jpg");
    let data = write_random(&file, 300_000, 7);
    let up = home.hoist(&["--json", "upload", file.to_str().unwrap()], "");
    outputs += &text(&up);
    assert!(up.status.success(), "{}", text(&up));
    assert_eq!(object(&bucket, "kr/photo.jpg").await.unwrap(), data);

    // Secret hygiene: not in the config dir, the data dir, the journal or any output.
    let hits = files_containing(&home.root, secret.as_bytes());
    assert!(hits.is_empty(), "secret found in {hits:?}");
    assert!(!outputs.contains(&secret), "secret printed: {outputs}");

    let rm = home.hoist(&["profile", "remove", &name], "");
    assert!(rm.status.success(), "{}", text(&rm));
    assert_eq!(
        keyring_lookup(&name),
        None,
        "the keyring entry left with the profile"
    );
}

#[test]
fn without_a_keyring_secrets_are_refused_not_written() {
    let home = Home::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    let out = cmd
        .args(["profile", "add", "nokr", "--access-key-id", "AKID"])
        .env("HOIST_CONFIG_DIR", home.config())
        // No Secret Service reachable: a D-Bus address where nothing listens.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", home.root.join("no-bus").display()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"plaintext-secret\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("keyring") && said.contains("plain text"),
        "{said}"
    );
    assert!(
        files_containing(&home.root, b"plaintext-secret").is_empty(),
        "nothing written in plain text"
    );
    assert!(!home.config().join("profiles.json").exists());
}
