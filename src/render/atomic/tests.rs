use super::*;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};

fn mode(p: &Path) -> u32 {
    fs::metadata(p).expect("stat").permissions().mode() & 0o7777
}

#[test]
fn a_replaced_file_keeps_its_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("out.log");
    fs::write(&p, "old").expect("write");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o664)).expect("chmod");
    let mut out = OutFile::create(&Destination::of(&p).expect("dest")).expect("create");
    out.write_all(b"new").expect("write");
    assert_eq!(fs::read(&p).expect("read"), b"old", "changed before commit");
    out.commit().expect("commit");
    assert_eq!(fs::read(&p).expect("read"), b"new");
    assert_eq!(mode(&p), 0o664);
}

#[test]
fn a_symlink_is_followed_and_stays_a_symlink() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.log");
    let link = dir.path().join("link.log");
    fs::write(&real, "old").expect("write");
    std::os::unix::fs::symlink("real.log", &link).expect("symlink");
    let dest = Destination::of(&link).expect("dest");
    assert_eq!(dest.path(), fs::canonicalize(&real).expect("canon"));
    let mut out = OutFile::create(&dest).expect("create");
    out.write_all(b"new").expect("write");
    out.commit().expect("commit");
    assert!(
        fs::symlink_metadata(&link)
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&real).expect("read"), b"new");
    // A link to nothing is refused, and stays.
    let dangling = dir.path().join("dangling.log");
    std::os::unix::fs::symlink("missing.log", &dangling).expect("symlink");
    let e = Destination::of(&dangling).expect_err("dangling");
    assert!(e.to_string().contains("symbolic link"), "{e}");
}

#[test]
fn a_fifo_is_written_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("cstr");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let dest = Destination::of(&fifo).expect("dest");
    assert!(matches!(dest, Destination::InPlace { .. }));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).expect("read fifo"))
    };
    let mut out = OutFile::create(&dest).expect("open");
    out.write_all(b"text\n").expect("write");
    assert_eq!(out.written(), 5);
    out.commit().expect("commit");
    assert_eq!(reader.join().expect("reader"), b"text\n");
    assert!(
        fs::symlink_metadata(&fifo)
            .expect("lstat")
            .file_type()
            .is_fifo()
    );
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = Destination::of(dir.path()).expect_err("dir");
    assert!(e.to_string().contains("is a directory"), "{e}");
}
