//! tls parser (being written).
