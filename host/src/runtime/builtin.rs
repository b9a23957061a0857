//! The components compiled into the binary by `build.rs`.

/// (name, bytes) of each built-in component.
pub const COMPONENTS: [(&str, &[u8]); 1] = [("generic", include_bytes!(env!("FLOWAUTH_COMPONENT_GENERIC")))];
