//! The components compiled into the binary: every family of the
//! `components/` workspace, listed by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
