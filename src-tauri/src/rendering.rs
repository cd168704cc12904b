//! How the window's web view draws. WebKitGTK composites the page with OpenGL: fast with a GPU,
//! but without one (a virtual machine, a remote desktop, a headless display) Mesa emulates OpenGL
//! on the CPU, and compositing then costs more than drawing the page itself. Opening the
//! benchmark's million-call folder under Xvfb, the web process used 4.4 s of CPU in its first
//! 14 s with compositing and 1.5 s without. So on a computer with no GPU render node the web view
//! draws without compositing. `POSTCALL_COMPOSITING=on` (or `off`) decides instead, and so does
//! WebKit's own `WEBKIT_FORCE_COMPOSITING_MODE` / `WEBKIT_DISABLE_COMPOSITING_MODE`.

use std::path::Path;

const DISABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
const FORCE: &str = "WEBKIT_FORCE_COMPOSITING_MODE";
pub const ENV: &str = "POSTCALL_COMPOSITING";

/// Chooses before WebKit starts; call while the process has a single thread.
pub fn choose() {
    if std::env::var_os(DISABLE).is_some() || std::env::var_os(FORCE).is_some() {
        return;
    }
    let asked = std::env::var(ENV).unwrap_or_default();
    let off = match asked.trim() {
        "on" => false,
        "off" => true,
        _ => !has_render_node(Path::new("/dev/dri")),
    };
    if off {
        tracing::info!("the window draws without OpenGL compositing (no GPU render node, or {ENV}=off)");
        std::env::set_var(DISABLE, "1");
    }
}

/// Whether `dri` holds a DRM render node (`renderD128`…), which hardware OpenGL needs.
fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri)
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_render_node_counts_as_a_gpu() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!has_render_node(&dir.path().join("missing")), "no /dev/dri at all");
        std::fs::write(dir.path().join("card0"), b"").expect("card");
        assert!(!has_render_node(dir.path()), "a display card alone is not a render node");
        std::fs::write(dir.path().join("renderD128"), b"").expect("node");
        assert!(has_render_node(dir.path()));
    }
}
