//! Rebuilds the crate when anything under `scaffold/` changes, including
//! added or removed files (which `include_dir!` alone does not notice).
fn main() {
    println!("cargo:rerun-if-changed=../../scaffold");
}
