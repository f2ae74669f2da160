//! Builds the vendored libdeflate decompressor (vendor/libdeflate), made
//! as strict as zlib: see vendor/libdeflate/README.md. Its exported names
//! get an `xlogdec_` prefix, so that it never clashes with another copy of
//! libdeflate linked into the same program.

const EXPORTED: [&str; 14] = [
    "libdeflate_alloc_decompressor",
    "libdeflate_alloc_decompressor_ex",
    "libdeflate_deflate_decompress",
    "libdeflate_deflate_decompress_ex",
    "libdeflate_free_decompressor",
    "libdeflate_aligned_free",
    "libdeflate_aligned_malloc",
    "libdeflate_default_free_func",
    "libdeflate_default_malloc_func",
    "libdeflate_set_memory_allocator",
    "libdeflate_init_x86_cpu_features",
    "libdeflate_x86_cpu_features",
    "libdeflate_init_arm_cpu_features",
    "libdeflate_arm_cpu_features",
];

fn main() {
    println!("cargo:rerun-if-changed=vendor/libdeflate");
    let mut build = cc::Build::new();
    build
        .files([
            "vendor/libdeflate/lib/deflate_decompress.c",
            "vendor/libdeflate/lib/utils.c",
            "vendor/libdeflate/lib/x86/cpu_features.c",
            "vendor/libdeflate/lib/arm/cpu_features.c",
        ])
        .include("vendor/libdeflate")
        .warnings(false);
    // Our own crate builds unoptimised in the dev profile, its dependencies
    // at opt-level 3: so does this decompressor.
    if std::env::var("OPT_LEVEL").as_deref() == Ok("0") {
        build.opt_level(3);
    }
    for name in EXPORTED.iter().chain(&["libdeflate_assertion_failed"]) {
        build.define(name, Some(format!("xlogdec_{name}").as_str()));
    }
    build.compile("xlogdec_deflate");
}
