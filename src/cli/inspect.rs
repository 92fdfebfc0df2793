//! `trustctl inspect`.

use crate::error::{Error, Result};

use super::{Context, InspectArgs};

pub async fn run(_ctx: &Context, _args: InspectArgs) -> Result<()> {
    Err(Error::Usage(
        "`trustctl inspect` is not implemented yet".into(),
    ))
}
