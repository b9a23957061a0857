//! `flowauth init`: creates the store the other commands need, without
//! serving (they refuse to run where there is none). Running it again on a
//! store changes nothing.

use serde_json::json;

use super::context::Context;
use super::output::line;

pub async fn run(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let config = ctx.store_config(None);
    let store = ctx.store().await?;
    let data_dir = std::path::absolute(&ctx.data_dir)?;
    match json {
        true => line(json!({"store": config.display(), "backend": store.backend_name(), "data_dir": data_dir})),
        false => line(format!("the store is ready: {}", config.display())),
    }
    Ok(())
}
