//! `vigil db update|push|keygen` (feeds over HTTP and signed OCI artifacts).

use anyhow::{Result, bail};
use vigil_cli::{DbKeygenArgs, DbPushArgs, DbUpdateArgs};

pub fn update(_a: DbUpdateArgs) -> Result<()> {
    bail!("`vigil db update` is being wired up")
}

pub fn push(_a: DbPushArgs) -> Result<()> {
    bail!("`vigil db push` is being wired up")
}

pub fn keygen(_a: DbKeygenArgs) -> Result<()> {
    bail!("`vigil db keygen` is being wired up")
}
