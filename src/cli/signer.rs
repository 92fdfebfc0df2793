//! `trustctl signer`.

use crate::error::{Error, Result};

use super::{Context, SignerCommand};

pub async fn run(_ctx: &Context, _args: SignerCommand) -> Result<()> {
    Err(Error::Usage(
        "`trustctl signer` is not implemented yet".into(),
    ))
}
