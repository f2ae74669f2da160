//! Archives among the inputs: zip, tar, tar.gz and gz, unpacked into memory
//! within a depth and a total size, their members named and ordered.

use super::*;

/// Adds the logs of an archive on disk; on any error (a bomb, nesting too
/// deep, a broken archive) none of them, and the error.
pub(super) fn add_archive(path: &Path, kind: Kind, max_unpacked: u64, ex: &mut Expanded) {
    let shown = path.display().to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.clone());
    if kind == Kind::Gz {
        // One log, unpacked as it is decoded.
        let inner = name.strip_suffix(".gz").unwrap_or(&name).to_string();
        ex.sources.push(Source::Gz {
            path: path.to_path_buf(),
            rel: PathBuf::from(inner),
        });
        return;
    }
    let budget = Budget::new(max_unpacked);
    let mut unpack = Unpack {
        archive: path.to_path_buf(),
        budget: &budget,
        spool: None,
        out: Vec::new(),
    };
    let top = PathBuf::from(archive_stem(&name));
    let r = File::open(path)
        .map_err(|e| io_message(&e))
        .and_then(|file| unpack.on_disk(file, kind, &shown, &top));
    match r.map_err(|e| budget.or(e)) {
        Ok(()) if unpack.out.is_empty() => ex.empty.push(ExpandError {
            arg: shown,
            message: "no .xlog or .mmap3 file in this archive".into(),
        }),
        Ok(()) => {
            let mut found = unpack.out;
            found.sort_by(|a, b| natural_cmp_path(Path::new(&a.shown()), Path::new(&b.shown())));
            ex.sources.append(&mut found);
        }
        Err(message) => ex.errors.push(ExpandError {
            arg: shown,
            message,
        }),
    }
}

/// The listing of one archive on disk, and the members it unpacks.
pub(super) struct Unpack<'b> {
    archive: PathBuf,
    budget: &'b Budget,
    /// The temporary file members are unpacked into, and its length.
    spool: Option<(Arc<File>, u64)>,
    out: Vec<Source>,
}

/// Where a container is: `shown` names it in messages, `rel` below
/// `--out-dir`; `depth` 1 for an archive on disk.
pub(super) struct Place<'a> {
    shown: &'a str,
    rel: &'a Path,
    depth: usize,
}

