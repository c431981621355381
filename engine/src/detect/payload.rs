//! Verification of the payload keywords of one buffer: content with its
//! modifiers, pcre, isdataat, byte_test, byte_jump, byte_extract,
//! byte_math, bsize.
//!
//! Semantics follow Suricata's content inspection: keywords run in rule
//! order; each match moves a cursor (the end of the match) that relative
//! keywords start from; when a later keyword fails, an earlier content or pcre
//! is retried at its next occurrence (backtracking), bounded by
//! [`RECURSION_LIMIT`] as Suricata bounds it.

use super::regex::Regex;
use crate::rules::ast::{ByteOp, Endian, MathOp, NumString};
use crate::rules::numeric::NumMatch;

/// Retries allowed per buffer inspection before giving up (Suricata's
/// default `inspection-recursion-limit` is 3000); hostile payloads with many
/// partial matches cannot make verification quadratic beyond this.
pub const RECURSION_LIMIT: u32 = 3000;

/// Maximum `byte_extract` and `byte_math` variables per rule.
pub const MAX_BYTE_VARS: usize = 8;

/// A number resolved at compile time, or a `byte_extract` slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// Literal.
    Num(i64),
    /// Index into the variable slots.
    Var(u8),
}

impl Operand {
    fn get(self, vars: &[i64; MAX_BYTE_VARS]) -> i64 {
        match self {
            Operand::Num(n) => n,
            Operand::Var(i) => vars[i as usize],
        }
    }
}

/// A compiled content.
#[derive(Clone, Debug)]
pub struct ContentOp {
    /// Pattern (lowercased when nocase).
    pub pattern: Vec<u8>,
    /// Case-insensitive.
    pub nocase: bool,
    /// Negated.
    pub negated: bool,
    /// Absolute start.
    pub offset: Option<Operand>,
    /// Absolute window.
    pub depth: Option<Operand>,
    /// Relative start.
    pub distance: Option<Operand>,
    /// Relative window.
    pub within: Option<Operand>,
    /// Must start at 0.
    pub startswith: bool,
    /// Must end at the buffer end.
    pub endswith: bool,
    /// Position of the pattern's rarest byte: the search jumps between its
    /// occurrences (vectorised memchr) and compares the rest there.
    rare: u32,
}

/// How common a byte is in network payloads (higher: more common), so that
/// a content search skips on its least common byte. A coarse ranking is
/// enough: it only has to avoid NULs, spaces, vowels and line ends.
pub(crate) fn commonness(b: u8) -> u8 {
    match b {
        0x00 | b' ' | 0xff => 255,
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'\r' | b'\n' | b'/' | b'.' => 200,
        b'0'..=b'9' | b'h' | b'l' | b'd' | b'c' | b'u' | b'm' | b'=' | b':' | b'-' | 0x01 => 150,
        b'a'..=b'z' => 120,
        b'A'..=b'Z' => 90,
        _ if b.is_ascii_punctuation() => 60,
        _ => 30,
    }
}

impl ContentOp {
    /// Builds the op; `pattern` is as written.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        pattern: &[u8],
        nocase: bool,
        negated: bool,
        offset: Option<Operand>,
        depth: Option<Operand>,
        distance: Option<Operand>,
        within: Option<Operand>,
        startswith: bool,
        endswith: bool,
    ) -> Self {
        let pattern = if nocase { pattern.to_ascii_lowercase() } else { pattern.to_vec() };
        // In a case-insensitive search a letter is looked for in both cases.
        let rank =
            |b: u8| if nocase && b.is_ascii_alphabetic() { commonness(b.to_ascii_lowercase()) } else { commonness(b) };
        let rare = (0..pattern.len()).min_by_key(|&i| rank(pattern[i])).unwrap_or(0) as u32;
        ContentOp { pattern, nocase, negated, offset, depth, distance, within, startswith, endswith, rare }
    }

    fn is_relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }

    /// First occurrence at or after `from`, ending at or before `end`.
    fn find(&self, buf: &[u8], from: usize, end: usize) -> Option<usize> {
        if from > end || end - from < self.pattern.len() {
            return None;
        }
        let hay = &buf[from..end];
        let n = self.pattern.len();
        if n == 0 {
            return Some(from);
        }
        let r = self.rare as usize;
        let b = self.pattern[r];
        let (lo, up) = if self.nocase { (b.to_ascii_lowercase(), b.to_ascii_uppercase()) } else { (b, b) };
        // Candidate positions of the rare byte: those that leave room for
        // the whole pattern around it.
        let last = hay.len() - n + r;
        let mut i = r;
        while i <= last {
            let window = &hay[i..=last];
            let q = i + if lo == up { memchr::memchr(lo, window) } else { memchr::memchr2(lo, up, window) }?;
            let cand = &hay[q - r..q - r + n];
            let hit =
                if self.nocase { cand.eq_ignore_ascii_case(&self.pattern) } else { cand == self.pattern.as_slice() };
            if hit {
                return Some(from + q - r);
            }
            i = q + 1;
        }
        None
    }
}

