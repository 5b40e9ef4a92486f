//! The web app's files (web/dist) are embedded in release builds and read from disk at run time
//! in debug ones. The folder is created if missing: rust-embed resolves its path when the crate
//! compiles, and a folder that appears later would otherwise never be served by a debug build.
//! Release builds are rebuilt whenever the folder changes.

fn main() {
    let dist = std::path::Path::new("../../web/dist");
    // Best effort: on a read-only checkout the app is simply absent (allow_missing).
    let _ = std::fs::create_dir_all(dist);
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../../web/dist");
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
