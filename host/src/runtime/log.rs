//! The `log` import: component messages into `tracing`, tagged with the
//! component's name, without the client's secrets (a component may quote
//! a provider that echoed one).

use super::redact::scrub;
use super::types::LogLevel;

/// Writes one component message, with `secrets` redacted.
pub fn write(component: &str, level: LogLevel, message: &str, secrets: &[&str]) {
    let message = scrub(message.to_owned(), secrets);
    match level {
        LogLevel::Trace => tracing::trace!(target: "flowauth::component", component, "{message}"),
        LogLevel::Debug => tracing::debug!(target: "flowauth::component", component, "{message}"),
        LogLevel::Info => tracing::info!(target: "flowauth::component", component, "{message}"),
        LogLevel::Warn => tracing::warn!(target: "flowauth::component", component, "{message}"),
        LogLevel::Error => tracing::error!(target: "flowauth::component", component, "{message}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_component_message_carries_no_secret() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || sink.clone()).finish();
        tracing::subscriber::with_default(subscriber, || {
            write("chatty", LogLevel::Warn, "the provider said: bad client_secret=s3cret%2Fwith%2B", &["s3cret/with+"]);
        });
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("the provider said: bad client_secret=[redacted]"), "{logged}");
    }
}
