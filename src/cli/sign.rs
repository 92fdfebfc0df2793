//! `trustctl sign`.

use crate::error::{Error, Result};

use super::{Context, SignArgs};

pub async fn run(_ctx: &Context, _args: SignArgs) -> Result<()> {
    Err(Error::Usage(
        "`trustctl sign` is not implemented yet".into(),
    ))
}
