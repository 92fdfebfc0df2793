//! `trustctl server`.

use crate::error::{Error, Result};

use super::{Context, ServerArgs};

pub async fn run(_ctx: &Context, _args: ServerArgs) -> Result<()> {
    Err(Error::Usage(
        "`trustctl server` is not implemented yet".into(),
    ))
}
