//! `trustctl key`.

use crate::error::{Error, Result};

use super::{Context, KeyCommand};

pub async fn run(_ctx: &Context, _args: KeyCommand) -> Result<()> {
    if let KeyCommand::Rotate {
        image,
        role,
        server_managed,
        json,
    } = _args
    {
        return super::rotate::run(_ctx, &image, role, server_managed, json).await;
    }
    Err(Error::Usage("`trustctl key` is not implemented yet".into()))
}
