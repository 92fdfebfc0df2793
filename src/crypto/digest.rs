//! SHA-256 and SHA-512 (file checksums, key IDs, digests of blobs), through ring: the same
//! code that verifies signatures, so a process detects the CPU's features once. Each crate
//! that detects them on its own runs `cpuid` again, and on virtual machines every `cpuid`
//! traps to the hypervisor (about 10 µs each on the machines the benchmarks ran on).

use ring::digest::{digest, SHA256, SHA512};

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    digest(&SHA256, bytes)
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes")
}

pub fn sha512(bytes: &[u8]) -> [u8; 64] {
    digest(&SHA512, bytes)
        .as_ref()
        .try_into()
        .expect("SHA-512 is 64 bytes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_answers() {
        assert_eq!(
            hex::encode(super::sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex::encode(super::sha512(b"abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }
}
