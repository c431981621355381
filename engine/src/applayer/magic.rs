//! A small file-type classifier for the `filemagic` keyword and the EVE
//! `magic` field.
//!
//! Suricata asks libmagic; mirador does not link it (a C dependency and a
//! large compiled database for a keyword most rulesets never use). Rules
//! match `filemagic` as a substring of libmagic's description, so what
//! matters is to print the same leading words libmagic prints for the
//! types rules and analysts look for. The descriptions here follow `file`
//! 5.44 on the same inputs; details libmagic adds that need deep parsing
//! (ELF dynamic sections, PE section counts, JPEG density) are left out,
//! so a rule matching the beginning of a description works, one matching
//! its tail may not.

/// The description of a file from its first bytes (all of them when the
/// file is shorter), or None for an empty file.
pub fn classify(data: &[u8]) -> Option<String> {
    if data.is_empty() {
        return None;
    }
    Some(binary(data).unwrap_or_else(|| text(data)))
}

fn u16le(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32le(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn u32be(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// Formats recognised by a signature at the start.
fn binary(d: &[u8]) -> Option<String> {
    if let Some(rest) = d.strip_prefix(b"%PDF-") {
        let v: String = rest.iter().take_while(|c| c.is_ascii_digit() || **c == b'.').map(|&c| c as char).collect();
        return Some(format!("PDF document, version {v}"));
    }
    if d.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(png(d));
    }
    if d.starts_with(b"GIF87a") || d.starts_with(b"GIF89a") {
        let version = String::from_utf8_lossy(&d[3..6]);
        return Some(match (u16le(d, 6), u16le(d, 8)) {
            (Some(w), Some(h)) => format!("GIF image data, version {version}, {w} x {h}"),
            _ => format!("GIF image data, version {version}"),
        });
    }
    if d.starts_with(b"\xff\xd8\xff") {
        // JFIF APP0 segment: "JFIF\0" and the version.
        if d.get(6..11) == Some(b"JFIF\0") {
            if let (Some(&maj), Some(&min)) = (d.get(11), d.get(12)) {
                return Some(format!("JPEG image data, JFIF standard {maj}.{min:02}"));
            }
        }
        return Some("JPEG image data".into());
    }
    if d.starts_with(b"PK\x03\x04") {
        return Some(zip(d));
    }
    if d.starts_with(b"\x7fELF") {
        return Some(elf(d));
    }
    if d.starts_with(b"MZ") {
        return Some(pe(d).unwrap_or_else(|| "MS-DOS executable".into()));
    }
    if d.starts_with(b"\x1f\x8b") {
        return Some("gzip compressed data".into());
    }
    if d.starts_with(b"BZh") {
        return Some("bzip2 compressed data".into());
    }
    if d.starts_with(b"\xfd7zXZ\0") {
        return Some("XZ compressed data".into());
    }
    if d.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return Some("7-zip archive data".into());
    }
    if d.starts_with(b"Rar!\x1a\x07") {
        return Some("RAR archive data".into());
    }
    if d.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Some("Composite Document File V2 Document".into());
    }
    if d.starts_with(b"\xca\xfe\xba\xbe") {
        return Some("compiled Java class data".into());
    }
    None
}

fn png(d: &[u8]) -> String {
    // IHDR is the first chunk: length, "IHDR", width, height, bit depth,
    // colour type, compression, filter, interlace.
    if d.get(12..16) != Some(b"IHDR") {
        return "PNG image data".into();
    }
    let (Some(w), Some(h), Some(&bits), Some(&colour), Some(&interlace)) =
        (u32be(d, 16), u32be(d, 20), d.get(24), d.get(25), d.get(28))
    else {
        return "PNG image data".into();
    };
    let colour = match colour {
        0 => format!("{bits}-bit grayscale"),
        2 => format!("{bits}-bit/color RGB"),
        3 => format!("{bits}-bit colormap"),
        4 => format!("{bits}-bit gray+alpha"),
        6 => format!("{bits}-bit/color RGBA"),
        _ => return format!("PNG image data, {w} x {h}"),
    };
    let il = if interlace == 0 { "non-interlaced" } else { "interlaced" };
    format!("PNG image data, {w} x {h}, {colour}, {il}")
}

fn zip(d: &[u8]) -> String {
    let Some(need) = u16le(d, 4) else { return "Zip archive data".into() };
    let mut s = format!("Zip archive data, at least v{}.{} to extract", need / 10, need % 10);
    let method = match u16le(d, 8) {
        Some(0) => Some("store"),
        Some(8) => Some("deflate"),
        Some(12) => Some("bzip2"),
        Some(14) => Some("lzma"),
        _ => None,
    };
    if let Some(m) = method {
        s.push_str(", compression method=");
        s.push_str(m);
    }
    s
}

