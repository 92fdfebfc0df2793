//! `trustctl login` and `trustctl logout`.

use crate::error::{Error, Result};

use super::{Context, LoginArgs, LogoutArgs};

pub async fn login(_ctx: &Context, _args: LoginArgs) -> Result<()> {
    Err(Error::Usage(
        "`trustctl login` is not implemented yet".into(),
    ))
}

pub async fn logout(_ctx: &Context, _args: LogoutArgs) -> Result<()> {
    Err(Error::Usage(
        "`trustctl logout` is not implemented yet".into(),
    ))
}
