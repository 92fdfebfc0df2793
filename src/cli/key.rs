//! `trustctl key`.

use crate::error::{Error, Result};

use super::{Context, KeyCommand};

pub async fn run(_ctx: &Context, _args: KeyCommand) -> Result<()> {
    Err(Error::Usage("`trustctl key` is not implemented yet".into()))
}