/// The `len`-byte window of `pat` made of the least common bytes: the part
/// of a fast pattern a prefilter needs to look for (verification checks
/// the whole content), chosen so it rarely occurs by chance.
pub(crate) fn rarest_window(pat: &[u8], len: usize) -> &[u8] {
    if pat.len() <= len {
        return pat;
    }
    let score = |w: &[u8]| w.iter().map(|&b| u32::from(commonness(b.to_ascii_lowercase()))).sum::<u32>();
    let start = (0..=pat.len() - len).min_by_key(|&i| score(&pat[i..i + len])).unwrap_or(0);
    &pat[start..start + len]
}

/// A compiled pcre.
#[derive(Debug)]
pub struct PcreOp {
    /// The regex.
    pub re: Regex,
    /// Negated.
    pub negated: bool,
    /// Relative to the cursor.
    pub relative: bool,
    /// Must match at the start position.
    pub anchored: bool,
}

/// A compiled byte_test / byte_jump / byte_extract read.
#[derive(Clone, Copy, Debug)]
pub struct ByteRead {
    /// Bytes to read.
    pub nbytes: u8,
    /// Offset.
    pub offset: Operand,
    /// Relative to the cursor.
    pub relative: bool,
    /// Byte order.
    pub endian: Endian,
    /// String form.
    pub string: NumString,
    /// Mask.
    pub bitmask: Option<u64>,
}

/// Parses the number at the start of `text` as C's `strtoull` does
/// (leading whitespace, an optional `+`, for hex an optional `0x`), which
/// is how Suricata reads the string forms. Returns the value and the bytes
/// consumed; None when there is no digit or the value overflows.
fn parse_string_number(text: &[u8], radix: u32) -> Option<(u64, usize)> {
    let digit = |b: u8| (b as char).to_digit(radix);
    let mut i = text.iter().take_while(|b| b.is_ascii_whitespace() || **b == 0x0b).count();
    if text.get(i) == Some(&b'+') {
        i += 1;
    }
    // "0x" only counts as a prefix when a hex digit follows it.
    if radix == 16
        && text.get(i) == Some(&b'0')
        && matches!(text.get(i + 1), Some(b'x' | b'X'))
        && text.get(i + 2).and_then(|&b| digit(b)).is_some()
    {
        i += 2;
    }
    let n = text[i.min(text.len())..].iter().take_while(|&&b| digit(b).is_some()).count();
    if n == 0 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in &text[i..i + n] {
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(digit(b)?))?;
    }
    Some((v, i + n))
}

impl ByteRead {
    /// Reads the number; returns it and the position after the bytes read
    /// (for the string forms, after the characters the number used, as
    /// Suricata moves its cursor). `dce_little`: the byte order `dce`
    /// stands for here.
    fn read(&self, buf: &[u8], cursor: usize, vars: &[i64; MAX_BYTE_VARS], dce_little: bool) -> Option<(u64, usize)> {
        let (mut v, end) = self.read_n(self.nbytes, buf, cursor, vars, dce_little)?;
        if let Some(mask) = self.bitmask {
            v &= mask;
            if mask != 0 {
                v >>= mask.trailing_zeros();
            }
        }
        Some((v, end))
    }

