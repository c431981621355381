//! The `asn1` keyword: walk BER elements from a position and flag encodings
//! known to exploit decoders (Snort/Suricata semantics).

use crate::rules::ast::Asn1Opts;

/// Elements decoded at most per inspection (Suricata's `asn1-max-frames`
/// default): bounds the work a hostile payload can cause.
pub const MAX_FRAMES: usize = 256;

/// REAL values longer than this as decimal text overflow a double's buffer.
const DOUBLE_TEXT_MAX: u64 = 256;

struct Element {
    tag: u64,
    constructed: bool,
    class: u8,
    /// Content start.
    start: usize,
    /// Content length as encoded (may exceed the data).
    len: u64,
    indefinite: bool,
}

fn element(buf: &[u8], at: usize) -> Option<Element> {
    let b0 = *buf.get(at)?;
    let class = b0 >> 6;
    let constructed = b0 & 0x20 != 0;
    let mut pos = at + 1;
    let mut tag = (b0 & 0x1f) as u64;
    if tag == 0x1f {
        tag = 0;
        for _ in 0..8 {
            let b = *buf.get(pos)?;
            pos += 1;
            tag = tag << 7 | (b & 0x7f) as u64;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let l0 = *buf.get(pos)?;
    pos += 1;
    let (len, indefinite) = if l0 & 0x80 == 0 {
        (l0 as u64, false)
    } else if l0 == 0x80 {
        (0, true)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n > 8 {
            // Longer than any real length: treat as oversize.
            (u64::MAX, false)
        } else {
            let mut v = 0u64;
            for i in 0..n {
                v = v << 8 | *buf.get(pos + i)? as u64;
            }
            pos += n;
            (v, false)
        }
    };
    Some(Element { tag, constructed, class, start: pos, len, indefinite })
}

/// True when the BER data from `start` trips one of the checks.
pub fn matches(opts: &Asn1Opts, buf: &[u8], start: usize) -> bool {
    let mut stack = vec![start];
    let mut frames = 0;
    while let Some(at) = stack.pop() {
        if frames >= MAX_FRAMES {
            break;
        }
        frames += 1;
        let Some(e) = element(buf, at) else { continue };
        if opts.oversize_length.is_some_and(|max| e.len > max) {
            return true;
        }
        let universal = e.class == 0;
        if universal && !e.constructed {
            let first = buf.get(e.start).copied();
            if opts.bitstring_overflow && e.tag == 3 && e.len >= 1 {
                if let Some(unused) = first {
                    if unused as u64 > (e.len - 1).saturating_mul(8) {
                        return true;
                    }
                }
            }
            if opts.double_overflow && e.tag == 9 && e.len > DOUBLE_TEXT_MAX {
                if let Some(f) = first {
                    if f & 0xc0 == 0 {
                        return true;
                    }
                }
            }
        }
        let next = if e.indefinite { None } else { e.start.checked_add(e.len as usize) };
        if let Some(n) = next {
            if n < buf.len() {
                stack.push(n);
            }
        }
        if e.constructed && e.start < buf.len() {
            stack.push(e.start);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_bad_encodings() {
        let bits = Asn1Opts { bitstring_overflow: true, ..Default::default() };
        // BIT STRING of 2 bytes claiming 9 unused bits.
        assert!(matches(&bits, &[0x03, 0x02, 0x09, 0xff], 0));
        assert!(!matches(&bits, &[0x03, 0x02, 0x07, 0xff], 0));
        // Nested inside a SEQUENCE.
        assert!(matches(&bits, &[0x30, 0x04, 0x03, 0x02, 0x09, 0xff], 0));
        let size = Asn1Opts { oversize_length: Some(100), ..Default::default() };
        assert!(matches(&size, &[0x04, 0x82, 0x01, 0x00], 0));
        assert!(!matches(&size, &[0x04, 0x02, 0x41, 0x41], 0));
        let dbl = Asn1Opts { double_overflow: true, ..Default::default() };
        let mut real = vec![0x09, 0x82, 0x01, 0x2c, 0x01];
        real.extend(std::iter::repeat_n(b'1', 299));
        assert!(matches(&dbl, &real, 0));
    }

    #[test]
    fn hostile_input_is_bounded() {
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 5000).flatten().collect();
        assert!(!matches(&Asn1Opts { bitstring_overflow: true, ..Default::default() }, &deep, 0));
        assert!(!matches(&Asn1Opts::default(), &[0x1f, 0xff, 0xff], 0));
    }
}
