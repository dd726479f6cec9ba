#![no_main]
//! Any bytes as a tenants file and a monitors file (split at the first NUL): loading, compiling
//! and checking never panics, and every diagnostic points inside the file it names.

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use monc::load::LoadOptions;

fn project_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("monc-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let (tenants, monitors) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let dir = project_dir();
    let options = LoadOptions {
        project_file: dir.join("monc.hcl"),
        tenants: dir.join("tenants.hcl"),
        monitors: dir.join("monitors.hcl"),
        overlay: Default::default(),
    };
    std::fs::write(&options.tenants, tenants).expect("write");
    std::fs::write(&options.monitors, monitors).expect("write");
    let Ok(checked) = monc::check(&options) else {
        return; // not UTF-8: reported as an unreadable file, not a panic
    };
    for d in checked.diagnostics.iter() {
        let text = &checked.model.sources.file(d.span.file).text;
        assert!(d.span.range.start <= d.span.range.end && d.span.range.end <= text.len());
    }
});
