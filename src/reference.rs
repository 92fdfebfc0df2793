//! Docker image references: parse `IMAGE[:TAG][@DIGEST]` and normalise the repository name
//! as docker does (`alpine` -> `docker.io/library/alpine`). The GUN is the normalised name.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("invalid reference format: {0:?}")]
    Invalid(String),
}
