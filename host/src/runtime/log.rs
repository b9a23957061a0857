//! The `log` import: component messages into `tracing`, tagged with the
//! component's name.

use super::bindings::flowauth::oauth::log::Level;

/// Writes one component message.
pub fn write(component: &str, level: Level, message: &str) {
    match level {
        Level::Trace => tracing::trace!(target: "flowauth::component", component, "{message}"),
        Level::Debug => tracing::debug!(target: "flowauth::component", component, "{message}"),
        Level::Info => tracing::info!(target: "flowauth::component", component, "{message}"),
        Level::Warn => tracing::warn!(target: "flowauth::component", component, "{message}"),
        Level::Error => tracing::error!(target: "flowauth::component", component, "{message}"),
    }
}
