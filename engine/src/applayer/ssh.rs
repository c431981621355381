//! SSH: only the identification banners (`SSH-2.0-OpenSSH_8.9 comment`),
//! which is what `ssh.proto`, `ssh.software` and `ssh.softwareversion`
//! inspect. Everything after the banner is encrypted.

/// Banners longer than this are not SSH (RFC 4253 allows 255 bytes).
const MAX_BANNER: usize = 255;

/// Banner fields of one side.
#[derive(Clone, Debug, Default)]
pub struct SshSide {
    /// Protocol version (`2.0`).
    pub proto: Option<Vec<u8>>,
    /// Software version (`OpenSSH_8.9`).
    pub software: Option<Vec<u8>>,
    line: Vec<u8>,
    done: bool,
}

/// Both banners of a connection.
#[derive(Clone, Debug, Default)]
pub struct SshState {
    /// [client, server].
    pub sides: [SshSide; 2],
}

impl SshState {
    /// Feeds stream data of one direction.
    pub fn parse(&mut self, to_server: bool, data: &[u8]) {
        let side = &mut self.sides[usize::from(!to_server)];
        if side.done {
            return;
        }
        for &b in data {
            if b == b'\n' {
                side.done = true;
                let line = std::mem::take(&mut side.line);
                let line = line.strip_suffix(b"\r").unwrap_or(&line);
                if let Some(rest) = line.strip_prefix(b"SSH-") {
                    let (proto, soft) = match rest.iter().position(|&c| c == b'-') {
                        Some(p) => (&rest[..p], &rest[p + 1..]),
                        None => (rest, &b""[..]),
                    };
                    let soft_end = soft.iter().position(|&c| c == b' ').unwrap_or(soft.len());
                    side.proto = Some(proto.to_vec());
                    side.software = Some(soft[..soft_end].to_vec());
                }
                return;
            }
            if side.line.len() >= MAX_BANNER {
                side.done = true;
                side.line.clear();
                return;
            }
            side.line.push(b);
        }
    }

    /// The banner fields of one side.
    pub fn side(&self, to_server: bool) -> &SshSide {
        &self.sides[usize::from(!to_server)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners_split_anywhere() {
        let mut s = SshState::default();
        s.parse(true, b"SSH-2.0-PuTTY_Rel");
        s.parse(true, b"ease_0.70 extra\r\nbinary");
        s.parse(false, b"SSH-1.99-OpenSSH_3.9\r\n");
        assert_eq!(s.side(true).software.as_deref(), Some(&b"PuTTY_Release_0.70"[..]));
        assert_eq!(s.side(true).proto.as_deref(), Some(&b"2.0"[..]));
        assert_eq!(s.side(false).proto.as_deref(), Some(&b"1.99"[..]));
        let mut junk = SshState::default();
        junk.parse(true, &[b'x'; 1000]);
        assert!(junk.side(true).software.is_none());
    }
}