fn elf(d: &[u8]) -> String {
    let bits = match d.get(4) {
        Some(1) => "32-bit",
        Some(2) => "64-bit",
        _ => return "ELF".into(),
    };
    let little = d.get(5) == Some(&1);
    let order = if little { "LSB" } else { "MSB" };
    let half = |at: usize| -> Option<u16> {
        let b: [u8; 2] = d.get(at..at + 2)?.try_into().ok()?;
        Some(if little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let kind = match half(16) {
        Some(1) => "relocatable",
        Some(2) => "executable",
        // libmagic calls a position-independent executable "pie
        // executable" only after reading its dynamic section; a shared
        // object is what the header alone says.
        Some(3) => "shared object",
        Some(4) => "core file",
        _ => "unknown type",
    };
    let machine = match half(18) {
        Some(3) => Some("Intel 80386"),
        Some(8) => Some("MIPS"),
        Some(20) => Some("PowerPC"),
        Some(21) => Some("64-bit PowerPC"),
        Some(40) => Some("ARM"),
        Some(62) => Some("x86-64"),
        Some(183) => Some("ARM aarch64"),
        Some(243) => Some("UCB RISC-V"),
        _ => None,
    };
    let abi = match d.get(7) {
        Some(0) => "SYSV",
        Some(3) => "GNU/Linux",
        Some(9) => "FreeBSD",
        _ => "unknown",
    };
    match machine {
        Some(m) => format!("ELF {bits} {order} {kind}, {m}, version 1 ({abi})"),
        None => format!("ELF {bits} {order} {kind}, version 1 ({abi})"),
    }
}

/// A Portable Executable: the MZ stub points at the "PE\0\0" header.
fn pe(d: &[u8]) -> Option<String> {
    let at = u32le(d, 0x3c)? as usize;
    if d.get(at..at + 4)? != b"PE\0\0" {
        return None;
    }
    let machine = match u16le(d, at + 4)? {
        0x14c => "Intel 80386",
        0x8664 => "x86-64",
        0x1c0 | 0x1c4 => "ARM",
        0xaa64 => "Aarch64",
        _ => "Unknown processor type",
    };
    let characteristics = u16le(d, at + 22)?;
    let opt = at + 24;
    let plus = match u16le(d, opt)? {
        0x10b => false,
        0x20b => true,
        _ => return None,
    };
    let subsystem = u16le(d, opt + 68)?;
    let mut s = String::from(if plus { "PE32+ executable" } else { "PE32 executable" });
    if characteristics & 0x2000 != 0 {
        s.push_str(" (DLL)");
    }
    s.push_str(match subsystem {
        1 => " (native)",
        2 => " (GUI)",
        3 => " (console)",
        10 => " (EFI application)",
        _ => "",
    });
    s.push(' ');
    s.push_str(machine);
    s.push_str(", for MS Windows");
    Some(s)
}

/// Text: markup first, then the character set; anything else is "data".
fn text(d: &[u8]) -> String {
    let charset = if d.iter().all(|&c| matches!(c, 0x07..=0x0d | 0x1b | 0x20..=0x7e)) {
        "ASCII text"
    } else if std::str::from_utf8(d).is_ok() || utf8_cut_at_end(d) {
        "Unicode text, UTF-8 text"
    } else {
        return "data".into();
    };
    let crlf = d.windows(2).any(|w| w == b"\r\n");
    let start = d.trim_ascii_start();
    let lower: Vec<u8> = start.iter().take(64).map(u8::to_ascii_lowercase).collect();
    let kind = if lower.starts_with(b"<?xml") {
        Some("XML 1.0 document")
    } else if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") || lower.starts_with(b"<head") {
        Some("HTML document")
    } else if d.starts_with(b"#!/bin/sh") {
        Some("POSIX shell script")
    } else {
        None
    };
    let mut s = match kind {
        Some(k) => format!("{k}, {charset}"),
        None => charset.to_string(),
    };
    if kind == Some("POSIX shell script") {
        s.push_str(" executable");
    }
    if crlf {
        s.push_str(", with CRLF line terminators");
    }
    s
}

/// UTF-8 whose only fault is a sequence cut by the end of the sample.
fn utf8_cut_at_end(d: &[u8]) -> bool {
    match std::str::from_utf8(d) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(w: u32, h: u32, bits: u8, colour: u8, interlace: u8) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[bits, colour, 0, 0, interlace, 0, 0, 0, 0]);
        v
    }

    /// Each expected string is what `file -b` 5.44 prints for the input.
    #[test]
    fn descriptions_match_file() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"%PDF-1.5\n%\xe2\xe3\n1 0 obj".to_vec(), "PDF document, version 1.5"),
            (png_header(36, 36, 8, 6, 0), "PNG image data, 36 x 36, 8-bit/color RGBA, non-interlaced"),
            (png_header(10, 20, 8, 2, 1), "PNG image data, 10 x 20, 8-bit/color RGB, interlaced"),
            (png_header(10, 20, 1, 0, 0), "PNG image data, 10 x 20, 1-bit grayscale, non-interlaced"),
            (png_header(10, 20, 16, 4, 0), "PNG image data, 10 x 20, 16-bit gray+alpha, non-interlaced"),
            (b"GIF89a\x10\x00\x10\x00\x80\x00\x00".to_vec(), "GIF image data, version 89a, 16 x 16"),
            (b"\xff\xd8\xff\xe1".to_vec(), "JPEG image data"),
            (b"<html><body>hi</body></html>\n".to_vec(), "HTML document, ASCII text"),
            (b"hello world\r\nfoo\r\n".to_vec(), "ASCII text, with CRLF line terminators"),
            ("h\u{e9}llo\n".as_bytes().to_vec(), "Unicode text, UTF-8 text"),
            (b"<?xml version=\"1.0\"?>\n<a/>\n".to_vec(), "XML 1.0 document, ASCII text"),
            (b"#!/bin/sh\necho hi\n".to_vec(), "POSIX shell script, ASCII text executable"),
            (vec![0x00, 0xff, 0x13, 0x80, 0x81], "data"),
        ];
        for (input, want) in cases {
            assert_eq!(classify(&input).as_deref(), Some(want), "{input:02x?}");
        }
        assert_eq!(classify(b""), None);
    }

    #[test]
    fn jpeg_jfif_version_and_zip_method() {
        let jfif = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01";
        assert_eq!(classify(jfif).unwrap(), "JPEG image data, JFIF standard 1.01");
        let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
        zip.extend_from_slice(&[0; 20]);
        assert_eq!(classify(&zip).unwrap(), "Zip archive data, at least v2.0 to extract, compression method=deflate");
    }

    #[test]
    fn executables() {
        // An x86-64 ELF executable header (the start of `file`'s
        // "ELF 64-bit LSB executable, x86-64, version 1 (SYSV), ...").
        let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
        elf.extend_from_slice(&[0; 8]);
        elf.extend_from_slice(&[2, 0, 62, 0]);
        assert_eq!(classify(&elf).unwrap(), "ELF 64-bit LSB executable, x86-64, version 1 (SYSV)");
        // A 32-bit console PE: MZ stub, e_lfanew = 0x40, PE header,
        // optional header magic 0x10b and subsystem 3.
        let mut pe = vec![0u8; 0x40 + 24 + 96];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x40;
        pe[0x40..0x44].copy_from_slice(b"PE\0\0");
        pe[0x44..0x46].copy_from_slice(&0x14cu16.to_le_bytes());
        pe[0x40 + 22..0x40 + 24].copy_from_slice(&0x0102u16.to_le_bytes());
        pe[0x58..0x5a].copy_from_slice(&0x10bu16.to_le_bytes());
        pe[0x58 + 68..0x58 + 70].copy_from_slice(&3u16.to_le_bytes());
        assert_eq!(classify(&pe).unwrap(), "PE32 executable (console) Intel 80386, for MS Windows");
        // The DLL bit and the 64-bit optional header.
        pe[0x40 + 22..0x40 + 24].copy_from_slice(&0x2102u16.to_le_bytes());
        pe[0x44..0x46].copy_from_slice(&0x8664u16.to_le_bytes());
        pe[0x58..0x5a].copy_from_slice(&0x20bu16.to_le_bytes());
        pe[0x58 + 68..0x58 + 70].copy_from_slice(&2u16.to_le_bytes());
        assert_eq!(classify(&pe).unwrap(), "PE32+ executable (DLL) (GUI) x86-64, for MS Windows");
        pe[0x40] = b'X';
        assert_eq!(classify(&pe).unwrap(), "MS-DOS executable");
        assert_eq!(classify(b"\x1f\x8b\x08\x00").unwrap(), "gzip compressed data");
    }
}
