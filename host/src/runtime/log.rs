//! The `log` import: component messages into `tracing`, tagged with the
//! component's name.

use super::types::LogLevel;

/// Writes one component message.
pub fn write(component: &str, level: LogLevel, message: &str) {
    match level {
        LogLevel::Trace => tracing::trace!(target: "flowauth::component", component, "{message}"),
        LogLevel::Debug => tracing::debug!(target: "flowauth::component", component, "{message}"),
        LogLevel::Info => tracing::info!(target: "flowauth::component", component, "{message}"),
        LogLevel::Warn => tracing::warn!(target: "flowauth::component", component, "{message}"),
        LogLevel::Error => tracing::error!(target: "flowauth::component", component, "{message}"),
    }
}
