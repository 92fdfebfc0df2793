//! Arbitrary bytes as Notary metadata: never panics; Go re-serialisation is a fixed point.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    trustctl::tuf::fuzz_bodies::parse_metadata(data);
});
