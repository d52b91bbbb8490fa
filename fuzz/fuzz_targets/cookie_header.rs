//! Thin target: the body is `sealed_session::fuzzing::cookie_header`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sealed_session::fuzzing::cookie_header(data));
