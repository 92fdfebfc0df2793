//! Arbitrary JSON: canonical form is stable under parse -> canonicalise.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    trustctl::tuf::fuzz_bodies::canonical_roundtrip(data);
});
