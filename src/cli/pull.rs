//! `trustctl pull`.

use crate::error::{Error, Result};

use super::{Context, PullArgs};

pub async fn run(_ctx: &Context, _args: PullArgs) -> Result<()> {
    Err(Error::Usage(
        "`trustctl pull` is not implemented yet".into(),
    ))
}
