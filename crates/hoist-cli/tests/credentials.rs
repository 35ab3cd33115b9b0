//! Credentials that cannot be loaded fail at once, in words: a missing profile, a
//! missing keyring secret, an empty chain and an expired SSO session are never retried
//! as "cannot reach the store" and never show the SDK's Debug output. Run under
//! `scripts/with-keyring.sh` (the keyring case needs a real Secret Service).

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Within this a credential failure must have ended the command.
const FAST: Duration = Duration::from_secs(5);

struct Home {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Home {
    fn new() -> Home {
        let (dir, root) = tmp();
        Home { _dir: dir, root }
    }

    /// `hoist` with nothing in its environment that could give credentials: no AWS
    /// variables, no `~/.aws` (HOME is the temporary folder) and no instance metadata.
    fn hoist(&self, args: &[&str], stdin: &str) -> (Output, Duration) {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
            .arg("--journal")
            .arg(self.root.join("journal.sqlite"))
            .args(args)
            .env("HOME", &self.root)
            .env("HOIST_CONFIG_DIR", self.root.join("config"))
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE")
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
        // A command that retries forever is killed after a while, so the test fails
        // with what it printed instead of hanging.
        let pid = child.id();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(20));
            let _ = Command::new("kill").arg(pid.to_string()).status();
        });
        let out = child.wait_with_output().unwrap();
        drop(killer);
        (out, started.elapsed())
    }

    fn file(&self) -> PathBuf {
        let f = self.root.join("f.bin");
        write_random(&f, 10_000, 3);
        f
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The command failed quickly, said `words` (all of them), and showed no Debug output
/// and no retry.
fn fails_fast_in_words(out: &Output, took: Duration, words: &[&str]) {
    let said = text(out);
    assert!(!out.status.success(), "the upload must fail: {said}");
    assert!(took < FAST, "took {took:?}: {said}");
    for w in words {
        assert!(
            said.to_lowercase().contains(&w.to_lowercase()),
            "{w:?} not said: {said}"
        );
    }
    assert!(
        !said.contains("retry"),
        "a credential failure was retried: {said}"
    );
    assert!(!said.contains("cannot reach the store"), "{said}");
    for debug in ["Unknown", "} }", "Some(", "source:", "kind:"] {
        assert!(
            !said.contains(debug),
            "Debug output {debug:?} shown: {said}"
        );
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn a_missing_profile_fails_at_once_and_names_it() {
    let home = Home::new();
    let bucket = bucket("credtypo").await;
    let f = home.file();
    let ep = endpoint();
    let (out, took) = home.hoist(
        &[
            "upload",
            f.to_str().unwrap(),
            "--bucket",
            &bucket,
            "--endpoint",
            &ep,
            "--profile",
            "typo",
        ],
        "",
    );
    fails_fast_in_words(&out, took, &["typo", "profile"]);
}

#[tokio::test]
async fn an_empty_credentials_chain_fails_at_once_and_says_so() {
    let home = Home::new();
    let bucket = bucket("credempty").await;
    let f = home.file();
    let ep = endpoint();
    let (out, took) = home.hoist(
        &[
            "upload",
            f.to_str().unwrap(),
            "--bucket",
            &bucket,
            "--endpoint",
            &ep,
        ],
        "",
    );
    fails_fast_in_words(&out, took, &["no credentials"]);
}

#[tokio::test]
async fn an_expired_sso_session_fails_at_once_and_says_log_in() {
    let home = Home::new();
    let bucket = bucket("credsso").await;
    let f = home.file();
    let ep = endpoint();
    write(
        &home.root.join(".aws/config"),
        "[profile work]\nsso_session = corp\nsso_account_id = 123456789012\n\
         sso_role_name = Uploader\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
         sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
    );
    // The token `aws sso login` cached, expired last year and not refreshable.
    // The cache file is named after the SHA-1 of the session name ("corp").
    write(
        &home
            .root
            .join(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        r#"{"accessToken":"expired","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}"#,
    );
    let (out, took) = home.hoist(
        &[
            "upload",
            f.to_str().unwrap(),
            "--bucket",
            &bucket,
            "--endpoint",
            &ep,
            "--profile",
            "work",
        ],
        "",
    );
    fails_fast_in_words(&out, took, &["work", "expired", "aws sso login"]);
}

#[tokio::test]
async fn a_profile_whose_keyring_secret_is_gone_fails_at_once_and_says_set_it() {
    let home = Home::new();
    let bucket = bucket("credkr").await;
    let f = home.file();
    let ep = endpoint();
    let name = format!("gone-{}", std::process::id());
    let (add, _) = home.hoist(
        &[
            "profile",
            "add",
            &name,
            "--access-key-id",
            "hoisttestkey",
            "--endpoint",
            &ep,
            "--bucket",
            &bucket,
        ],
        "hoisttestsecret\n",
    );
    assert!(add.status.success(), "{}", text(&add));
    let cleared = Command::new("secret-tool")
        .args(["clear", "service", "dev.hoist", "username", &name])
        .status()
        .unwrap();
    assert!(cleared.success());
    let (out, took) = home.hoist(&["upload", f.to_str().unwrap(), "--profile", &name], "");
    fails_fast_in_words(&out, took, &[&name, "keyring", "secret"]);
}
