//! `fast.log`: Suricata's one-line-per-alert text log, written next to
//! `eve.json` when a log folder is given (`-l DIR`), for the habits and
//! scripts that `tail` and `grep` it.
//!
//! `MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [gid:sid:rev] msg [**] [Classification:
//! class] [Priority: n] {PROTO} src:port -> dst:port`, the time as the EVE
//! record gives it. The sink takes EVE lines like any other and renders
//! the alerts among them, so it sees exactly what `eve.json` gets.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde_json::Value;

use super::Sink;

/// A `fast.log` writer over any byte sink.
pub struct FastLog<W: Write + Send> {
    out: BufWriter<W>,
}

impl FastLog<std::fs::File> {
    /// Appends to `path`, as Suricata does.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(FastLog::new(OpenOptions::new().create(true).append(true).open(path)?))
    }
}

impl<W: Write + Send> FastLog<W> {
    /// Writes to `w`.
    pub fn new(w: W) -> Self {
        FastLog { out: BufWriter::new(w) }
    }

    /// The writer back (tests).
    pub fn into_inner(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// The fast.log line of an EVE alert record, None for other records.
pub fn line(rec: &Value) -> Option<String> {
    if rec["event_type"] != "alert" {
        return None;
    }
    let a = &rec["alert"];
    // 2024-01-01T00:00:00.003000+0000 -> 01/01/2024-00:00:00.003000
    let ts = rec["timestamp"].as_str()?;
    let (date, rest) = ts.split_once('T')?;
    let time = rest.get(..15)?;
    let mut d = date.splitn(3, '-');
    let (y, m, day) = (d.next()?, d.next()?, d.next()?);
    let class = a["category"].as_str().filter(|c| !c.is_empty()).unwrap_or("(null)");
    let endpoint = |ip: &str, port: &Value, icmp: &Value| {
        let p = port.as_u64().or_else(|| icmp.as_u64()).unwrap_or(0);
        format!("{ip}:{p}")
    };
    Some(format!(
        "{m}/{day}/{y}-{time}  [**] [{}:{}:{}] {} [**] [Classification: {class}] [Priority: {}] {{{}}} {} -> {}",
        a["gid"],
        a["signature_id"],
        a["rev"],
        a["signature"].as_str().unwrap_or(""),
        a["severity"],
        rec["proto"].as_str().unwrap_or(""),
        endpoint(rec["src_ip"].as_str().unwrap_or(""), &rec["src_port"], &rec["icmp_type"]),
        endpoint(rec["dest_ip"].as_str().unwrap_or(""), &rec["dest_port"], &rec["icmp_code"]),
    ))
}

impl<W: Write + Send> Sink for FastLog<W> {
    fn write_record(&mut self, json: &str) -> io::Result<()> {
        // Cheap test first: most records are not alerts.
        if !json.contains("\"event_type\":\"alert\"") {
            return Ok(());
        }
        let rec: Value = serde_json::from_str(json).map_err(io::Error::other)?;
        match line(&rec) {
            Some(l) => writeln!(self.out, "{l}"),
            None => Ok(()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_suricatas_fast_log_line() {
        let rec = r#"{"timestamp":"2024-01-05T04:16:14.271601+0000","flow_id":1,"pcap_cnt":7,"event_type":"alert","src_ip":"10.0.0.1","src_port":40000,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2013028,"rev":4,"signature":"ET POLICY curl User-Agent Outbound","category":"Attempted Information Leak","severity":2}}"#;
        let mut f = FastLog::new(Vec::new());
        f.write_record(rec).unwrap();
        f.write_record(r#"{"timestamp":"2024-01-05T04:16:14.271601+0000","event_type":"flow"}"#).unwrap();
        f.flush().unwrap();
        let out = String::from_utf8(f.into_inner().unwrap()).unwrap();
        assert_eq!(
            out,
            "01/05/2024-04:16:14.271601  [**] [1:2013028:4] ET POLICY curl User-Agent Outbound [**] \
             [Classification: Attempted Information Leak] [Priority: 2] {TCP} 10.0.0.1:40000 -> 10.0.0.2:80\n"
        );
        let icmp: Value = serde_json::from_str(
            r#"{"timestamp":"2024-01-05T04:16:14.271601+0000","event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"ICMP","icmp_type":8,"icmp_code":0,"alert":{"gid":1,"signature_id":1,"rev":0,"signature":"ping","category":"","severity":3}}"#,
        )
        .unwrap();
        assert!(line(&icmp)
            .unwrap()
            .ends_with("[Classification: (null)] [Priority: 3] {ICMP} 10.0.0.1:8 -> 10.0.0.2:0"));
    }
}
