//! `trustctl lock`.

use crate::error::{Error, Result};

use super::{Context, LockCommand};

pub async fn run(_ctx: &Context, _args: LockCommand) -> Result<()> {
    Err(Error::Usage(
        "`trustctl lock` is not implemented yet".into(),
    ))
}
