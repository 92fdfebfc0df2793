//! `trustctl revoke`.

use crate::error::{Error, Result};

use super::{Context, RevokeArgs};

pub async fn run(_ctx: &Context, _args: RevokeArgs) -> Result<()> {
    Err(Error::Usage(
        "`trustctl revoke` is not implemented yet".into(),
    ))
}