impl Unpack<'_> {
    /// The archive on disk: zip and plain tar members are read in place.
    fn on_disk(&mut self, file: File, kind: Kind, shown: &str, top: &Path) -> Result<(), String> {
        let here = Place {
            shown,
            rel: top,
            depth: 1,
        };
        match kind {
            Kind::Zip => {
                let mut z = zip::ZipArchive::new(BufReader::new(file))
                    .map_err(|e| format!("not a readable zip archive: {e}"))?;
                for (index, name, safe) in zip_names(&z, shown)? {
                    if is_log(Path::new(&name)) {
                        self.out.push(Source::Zip {
                            archive: self.archive.clone(),
                            name,
                            rel: top.join(&safe),
                        });
                    } else if name_kind(&name).is_some() {
                        let entry = z
                            .by_index(index)
                            .map_err(|e| format!("{shown}:{name}: cannot read: {e}"))?;
                        let what = format!("{shown}:{name}");
                        let mut r = self.budget.count(entry, what);
                        self.member(&mut r, &name, &safe, &here)?;
                    }
                }
                Ok(())
            }
            Kind::Tar => {
                let len = file.metadata().map_err(|e| e.to_string())?.len();
                let whole = Arc::new(file);
                let mut tar = tar::Archive::new(RangeReader {
                    file: Arc::clone(&whole),
                    pos: 0,
                    end: len,
                });
                let bad = |e: io::Error| format!("not a readable tar archive: {e}");
                for entry in tar.entries().map_err(bad)? {
                    let mut entry = entry.map_err(bad)?;
                    let Some((name, safe)) = tar_name(&entry, shown)? else {
                        continue;
                    };
                    if is_log(Path::new(&name)) {
                        self.out.push(Source::Part(Part {
                            whole: Arc::clone(&whole),
                            offset: entry.raw_file_position(),
                            len: entry.size(),
                            archive: self.archive.clone(),
                            shown: format!("{shown}:{name}"),
                            rel: top.join(&safe),
                        }));
                    } else {
                        self.member(&mut entry, &name, &safe, &here)?;
                    }
                }
                Ok(())
            }
            Kind::TarGz => {
                let gz = MultiGzDecoder::new(BufReader::new(file));
                let mut r = self.budget.count(gz, shown.to_string());
                self.tar(&mut r, &here)
            }
            Kind::Gz => Err("a single gzip file is not listed".into()),
        }
    }

    /// The members of a tar stream.
    fn tar(&mut self, r: &mut dyn Read, here: &Place<'_>) -> Result<(), String> {
        let mut tar = tar::Archive::new(r);
        let bad = |e: io::Error| format!("{}: not a readable tar archive: {e}", here.shown);
        for entry in tar.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            if let Some((name, safe)) = tar_name(&entry, here.shown)? {
                self.member(&mut entry, &name, &safe, here)?;
            }
        }
        Ok(())
    }

    /// One member of the container at `here`: a log is unpacked into the
    /// temporary file, an archive is descended, anything else is skipped.
    fn member(
        &mut self,
        r: &mut dyn Read,
        name: &str,
        safe: &Path,
        here: &Place<'_>,
    ) -> Result<(), String> {
        let shown = format!("{}:{name}", here.shown);
        let rel = here.rel.join(safe);
        if is_log(Path::new(name)) {
            return self.unpack_log(r, shown, rel);
        }
        let Some(kind) = name_kind(name) else {
            return Ok(());
        };
        if here.depth >= MAX_DEPTH {
            return Err(format!(
                "{shown}: archives nested more than {MAX_DEPTH} deep (a decompression bomb?): refused"
            ));
        }
        let base = rel.file_name().map(|n| n.to_string_lossy().into_owned());
        let stem_rel = rel.with_file_name(archive_stem(base.as_deref().unwrap_or(name)));
        let inner = Place {
            shown: &shown,
            rel: &stem_rel,
            depth: here.depth + 1,
        };
        match kind {
            Kind::Zip => {
                // The zip directory is at the end: the member goes to a
                // scratch file first (counted: it is unpacked).
                let mut scratch = tempfile::tempfile().map_err(|e| format!("{shown}: {e}"))?;
                io::copy(r, &mut scratch).map_err(|e| format!("{shown}: {e}"))?;
                scratch.rewind().map_err(|e| format!("{shown}: {e}"))?;
                let mut z = zip::ZipArchive::new(BufReader::new(scratch))
                    .map_err(|e| format!("{shown}: not a readable zip archive: {e}"))?;
                for (index, member, safe) in zip_names(&z, &shown)? {
                    if !is_log(Path::new(&member)) && name_kind(&member).is_none() {
                        continue;
                    }
                    let entry = z
                        .by_index(index)
                        .map_err(|e| format!("{shown}:{member}: cannot read: {e}"))?;
                    let mut r = self.budget.count(entry, format!("{shown}:{member}"));
                    self.member(&mut r, &member, &safe, &inner)?;
                }
                Ok(())
            }
            Kind::Tar => self.tar(r, &inner),
            Kind::TarGz => {
                let mut gz = self.budget.count(MultiGzDecoder::new(r), shown.clone());
                self.tar(&mut gz, &inner)
            }
            Kind::Gz => {
                // `NAME.xlog.gz`: the log inside.
                let inner_name = name.strip_suffix(".gz").unwrap_or(name);
                if !is_log(Path::new(inner_name)) {
                    return Ok(());
                }
                let mut gz = self.budget.count(MultiGzDecoder::new(r), shown.clone());
                let rel = rel.with_file_name(
                    Path::new(inner_name)
                        .file_name()
                        .unwrap_or(std::ffi::OsStr::new(inner_name)),
                );
                self.unpack_log(&mut gz, shown, rel)
            }
        }
    }

    /// Copies a log member into the temporary file.
    fn unpack_log(&mut self, r: &mut dyn Read, shown: String, rel: PathBuf) -> Result<(), String> {
        let fail = |e: io::Error| format!("{shown}: {e}");
        if self.spool.is_none() {
            let f = tempfile::tempfile().map_err(fail)?;
            self.spool = Some((Arc::new(f), 0));
        }
        let (whole, end) = self.spool.as_mut().expect("created above");
        let mut w = io::BufWriter::with_capacity(1 << 20, &**whole);
        let len = io::copy(r, &mut w).map_err(fail)?;
        w.flush().map_err(fail)?;
        drop(w);
        self.out.push(Source::Part(Part {
            whole: Arc::clone(whole),
            offset: *end,
            len,
            archive: self.archive.clone(),
            shown,
            rel,
        }));
        *end += len;
        Ok(())
    }
}

/// A zip's member names worth reading (no folders, no macOS litter), in
/// natural order, with their index and their path below `--out-dir`.
pub(super) fn zip_names<R: Read + Seek>(
    z: &zip::ZipArchive<R>,
    shown: &str,
) -> Result<Vec<(usize, String, PathBuf)>, String> {
    let mut names = Vec::new();
    for (index, name) in z.file_names().enumerate() {
        let name = name.map_err(|e| format!("bad member name in zip archive: {e}"))?;
        if name.ends_with('/') || is_apple_double(&name) {
            continue;
        }
        let Some(safe) = sanitise(&name) else {
            return Err(format!(
                "{shown}: member {name:?} would leave the output directory"
            ));
        };
        names.push((index, name.to_string(), safe));
    }
    // `file_names` is in central directory order; `by_index` wants the
    // archive's own index.
    let mut out = Vec::new();
    for (_, name, safe) in names {
        let index = z
            .index_for_name(&name)
            .ok_or_else(|| format!("{shown}: member {name:?} cannot be found again"))?;
        out.push((index, name, safe));
    }
    out.sort_by(|a, b| natural_cmp_path(Path::new(&a.1), Path::new(&b.1)));
    Ok(out)
}

/// A tar member's name and safe path, or None for what is not a regular
/// file (folders, links) or is macOS litter.
pub(super) fn tar_name<R: Read>(
    entry: &tar::Entry<'_, R>,
    shown: &str,
) -> Result<Option<(String, PathBuf)>, String> {
    if !entry.header().entry_type().is_file() {
        return Ok(None);
    }
    let path = entry
        .path()
        .map_err(|e| format!("{shown}: bad member name in tar archive: {e}"))?;
    let name = path.to_string_lossy().into_owned();
    if is_apple_double(&name) {
        return Ok(None);
    }
    match sanitise(&name) {
        Some(safe) => Ok(Some((name, safe))),
        None => Err(format!(
            "{shown}: member {name:?} would leave the output directory"
        )),
    }
}
