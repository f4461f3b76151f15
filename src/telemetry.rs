//! Structured logging with `tracing`, as text or JSON lines (`[log]` settings; `RUST_LOG` wins),
//! and, when `[telemetry] otlp_endpoint` is set, OpenTelemetry spans exported over OTLP/HTTP.
//! JSON lines carry the fields of the span they happen in, the request's `trace_id` among them.

use std::io::IsTerminal;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, LogSettings, TelemetrySettings};

/// The span exporter, if any: flushed on [`Telemetry::shutdown`].
#[must_use = "shut it down at exit to flush the last spans"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still buffered (bounded by the exporter's own timeout).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(error) = provider.shutdown() {
                eprintln!("exporting the last spans failed: {error}");
            }
        }
    }
}

/// Logs only (tools such as `vitrine feed`).
pub fn init(settings: &LogSettings) {
    let _ = init_with(settings, &TelemetrySettings::default());
}

/// Logs, and spans over OTLP when configured. W3C trace context (`traceparent`) is the
/// propagation format.
pub fn init_with(log: &LogSettings, telemetry: &TelemetrySettings) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.filter));
    let ansi = std::io::stdout().is_terminal();
    let fmt = match log.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer().with_ansi(ansi).boxed(),
    };
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let provider = exporter(telemetry);
    EXPORTING.store(provider.is_some(), std::sync::atomic::Ordering::Relaxed);
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer().with_tracer(p.tracer(telemetry.service_name.clone()))
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    Telemetry { provider }
}

fn exporter(telemetry: &TelemetrySettings) -> Option<SdkTracerProvider> {
    if telemetry.otlp_endpoint.is_empty() {
        return None;
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(telemetry.otlp_endpoint.clone())
        .build();
    match exporter {
        Ok(exporter) => Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    Resource::builder()
                        .with_service_name(telemetry.service_name.clone())
                        .build(),
                )
                .build(),
        ),
        Err(error) => {
            eprintln!("no span export to {}: {error}", telemetry.otlp_endpoint);
            None
        }
    }
}

/// The W3C trace id of the current request: from the span's OpenTelemetry context when spans are
/// exported, else from the `traceparent` header; `None` without either (there is no trace).
pub fn trace_id(span: &tracing::Span, traceparent: Option<&str>) -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let context = span.context();
    let id = context.span().span_context().trace_id();
    if id != opentelemetry::trace::TraceId::INVALID {
        return Some(format!("{id}"));
    }
    traceparent.and_then(parent_trace_id).map(str::to_string)
}

/// Whether spans are exported (requests then always get a traced span).
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Reads W3C trace context from HTTP headers.
pub struct HeaderExtractor<'a>(pub &'a axum::http::HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The trace id of a `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`), if well formed.
pub fn parent_trace_id(header: &str) -> Option<&str> {
    let mut parts = header.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2)
        && hex(trace, 32)
        && hex(span, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0');
    valid.then_some(trace)
}

/// A child span of a traced request (one with a `traceparent`, or with spans exported); none
/// otherwise, so untraced requests pay nothing for it.
pub fn traced_span(make: impl FnOnce() -> tracing::Span) -> tracing::Span {
    if tracing::Span::current().is_none() {
        tracing::Span::none()
    } else {
        make()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_forms() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            parent_trace_id(good),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        for bad in [
            "",
            "00-zz-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            assert_eq!(parent_trace_id(bad), None, "{bad}");
        }
        assert_eq!(trace_id(&tracing::Span::none(), None), None);
        assert_eq!(
            trace_id(&tracing::Span::none(), Some(good)).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }
}
