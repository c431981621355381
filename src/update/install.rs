//! Installing the output directory atomically.
//!
//! The files are written into a temporary sibling directory
//! (`.NAME.new-PID`), each fsynced, then the directory itself. On Linux the
//! new directory and the installed one are swapped in one
//! `renameat2(RENAME_EXCHANGE)`, so `DIR` always names a complete directory;
//! elsewhere (or on a filesystem without it) `DIR` is renamed to `DIR.prev`
//! and the new one to `DIR`: a reader may then find no `DIR` for an instant,
//! never a half-written one. The previous directory is kept as `DIR.prev`.
//! An exclusive lock (`.NAME.lock` beside `DIR`) keeps two updates apart.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::Log;

/// Installs `files` (name, contents) as the directory `output`.
pub fn install(output: &Path, files: &[(&str, &[u8])], log: &Log) -> Result<()> {
    let name = output
        .file_name()
        .with_context(|| format!("output {} has no directory name", output.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    if output.exists() && !output.is_dir() {
        bail!("output {} exists and is not a directory", output.display());
    }
    let _lock = lock(&parent.join(format!(".{name}.lock")), output)?;

    // Leftovers of an interrupted run (we hold the lock: nobody else is
    // writing one now).
    let tmp_prefix = format!(".{name}.new-");
    if let Ok(rd) = fs::read_dir(&parent) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(&tmp_prefix) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }

    let tmp = parent.join(format!("{tmp_prefix}{}", std::process::id()));
    let result = write_dir(&tmp, files).and_then(|_| swap_in(&tmp, output, &parent));
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result?;

    let prev = prev_path(output);
    if let Ok(rd) = fs::read_dir(&prev) {
        let ours: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        let others: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !ours.contains(&n.as_str()))
            .collect();
        if !others.is_empty() {
            log.warn(format!(
                "{} is managed by `mirador rules update`; files it did not write are now only in {}: {}",
                output.display(),
                prev.display(),
                others.join(", ")
            ));
        }
    }
    log.info(format!("installed {}", output.display()));
    Ok(())
}

/// `DIR.prev`.
pub fn prev_path(output: &Path) -> PathBuf {
    let mut p = output.as_os_str().to_owned();
    p.push(".prev");
    PathBuf::from(p)
}

fn write_dir(dir: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, data) in files {
        let p = dir.join(name);
        let mut f = File::create(&p).with_context(|| format!("creating {}", p.display()))?;
        f.write_all(data).and_then(|_| f.sync_all()).with_context(|| format!("writing {}", p.display()))?;
    }
    set_mode(dir, 0o755)?;
    sync_dir(dir)
}

fn swap_in(tmp: &Path, output: &Path, parent: &Path) -> Result<()> {
    let prev = prev_path(output);
    if !output.exists() {
        fs::rename(tmp, output).with_context(|| format!("renaming {} to {}", tmp.display(), output.display()))?;
        return sync_dir(parent);
    }
    if exchange(tmp, output)? {
        // `tmp` now holds the previous rules.
        remove_if_exists(&prev)?;
        fs::rename(tmp, &prev).with_context(|| format!("renaming {} to {}", tmp.display(), prev.display()))?;
    } else {
        remove_if_exists(&prev)?;
        fs::rename(output, &prev).with_context(|| format!("renaming {} to {}", output.display(), prev.display()))?;
        fs::rename(tmp, output).with_context(|| format!("renaming {} to {}", tmp.display(), output.display()))?;
    }
    sync_dir(parent)
}

fn remove_if_exists(p: &Path) -> Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p).with_context(|| format!("removing {}", p.display())),
        Ok(_) => fs::remove_file(p).with_context(|| format!("removing {}", p.display())),
        Err(_) => Ok(()),
    }
}

/// Atomically swaps two paths. Ok(false) when the system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths, relative to the cwd.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if r == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) => Ok(false),
        _ => Err(err).with_context(|| format!("swapping {} and {}", a.display(), b.display())),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> Result<bool> {
    Ok(false)
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir).and_then(|f| f.sync_all()).with_context(|| format!("syncing {}", dir.display()))?;
    }
    Ok(())
}

fn set_mode(p: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(mode))
            .with_context(|| format!("setting permissions of {}", p.display()))?;
    }
    let _ = (p, mode);
    Ok(())
}

/// An exclusive advisory lock, released on drop (the file stays).
struct Lock(#[allow(dead_code)] File);

fn lock(path: &Path, output: &Path) -> Result<Lock> {
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening lock file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a file descriptor we own.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                bail!(
                    "another `mirador rules update` is installing into {} (lock {})",
                    output.display(),
                    path.display()
                );
            }
            return Err(err).with_context(|| format!("locking {}", path.display()));
        }
    }
    Ok(Lock(f))
}