    /// Reads `nbytes` as the number (the bitmask is not applied).
    fn read_n(
        &self,
        nbytes: u8,
        buf: &[u8],
        cursor: usize,
        vars: &[i64; MAX_BYTE_VARS],
        dce_little: bool,
    ) -> Option<(u64, usize)> {
        let base = if self.relative { cursor as i64 } else { 0 };
        let start = base.checked_add(self.offset.get(vars))?;
        if start < 0 {
            return None;
        }
        let start = usize::try_from(start).ok()?;
        let end = start.checked_add(nbytes as usize)?;
        let bytes = buf.get(start..end)?;
        let v: u64 = match self.string {
            NumString::Binary => {
                let little = match self.endian {
                    Endian::Little => true,
                    Endian::Big => false,
                    Endian::Dce => dce_little,
                };
                let mut v = 0u64;
                if little {
                    for &b in bytes.iter().rev() {
                        v = v << 8 | b as u64;
                    }
                } else {
                    for &b in bytes {
                        v = v << 8 | b as u64;
                    }
                }
                v
            }
            s => {
                let radix = match s {
                    NumString::Hex => 16,
                    NumString::Oct => 8,
                    _ => 10,
                };
                // Suricata converts the leading digits (strtoull), fails
                // when there are none, and moves past those only.
                let (v, used) = parse_string_number(bytes, radix)?;
                return Some((v, start + used));
            }
        };
        Some((v, end))
    }
}

/// Binary reads `byte_math` accepts at run time: Suricata 7 parses up to
/// 10 bytes but never matches a binary read of more than 4.
const BYTE_MATH_MAX_BINARY: u8 = 4;

/// Bytes a string-form `byte_math` read may take.
const BYTE_MATH_MAX_STRING: u8 = 10;

/// A compiled `byte_math`.
#[derive(Clone, Copy, Debug)]
pub struct ByteMathOp {
    /// Offset, relative flag, endian and string form of the read; its
    /// `nbytes` and `bitmask` are unused.
    pub read: ByteRead,
    /// Bytes to read: a literal or a variable.
    pub nbytes: Operand,
    /// Operator.
    pub oper: MathOp,
    /// Right operand.
    pub rvalue: Operand,
    /// Mask applied to the result.
    pub bitmask: Option<u64>,
    /// Slot receiving the result.
    pub slot: u8,
}

impl ByteMathOp {
    /// The result and the position after the bytes read, or None when
    /// the read or the operation fails (a zero divisor).
    fn eval(&self, buf: &[u8], cursor: usize, vars: &[i64; MAX_BYTE_VARS]) -> Option<(u64, usize)> {
        let max = if self.read.string == NumString::Binary { BYTE_MATH_MAX_BINARY } else { BYTE_MATH_MAX_STRING };
        let n = u8::try_from(self.nbytes.get(vars)).ok().filter(|n| (1..=max).contains(n))?;
        // byte_math takes no `dce` option.
        let (v, after) = self.read.read_n(n, buf, cursor, vars, true)?;
        // Values are unsigned 64-bit and wrap, as in Suricata.
        let r = self.rvalue.get(vars) as u64;
        let mut v = match self.oper {
            MathOp::Add => v.wrapping_add(r),
            MathOp::Sub => v.wrapping_sub(r),
            MathOp::Mul => v.wrapping_mul(r),
            MathOp::Div => v.checked_div(r)?,
            MathOp::Shl => {
                if r < 64 {
                    v << r
                } else {
                    0
                }
            }
            // Suricata shifts right by the count modulo 64 (x86 semantics
            // of its C shift).
            MathOp::Shr => v >> (r & 63),
        };
        if let Some(mask) = self.bitmask {
            v &= mask;
            if v != 0 {
                v >>= mask.trailing_zeros();
            }
        }
        Some((v, after))
    }
}

/// One compiled payload keyword.
#[derive(Debug)]
pub enum Op {
    /// content (boxed: it is the largest op).
    Content(Box<ContentOp>),
    /// pcre.
    Pcre(PcreOp),
    /// isdataat.
    IsDataAt {
        /// Position.
        pos: Operand,
        /// Negated.
        negated: bool,
        /// Relative.
        relative: bool,
    },
    /// byte_test.
    ByteTest {
        /// Read.
        read: ByteRead,
        /// Operator.
        op: ByteOp,
        /// Negated.
        negated: bool,
        /// Value.
        value: Operand,
    },
    /// byte_jump.
    ByteJump {
        /// Read.
        read: ByteRead,
        /// Multiplier.
        multiplier: u32,
        /// Align to 4.
        align: bool,
        /// From the buffer start.
        from_beginning: bool,
        /// From the buffer end.
        from_end: bool,
        /// Post offset.
        post_offset: i64,
    },
    /// byte_extract.
    ByteExtract {
        /// Read.
        read: ByteRead,
        /// Multiplier.
        multiplier: u32,
        /// Align 0/2/4.
        align: u8,
        /// Slot.
        slot: u8,
    },
    /// byte_math.
    ByteMath(ByteMathOp),
    /// bsize.
    Bsize(NumMatch<u64>),
    /// asn1.
    Asn1(crate::rules::ast::Asn1Opts),
    /// `dataset`/`datarep`: the whole buffer looked up in a shared set.
    Dataset(std::sync::Arc<super::dataset::Dataset>, crate::rules::ast::DatasetCmd),
    /// The transforms of the buffer: only ever the first op of a buffer's
    /// list, applied by the caller before inspection (a no-op here).
    Transform(Box<super::transform::Chain>),
    /// `base64_decode`: decodes part of the buffer and inspects the result
    /// with the rule's `base64_data` keywords (`data`). Suricata treats the
    /// decoded data as the end of the rule's list: nothing follows it.
    Base64Decode {
        /// Most bytes of the buffer to decode (0: to the end).
        bytes: u32,
        /// Where decoding starts (from the cursor when `relative`).
        offset: u32,
        /// Relative to the previous match.
        relative: bool,
        /// The keywords after `base64_data`.
        data: Vec<Op>,
    },
}

