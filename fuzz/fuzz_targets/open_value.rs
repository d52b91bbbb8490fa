//! Thin target: the body is `sealed_session::fuzzing::open_value`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sealed_session::fuzzing::open_value(data));
