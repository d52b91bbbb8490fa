//! Thin target: the body is `sealed_session::fuzzing::format_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sealed_session::fuzzing::format_parse(data));