impl Op {
    /// True when this keyword's position depends on the cursor.
    fn is_relative(&self) -> bool {
        match self {
            Op::Content(c) => c.is_relative(),
            Op::Pcre(p) => p.relative,
            Op::IsDataAt { relative, .. } => *relative,
            Op::ByteTest { read, .. } | Op::ByteJump { read, .. } | Op::ByteExtract { read, .. } => read.relative,
            Op::ByteMath(m) => m.read.relative,
            Op::Bsize(_) | Op::Dataset(..) => false,
            Op::Asn1(a) => a.relative_offset.is_some(),
            Op::Transform(_) => false,
            Op::Base64Decode { relative, .. } => *relative,
        }
    }
}

/// Decodes base64 (RFC 4648 alphabet) from the start of `src` up to the
/// first byte outside the alphabet or the padding, as Suricata 7's
/// `base64_decode` does; a final partial group yields its whole bytes.
pub fn decode_base64_prefix(src: &[u8]) -> Vec<u8> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 2);
    let (mut acc, mut n) = (0u32, 0u32);
    for &c in src {
        let Some(v) = value(c) else { break };
        acc = acc << 6 | v;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            (acc, n) = (0, 0);
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// State of one inspection of one buffer.
pub struct Inspection<'a> {
    buf: &'a [u8],
    /// byte_extract slots (shared across the rule's buffers).
    pub vars: [i64; MAX_BYTE_VARS],
    budget: u32,
    /// The byte order of the `dce` option: the DCERPC PDU's, else little.
    dce_little: bool,
}

impl<'a> Inspection<'a> {
    /// Starts inspecting `buf`.
    pub fn new(buf: &'a [u8], vars: [i64; MAX_BYTE_VARS]) -> Self {
        Inspection { buf, vars, budget: RECURSION_LIMIT, dce_little: true }
    }

    /// Sets the byte order `dce` reads with: a DCERPC buffer's keywords
    /// follow its PDU's data representation.
    pub fn with_dce_order(mut self, little: bool) -> Self {
        self.dce_little = little;
        self
    }

    /// True when all `ops` match the buffer.
    pub fn run(&mut self, ops: &[Op]) -> bool {
        self.step(ops, 0, 0)
    }

