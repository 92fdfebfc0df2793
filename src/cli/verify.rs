//! `trustctl verify`.

use crate::error::{Error, Result};

use super::{Context, VerifyArgs};

pub async fn run(_ctx: &Context, _args: VerifyArgs) -> Result<()> {
    Err(Error::Usage(
        "`trustctl verify` is not implemented yet".into(),
    ))
}
