//! Release builds of libvisionxl.so carry the versioned SONAME `libvisionxl.so.0`, so programs
//! linked against it record that name and keep working across compatible (0.x ABI) upgrades; the
//! C tarball and `make install` add the libvisionxl.so.0 and libvisionxl.so symlinks. Debug
//! builds keep no SONAME: the C tests load target/debug/libvisionxl.so directly, without links.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let profile = std::env::var("PROFILE").unwrap_or_default();
    if target_os == "linux" && profile == "release" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvisionxl.so.0");
    }
}