    fn step(&mut self, ops: &[Op], idx: usize, cursor: usize) -> bool {
        let Some(op) = ops.get(idx) else { return true };
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        // Retrying an earlier match only helps when a later keyword depends
        // on where it ended.
        let retry = ops[idx + 1..].iter().any(Op::is_relative);
        let buf = self.buf;
        match op {
            Op::Content(c) => {
                let Some((start, end)) = self.window(c, cursor) else {
                    return c.negated && self.step(ops, idx + 1, cursor);
                };
                if c.negated {
                    let found = if c.endswith {
                        end >= start + c.pattern.len() && c.find(buf, end - c.pattern.len(), end).is_some()
                    } else {
                        c.find(buf, start, end).is_some()
                    };
                    return !found && self.step(ops, idx + 1, cursor);
                }
                if c.endswith {
                    if end != buf.len() || end < start + c.pattern.len() {
                        return false;
                    }
                    let p = end - c.pattern.len();
                    return c.find(buf, p, end).is_some() && self.step(ops, idx + 1, end);
                }
                let mut from = start;
                while let Some(p) = c.find(buf, from, end) {
                    let m_end = p + c.pattern.len();
                    if self.step(ops, idx + 1, m_end) {
                        return true;
                    }
                    if !retry || self.budget == 0 {
                        return false;
                    }
                    from = p + 1;
                }
                false
            }
            Op::Pcre(p) => {
                let start = if p.relative { cursor.min(buf.len()) } else { 0 };
                if p.negated {
                    let hit = p.re.find_at(buf, start, start).is_some_and(|(s, _)| !p.anchored || s == start);
                    return !hit && self.step(ops, idx + 1, cursor);
                }
                let mut from = start;
                loop {
                    let Some((s, e)) = p.re.find_at(buf, start, from) else {
                        return false;
                    };
                    if p.anchored && s != start {
                        return false;
                    }
                    if self.step(ops, idx + 1, e) {
                        return true;
                    }
                    if !retry || p.anchored || self.budget == 0 || s >= buf.len() {
                        return false;
                    }
                    self.budget -= 1;
                    from = s + 1;
                }
            }
            Op::IsDataAt { pos, negated, relative } => {
                let base = if *relative { cursor as i64 } else { 0 };
                let at = base + pos.get(&self.vars);
                // Absolute: a byte exists at `pos`. Relative: `pos` more
                // bytes follow the cursor (Suricata: cursor + pos <= len).
                let present = if *relative {
                    at >= 0 && (at as usize) <= buf.len()
                } else {
                    at >= 0 && (at as usize) < buf.len()
                };
                present != *negated && self.step(ops, idx + 1, cursor)
            }
            Op::ByteTest { read, op, negated, value } => {
                let Some((v, _)) = read.read(buf, cursor, &self.vars, self.dce_little) else {
                    return false;
                };
                let want = value.get(&self.vars) as u64;
                let ok = match op {
                    ByteOp::Lt => v < want,
                    ByteOp::Gt => v > want,
                    ByteOp::Eq => v == want,
                    ByteOp::Le => v <= want,
                    ByteOp::Ge => v >= want,
                    ByteOp::And => v & want != 0,
                    ByteOp::Xor => v ^ want != 0,
                };
                ok != *negated && self.step(ops, idx + 1, cursor)
            }
            Op::ByteJump { read, multiplier, align, from_beginning, from_end, post_offset } => {
                let Some((v, after)) = read.read(buf, cursor, &self.vars, self.dce_little) else {
                    return false;
                };
                let mut jump = (v as i64).saturating_mul(*multiplier as i64);
                if *align && jump % 4 != 0 {
                    jump += 4 - jump % 4;
                }
                let base = if *from_beginning {
                    0
                } else if *from_end {
                    buf.len() as i64
                } else {
                    after as i64
                };
                let target = base.saturating_add(jump).saturating_add(*post_offset);
                // Suricata allows landing exactly at the end of the buffer.
                if target < 0 || target as usize > buf.len() {
                    return false;
                }
                self.step(ops, idx + 1, target as usize)
            }
            Op::ByteExtract { read, multiplier, align, slot } => {
                let Some((v, after)) = read.read(buf, cursor, &self.vars, self.dce_little) else {
                    return false;
                };
                let mut v = (v as i64).saturating_mul(*multiplier as i64);
                if *align > 0 {
                    let a = *align as i64;
                    if v % a != 0 {
                        v += a - v % a;
                    }
                }
                self.vars[*slot as usize] = v;
                self.step(ops, idx + 1, after)
            }
            Op::ByteMath(m) => {
                let Some((v, after)) = m.eval(buf, cursor, &self.vars) else {
                    return false;
                };
                // Stored as the bit pattern: readers cast back to u64.
                self.vars[m.slot as usize] = v as i64;
                self.step(ops, idx + 1, after)
            }
            Op::Bsize(m) => m.matches(buf.len() as u64) && self.step(ops, idx + 1, cursor),
            Op::Dataset(ds, cmd) => ds.apply(cmd, buf) && self.step(ops, idx + 1, cursor),
            Op::Asn1(a) => {
                let at = match (a.absolute_offset, a.relative_offset) {
                    (Some(o), _) => o,
                    (None, Some(r)) => cursor as i64 + r,
                    (None, None) => 0,
                };
                at >= 0 && super::asn1::matches(a, buf, at as usize) && self.step(ops, idx + 1, cursor)
            }
            Op::Transform(_) => self.step(ops, idx + 1, cursor),
            Op::Base64Decode { bytes, offset, relative, data } => {
                let start = if *relative { cursor } else { 0 }.saturating_add(*offset as usize);
                if start >= buf.len() {
                    return false;
                }
                let end = if *bytes == 0 { buf.len() } else { buf.len().min(start + *bytes as usize) };
                let decoded = decode_base64_prefix(&buf[start..end]);
                if decoded.is_empty() {
                    return false;
                }
                let mut inner =
                    Inspection { buf: &decoded, vars: self.vars, budget: self.budget, dce_little: self.dce_little };
                let hit = inner.run(data);
                self.budget = inner.budget;
                hit && self.step(ops, idx + 1, cursor)
            }
        }
    }

