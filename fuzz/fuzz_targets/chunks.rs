//! Thin target: the body is `sealed_session::fuzzing::chunks`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sealed_session::fuzzing::chunks(data));
