//! How WebKitGTK paints the page. It composites with OpenGL, and without a GPU it
//! can use (a VM, a remote desktop, a machine whose user may not open the GPU) that
//! is Mesa's software rasteriser: a queue of small files uploading in the debug app
//! under Xvfb kept WebKit at 85 % of a core and the app's main thread at a full one
//! painting, and uploaded 57-88 files/s; painted without compositing, 101-107 files/s
//! with WebKit at a third of a core (bench/app.sh, 2,000 x 64 B). So without a GPU
//! render node the page is painted without compositing.

use std::path::Path;

/// WebKitGTK's switch; someone who set it chose, and is left alone.
const SWITCH: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// What [`choose`] decided, for the log once logging is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Painting {
    /// WebKit composites (a GPU render node can be opened).
    Composited,
    /// No GPU to composite with: painted without compositing.
    Software,
    /// `WEBKIT_DISABLE_COMPOSITING_MODE` was set by the user.
    AsSet,
}

/// Decides before WebKit starts (the variable is read when the first webview is made).
/// Called first in `run` (the app's start, from `main`), while the process has one
/// thread: it sets a variable.
pub fn choose() -> Painting {
    if !cfg!(target_os = "linux") {
        return Painting::Composited; // WebKitGTK is the Linux webview
    }
    if std::env::var_os(SWITCH).is_some() {
        return Painting::AsSet;
    }
    let painting = decide(Path::new("/dev/dri"));
    if painting == Painting::Software {
        // SAFETY: called first in `run`, before any other thread exists.
        unsafe { std::env::set_var(SWITCH, "1") };
    }
    painting
}

/// Composited only where a DRM render node in `dri` opens for reading and writing
/// (what Mesa needs to draw on the GPU).
fn decide(dri: &Path) -> Painting {
    let Ok(entries) = std::fs::read_dir(dri) else {
        return Painting::Software;
    };
    let usable = entries.flatten().any(|e| {
        e.file_name().to_string_lossy().starts_with("renderD")
            && std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(e.path())
                .is_ok()
    });
    if usable {
        Painting::Composited
    } else {
        Painting::Software
    }
}

impl Painting {
    pub fn describe(self) -> &'static str {
        match self {
            Painting::Composited => "the page is composited on the GPU",
            Painting::Software => {
                "no GPU render node (/dev/dri/renderD*) can be opened: the page is painted without compositing"
            }
            Painting::AsSet => "WEBKIT_DISABLE_COMPOSITING_MODE is set: left as it is",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dri_folder_means_software_painting() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(decide(&dir.path().join("dri")), Painting::Software);
    }

    #[test]
    fn a_card_without_a_render_node_is_not_enough() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert_eq!(decide(dir.path()), Painting::Software);
    }

    #[test]
    fn a_render_node_that_opens_keeps_compositing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert_eq!(decide(dir.path()), Painting::Composited);
    }
}
