//! http parser (being written).
