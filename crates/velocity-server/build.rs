//! Release builds embed web/dist (the built web app), so they must be rebuilt when it changes;
//! debug builds read the files from disk at run time and need no rebuild.

fn main() {
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../../web/dist");
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
