//! Arbitrary bytes as a PEM private key file: never panics; parsed keys round-trip.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    trustctl::keystore::fuzz_key_file(data);
});
