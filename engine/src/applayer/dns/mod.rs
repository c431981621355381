//! dns parser (being written).
