//! The bindings of each released version of the WIT contract, one module
//! per version (Zed's `since_vX` pattern). A released version never
//! changes: `0.2` will be added beside `v0_1`, and the host keeps loading
//! components built against `0.1`.

pub mod v0_1;