    /// The byte window a content may match in, or None when it is empty.
    fn window(&self, c: &ContentOp, cursor: usize) -> Option<(usize, usize)> {
        let len = self.buf.len() as i64;
        let (mut start, mut end) = (0i64, len);
        if c.startswith {
            end = (c.pattern.len() as i64).min(len);
        }
        if c.is_relative() {
            let dist = c.distance.map_or(0, |d| d.get(&self.vars));
            start = cursor as i64 + dist;
            if let Some(w) = c.within {
                end = end.min(cursor as i64 + dist + w.get(&self.vars));
            }
        } else {
            if let Some(o) = c.offset {
                start = o.get(&self.vars);
            }
            if let Some(d) = c.depth {
                end = end.min(start + d.get(&self.vars));
            }
        }
        let start = start.max(0);
        if start > end || start >= len && !c.pattern.is_empty() {
            return None;
        }
        Some((start as usize, end.min(len) as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(c: ContentOp) -> Op {
        Op::Content(Box::new(c))
    }

    fn content(p: &str) -> ContentOp {
        ContentOp::new(p.as_bytes(), false, false, None, None, None, None, false, false)
    }

    fn rel(p: &str, distance: Option<i64>, within: Option<i64>) -> ContentOp {
        ContentOp::new(
            p.as_bytes(),
            false,
            false,
            None,
            None,
            distance.map(Operand::Num),
            within.map(Operand::Num),
            false,
            false,
        )
    }

    fn run(ops: &[Op], buf: &str) -> bool {
        Inspection::new(buf.as_bytes(), [0; MAX_BYTE_VARS]).run(ops)
    }

    #[test]
    fn content_search_skips_on_its_rarest_byte() {
        // "|00 00|Q|00|": the search jumps between 'Q's and must still find
        // the first whole occurrence, not the first 'Q'.
        let c = ContentOp::new(b"\0\0Q\0", false, false, None, None, None, None, false, false);
        assert_eq!(c.rare, 2);
        let hay = b"Q\0\0Qx\0\0Q\0";
        assert_eq!(c.find(hay, 0, hay.len()), Some(5));
        assert_eq!(c.find(hay, 6, hay.len()), None);
        // The window end bounds the match, not only its start.
        assert_eq!(c.find(hay, 0, hay.len() - 1), None);
        // nocase: the rare letter is looked for in both cases.
        let c = ContentOp::new(b"eeZe", true, false, None, None, None, None, false, false);
        assert_eq!(c.find(b"xEEzE", 0, 5), Some(1));
        assert_eq!(c.find(b"xEEzx", 0, 5), None);
        // Rare byte at the very start and at the very end of the pattern.
        assert_eq!(content("Zab").find(b"abZab", 0, 5), Some(2));
        assert_eq!(content("abZ").find(b"abZab", 0, 5), Some(0));
        assert_eq!(content("abZ").find(b"ab", 0, 2), None);
    }

    #[test]
    fn prefilter_window_is_the_least_common_part() {
        assert_eq!(rarest_window(b"short", 8), b"short");
        // Spaces and vowels are common; the "|7b 22|{Q" part is not.
        assert_eq!(rarest_window(b"eeee eee{\"QW}eeee", 4), b"{\"QW");
        assert_eq!(rarest_window(b"aaaaaaaa", 3), b"aaa");
    }

    #[test]
    fn backtracks_relative_chain() {
        // First "a" is followed by "x", the second by "b": needs a retry.
        let ops = [op(content("a")), op(rel("b", Some(0), Some(1)))];
        assert!(run(&ops, "axab"));
        assert!(!run(&ops, "axax"));
    }

    #[test]
    fn offset_depth() {
        let c = ContentOp::new(
            b"GET",
            false,
            false,
            Some(Operand::Num(0)),
            Some(Operand::Num(3)),
            None,
            None,
            false,
            false,
        );
        assert!(run(&[op(c.clone())], "GET /"));
        assert!(!run(&[op(c)], " GET /"));
        let c = ContentOp::new(b"b", false, false, Some(Operand::Num(2)), None, None, None, false, false);
        assert!(!run(&[op(c.clone())], "abxx"));
        assert!(run(&[op(c)], "aaab"));
    }

    #[test]
    fn within_counts_from_distance() {
        // distance 2, within 3: window is [end+2, end+5).
        let ops = [op(content("a")), op(rel("bc", Some(2), Some(3)))];
        assert!(run(&ops, "a..bc"));
        assert!(run(&ops, "a...bc"));
        assert!(!run(&ops, "a....bc"));
        assert!(!run(&ops, "abc"));
    }

    #[test]
    fn negated_and_nocase() {
        let neg = ContentOp::new(b"evil", true, true, None, None, None, None, false, false);
        assert!(run(&[op(neg.clone())], "good"));
        assert!(!run(&[op(neg)], "so EVIL"));
    }

    #[test]
    fn startswith_endswith() {
        let s = ContentOp::new(b"GET", false, false, None, None, None, None, true, false);
        assert!(run(&[op(s.clone())], "GET x"));
        assert!(!run(&[op(s)], "xGET"));
        let e = ContentOp::new(b".exe", false, false, None, None, None, None, false, true);
        assert!(run(&[op(e.clone())], "a.exe"));
        assert!(!run(&[op(e)], "a.exe "));
    }

    #[test]
    fn negative_distance() {
        let ops = [op(content("bc")), op(rel("ab", Some(-3), Some(2)))];
        assert!(run(&ops, "abc"));
    }

    #[test]
    fn byte_ops() {
        let read = |nbytes, offset, relative, string| ByteRead {
            nbytes,
            offset: Operand::Num(offset),
            relative,
            endian: Endian::Big,
            string,
            bitmask: None,
        };
        let bt = Op::ByteTest {
            read: read(2, 0, false, NumString::Binary),
            op: ByteOp::Eq,
            negated: false,
            value: Operand::Num(0x0102),
        };
        assert!(Inspection::new(&[1, 2, 3], [0; 8]).run(&[bt]));
        let bt = Op::ByteTest {
            read: read(3, 0, false, NumString::Dec),
            op: ByteOp::Gt,
            negated: false,
            value: Operand::Num(99),
        };
        assert!(Inspection::new(b"123", [0; 8]).run(&[bt]));
        // byte_jump 1 byte, then content relative right after the jump.
        let bj = Op::ByteJump {
            read: read(1, 0, false, NumString::Binary),
            multiplier: 1,
            align: false,
            from_beginning: false,
            from_end: false,
            post_offset: 0,
        };
        let c = rel("X", Some(0), Some(1));
        assert!(Inspection::new(b"\x02abX", [0; 8]).run(&[bj, op(c)]));
        // byte_extract into slot 0, used as a distance.
        let be = Op::ByteExtract { read: read(1, 0, false, NumString::Binary), multiplier: 1, align: 0, slot: 0 };
        let c =
            ContentOp::new(b"Z", false, false, None, None, Some(Operand::Var(0)), Some(Operand::Num(1)), false, false);
        assert!(Inspection::new(b"\x02abZ", [0; 8]).run(&[be, op(c)]));
        // Reading past the end never matches, even negated.
        let bt = Op::ByteTest {
            read: read(4, 0, false, NumString::Binary),
            op: ByteOp::Eq,
            negated: true,
            value: Operand::Num(0),
        };
        assert!(!Inspection::new(&[1], [0; 8]).run(&[bt]));
    }

    #[test]
    fn string_numbers_read_like_strtoull() {
        assert_eq!(parse_string_number(b" 42x", 10), Some((42, 3)));
        assert_eq!(parse_string_number(b"+7", 10), Some((7, 2)));
        assert_eq!(parse_string_number(b"0x1f", 16), Some((31, 4)));
        assert_eq!(parse_string_number(b"0xg", 16), Some((0, 1)), "0 then a stray x");
        assert_eq!(parse_string_number(b"12\xf0", 10), Some((12, 2)), "non-UTF-8 after the digits");
        assert_eq!(parse_string_number(b"x1", 10), None);
        assert_eq!(parse_string_number(b"99999999999999999999", 10), None, "overflow");
        // The cursor moves past the digits only (Suricata 7.0.10).
        let be = Op::ByteExtract {
            read: ByteRead {
                nbytes: 3,
                offset: Operand::Num(0),
                relative: false,
                endian: Endian::Big,
                string: NumString::Dec,
                bitmask: None,
            },
            multiplier: 1,
            align: 0,
            slot: 0,
        };
        let c =
            ContentOp::new(b"Z", false, false, None, None, Some(Operand::Num(0)), Some(Operand::Num(1)), false, false);
        assert!(Inspection::new(b"12Z", [0; 8]).run(&[be, op(c)]));
    }

    fn byte_math(nbytes: Operand, offset: i64, oper: MathOp, rvalue: Operand, bitmask: Option<u64>) -> Op {
        Op::ByteMath(ByteMathOp {
            read: ByteRead {
                nbytes: 0,
                offset: Operand::Num(offset),
                relative: false,
                endian: Endian::Big,
                string: NumString::Binary,
                bitmask: None,
            },
            nbytes,
            oper,
            rvalue,
            bitmask,
            slot: 1,
        })
    }

    /// Runs `op` on `buf` with slot 0 = `v0`; the result slot (1), or None
    /// when it does not match.
    fn math(op: Op, buf: &[u8], v0: i64) -> Option<u64> {
        let mut vars = [0; MAX_BYTE_VARS];
        vars[0] = v0;
        let mut insp = Inspection::new(buf, vars);
        insp.run(&[op]).then_some(insp.vars[1] as u64)
    }

    #[test]
    fn byte_math_operations() {
        let n1 = Operand::Num(1);
        let buf = [0xf0, 0x05, 0x00, 0x02];
        assert_eq!(math(byte_math(n1, 1, MathOp::Add, Operand::Num(3), None), &buf, 0), Some(8));
        // Unsigned 64-bit arithmetic wraps.
        assert_eq!(math(byte_math(n1, 1, MathOp::Sub, Operand::Num(6), None), &buf, 0), Some(u64::MAX));
        assert_eq!(math(byte_math(n1, 1, MathOp::Mul, Operand::Var(0), None), &buf, 3), Some(15));
        assert_eq!(math(byte_math(n1, 1, MathOp::Div, Operand::Num(2), None), &buf, 0), Some(2));
        assert_eq!(math(byte_math(n1, 1, MathOp::Div, Operand::Num(0), None), &buf, 0), None);
        assert_eq!(math(byte_math(n1, 1, MathOp::Shl, Operand::Num(2), None), &buf, 0), Some(20));
        assert_eq!(math(byte_math(n1, 1, MathOp::Shl, Operand::Num(64), None), &buf, 0), Some(0));
        assert_eq!(math(byte_math(n1, 0, MathOp::Shr, Operand::Num(4), None), &buf, 0), Some(15));
        assert_eq!(math(byte_math(n1, 1, MathOp::Shr, Operand::Num(64), None), &buf, 0), Some(5), "count mod 64");
        // The bitmask applies after the operation: (0xf0 + 16) & 0xf0 = 0.
        assert_eq!(math(byte_math(n1, 0, MathOp::Add, Operand::Num(16), Some(0xf0)), &buf, 0), Some(0));
        assert_eq!(math(byte_math(n1, 0, MathOp::Shr, Operand::Num(1), Some(0xf0)), &buf, 0), Some(7));
        // The byte count from a variable; binary reads beyond 4 bytes fail.
        assert_eq!(math(byte_math(Operand::Var(0), 2, MathOp::Add, Operand::Num(0), None), &buf, 2), Some(2));
        assert_eq!(math(byte_math(Operand::Var(0), 0, MathOp::Add, Operand::Num(0), None), &buf, 0), None);
        assert_eq!(math(byte_math(Operand::Num(5), 0, MathOp::Add, Operand::Num(0), None), &[1; 8], 0), None);
        assert_eq!(math(byte_math(n1, 4, MathOp::Add, Operand::Num(0), None), &buf, 0), None, "past the end");
        assert_eq!(math(byte_math(n1, -1, MathOp::Add, Operand::Num(0), None), &buf, 0), None);
    }

    #[test]
    fn isdataat_relative() {
        let ops = [op(content("ab")), Op::IsDataAt { pos: Operand::Num(2), negated: false, relative: true }];
        assert!(run(&ops, "abxyz"));
        assert!(run(&ops, "abxy"), "Suricata: cursor + pos <= len");
        assert!(!run(&ops, "abx"));
        let ops = [op(content("ab")), Op::IsDataAt { pos: Operand::Num(1), negated: true, relative: true }];
        assert!(run(&ops, "ab"));
        assert!(!run(&ops, "abx"));
    }
}
