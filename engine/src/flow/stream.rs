//! TCP reassembly (being written).
