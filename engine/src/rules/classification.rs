//! `classification.config`: classtype -> description (EVE `alert.category`)
//! and default priority (EVE `alert.severity`).

use std::collections::HashMap;

/// One classtype.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassType {
    /// Description written as `alert.category`.
    pub description: String,
    /// Default priority (severity).
    pub priority: u8,
}

/// The classification table.
#[derive(Clone, Debug, Default)]
pub struct Classifications {
    map: HashMap<String, ClassType>,
}

impl Classifications {
    /// Parses `config classification: name,description,priority` lines;
    /// malformed lines are returned as (line number, text) for reporting.
    pub fn parse(text: &str) -> (Self, Vec<(usize, String)>) {
        let mut map = HashMap::new();
        let mut bad = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let Some(rest) = t.strip_prefix("config classification:") else {
                bad.push((n + 1, t.to_string()));
                continue;
            };
            let parts: Vec<&str> = rest.splitn(3, ',').map(str::trim).collect();
            match parts.as_slice() {
                [name, desc, prio] => match prio.parse::<u8>() {
                    Ok(p) => {
                        map.insert(name.to_string(), ClassType { description: desc.to_string(), priority: p });
                    }
                    Err(_) => bad.push((n + 1, t.to_string())),
                },
                _ => bad.push((n + 1, t.to_string())),
            }
        }
        (Classifications { map }, bad)
    }

    /// Looks up a classtype.
    pub fn get(&self, name: &str) -> Option<&ClassType> {
        self.map.get(name)
    }

    /// Number of classtypes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no classtype is defined.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        let (c, bad) = Classifications::parse(
            "# comment\nconfig classification: trojan-activity,A Network Trojan was detected,1\nconfig classification: x,y\n",
        );
        assert_eq!(c.get("trojan-activity").unwrap().priority, 1);
        assert_eq!(c.len(), 1);
        assert_eq!(bad.len(), 1);
    }
}
