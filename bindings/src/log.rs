//! The core's log lines, delivered to the app: [`set_log_sink`] hands every `tracing`
//! event Cordon emits at or above a level to the app's [`LogSink`] (Logcat, os_log, a
//! file), as a [`LogEntry`].
//!
//! ## How
//! The first call installs, as the process's default `tracing` subscriber, a registry with
//! one layer ([`SinkLayer`]) that reads the sink and the level from a [`Slot`]; later calls
//! only change the slot. Events below the level, and events of crates other than Cordon's
//! own, are filtered at the callsite: the layer tells `tracing` its maximum level and
//! registers no interest in the rest, and every change of the slot rebuilds `tracing`'s
//! interest cache. What a disabled `debug!` costs is then one relaxed load and a compare.
//!
//! ## What reaches the app
//! Only events whose target is one of Cordon's crates (`cordon_core`, `cordon_ffi`,
//! ...): a third-party crate inside the library (an HTTP stack, say) may log URLs or
//! headers, and those never leave Rust. Cordon's own events carry ids, counts and
//! outcomes, never narratives, notes, codenames, coordinates, tokens or codes.
//!
//! ## Failures
//! A sink that throws, or panics, loses that one entry; the code that logged carries on
//! (nothing unwinds past [`SinkLayer`]). An event logged while the sink runs on the same
//! thread (the sink calling back into Cordon) is dropped rather than recursing.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::span;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// How severe a log entry is, most severe first. A sink installed at a level receives
/// that level and every more severe one (`INFO`: info, warn and error).
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// One line of the core's log.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub level: LogLevel,
    /// Where in Cordon it was logged: the Rust module path, e.g. `cordon_core::sync`.
    pub target: String,
    /// What happened, e.g. `sync pass ended`.
    pub message: String,
    /// The event's fields, and those of the operations (spans) it happened in, by name,
    /// with their values as text: `outcome` -> `completed`, `applied` -> `3`. Where an
    /// event and a span use one name, the event's value is kept.
    pub fields: HashMap<String, String>,
    /// The message followed by every field as `key=value`, in the order they were logged
    /// (the event's, then its spans' from the innermost): what Logcat or os_log shows.
    /// `sync pass ended outcome=completed requests=2 applied=3 duplicates=0 rejected=0`
    pub line: String,
}

/// Why a `LogSink` failed. Sinks never need to throw it: anything a sink throws loses
/// that entry and nothing else.
#[derive(uniffi::Error, Clone, Debug, PartialEq, Eq)]
pub enum LogSinkError {
    Failed { detail: String },
}

impl fmt::Display for LogSinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogSinkError::Failed { detail } => write!(f, "the log sink failed: {detail}"),
        }
    }
}

impl std::error::Error for LogSinkError {}

impl From<uniffi::UnexpectedUniFFICallbackError> for LogSinkError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // Kotlin sends the whole stack trace: keep its first line (the exception).
        LogSinkError::Failed {
            detail: e.reason.lines().next().unwrap_or_default().to_owned(),
        }
    }
}

/// Receives the core's log entries (implemented by the app).
///
/// Called on the thread that logged, a sync worker included, while that work waits:
/// return quickly (hand the entry to Logcat, os_log or a queue). Throwing is harmless:
/// the entry is lost and the work that logged carries on.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, entry: LogEntry) -> Result<(), LogSinkError>;
}

/// Sends the core's log entries at `level` and above to `sink`; `null`/`nil` stops them.
///
/// Call it as often as you like, to replace the sink or change the level: the change
/// holds from the next entry on. The library logs nothing to the app until the first call.
#[uniffi::export]
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>, level: LogLevel) {
    global().set(sink, level);
}

/// The slot of the process's default subscriber, installed on first use.
fn global() -> &'static Slot {
    static GLOBAL: OnceLock<Arc<Slot>> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let slot = Arc::new(Slot::default());
        let subscriber = tracing_subscriber::registry().with(SinkLayer(slot.clone()));
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            // A Rust host (never a Kotlin or Swift app: libcordon's `tracing` is its own)
            // installed its own subscriber first. Say so where its logs go.
            tracing::warn!("another tracing subscriber is the process's default: the log sink receives nothing");
        }
        slot
    })
}

/// A sink and the most verbose level it receives; changed by [`Slot::set`].
#[derive(Default)]
struct Slot {
    sink: RwLock<Option<Arc<dyn LogSink>>>,
    /// [`verbosity`] of the most verbose level delivered; 0 (nothing) without a sink.
    max: AtomicU8,
}

impl Slot {
    fn set(&self, sink: Option<Arc<dyn LogSink>>, level: LogLevel) {
        {
            // The level is stored under the sink's lock, so that two racing calls cannot
            // leave one's sink with the other's level.
            let mut current = self.sink.write().unwrap_or_else(|p| p.into_inner());
            let max = if sink.is_some() { level.verbosity() } else { 0 };
            *current = sink;
            self.max.store(max, Ordering::Relaxed);
        }
        // Callsites cached their interest at the old level; ask them again.
        tracing::callsite::rebuild_interest_cache();
    }

    fn delivers(&self, metadata: &Metadata<'_>) -> bool {
        is_cordon(metadata.target())
            && LogLevel::from(*metadata.level()).verbosity() <= self.max.load(Ordering::Relaxed)
    }

    fn sink(&self) -> Option<Arc<dyn LogSink>> {
        self.sink.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Cordon's crates (`cordon_core`, `cordon_ffi`, `cordon_server`, ...), not their
/// dependencies.
fn is_cordon(target: &str) -> bool {
    target == "cordon" || target.starts_with("cordon_") || target.starts_with("cordon::")
}

impl LogLevel {
    /// 1 for error up to 5 for trace (0 is "nothing").
    fn verbosity(self) -> u8 {
        match self {
            LogLevel::Error => 1,
            LogLevel::Warn => 2,
            LogLevel::Info => 3,
            LogLevel::Debug => 4,
            LogLevel::Trace => 5,
        }
    }
}

impl From<Level> for LogLevel {
    fn from(level: Level) -> Self {
        match level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }
}

/// The layer that turns events into [`LogEntry`]s for the slot's sink.
struct SinkLayer(Arc<Slot>);

/// The fields a span was created or later recorded with, kept in its extensions.
struct SpanFields(Vec<(&'static str, String)>);

impl<S> Layer<S> for SinkLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.0.delivers(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.0.delivers(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match self.0.max.load(Ordering::Relaxed) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 => LevelFilter::INFO,
            4 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.fields));
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let mut recorded = Fields::default();
        values.record(&mut recorded);
        if let Some(span) = ctx.span(id) {
            if let Some(SpanFields(fields)) = span.extensions_mut().get_mut::<SpanFields>() {
                fields.extend(recorded.fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // Interest may be a moment stale after a change: check the slot itself too.
        if !self.0.delivers(event.metadata()) {
            return;
        }
        let Some(sink) = self.0.sink() else { return };
        let _guard = match SinkCall::enter() {
            Some(guard) => guard,
            None => return, // logged by the sink itself
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope {
                if let Some(SpanFields(span_fields)) = span.extensions().get::<SpanFields>() {
                    fields.fields.extend(span_fields.iter().cloned());
                }
            }
        }
        let entry = fields.into_entry(event.metadata());
        // A Kotlin or Swift exception arrives as Err; a panic (a bug) must not unwind
        // into the code that logged either.
        let _ = catch_unwind(AssertUnwindSafe(|| sink.log(entry)));
    }
}

thread_local! {
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as inside the sink until dropped; `None` if it already is.
struct SinkCall;

impl SinkCall {
    fn enter() -> Option<SinkCall> {
        IN_SINK
            .with(|inside| !inside.replace(true))
            .then_some(SinkCall)
    }
}

impl Drop for SinkCall {
    fn drop(&mut self) {
        IN_SINK.with(|inside| inside.set(false));
    }
}

/// Collects an event's or a span's message and fields as text, in order.
#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, format!("{value:?}"));
    }
}

impl Fields {
    fn push(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            name => self.fields.push((name, value)),
        }
    }

    fn into_entry(self, metadata: &Metadata<'_>) -> LogEntry {
        let mut line = self.message.clone();
        for (name, value) in &self.fields {
            line.push(' ');
            line.push_str(name);
            line.push('=');
            push_value(&mut line, value);
        }
        let mut fields = HashMap::with_capacity(self.fields.len());
        // Event fields come first: the first value of a name wins.
        for (name, value) in self.fields {
            fields.entry(name.to_owned()).or_insert(value);
        }
        LogEntry {
            level: LogLevel::from(*metadata.level()),
            target: metadata.target().to_owned(),
            message: self.message,
            fields,
            line,
        }
    }
}

/// A value as `key=value` needs it: quoted (with escapes) if it is empty or has spaces,
/// quotes or `=` in it, so that the line splits back into its fields.
fn push_value(line: &mut String, value: &str) {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '=' || c.is_control());
    if plain {
        line.push_str(value);
    } else {
        line.push_str(&format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Keeps what it is given; fails instead when `fail` is set.
    #[derive(Default)]
    struct Recorder {
        entries: Mutex<Vec<LogEntry>>,
        fail: bool,
    }

    impl LogSink for Recorder {
        fn log(&self, entry: LogEntry) -> Result<(), LogSinkError> {
            if self.fail {
                return Err(LogSinkError::Failed {
                    detail: "disk full".into(),
                });
            }
            self.entries.lock().unwrap().push(entry);
            Ok(())
        }
    }

    impl Recorder {
        fn lines(&self) -> Vec<String> {
            self.entries
                .lock()
                .unwrap()
                .iter()
                .map(|e| e.line.clone())
                .collect()
        }
    }

    struct Panicker;
    impl LogSink for Panicker {
        fn log(&self, _: LogEntry) -> Result<(), LogSinkError> {
            panic!("a sink with a bug")
        }
    }

    /// Runs `body` with a subscriber of its own (this thread only) over `slot`.
    fn with_slot(slot: &Arc<Slot>, body: impl FnOnce()) {
        let subscriber = tracing_subscriber::registry().with(SinkLayer(slot.clone()));
        tracing::subscriber::with_default(subscriber, body);
    }

    fn slot_with(sink: Arc<dyn LogSink>, level: LogLevel) -> Arc<Slot> {
        let slot = Arc::new(Slot::default());
        slot.set(Some(sink), level);
        slot
    }

    #[test]
    fn an_event_arrives_with_its_level_target_message_and_fields() {
        let recorder = Arc::new(Recorder::default());
        let slot = slot_with(recorder.clone(), LogLevel::Info);
        with_slot(&slot, || {
            tracing::info!(target: "cordon_core::sync", outcome = "completed", applied = 3u32, "sync pass ended");
        });
        let entries = recorder.entries.lock().unwrap();
        assert_eq!(
            *entries,
            vec![LogEntry {
                level: LogLevel::Info,
                target: "cordon_core::sync".into(),
                message: "sync pass ended".into(),
                fields: HashMap::from([
                    ("outcome".into(), "completed".into()),
                    ("applied".into(), "3".into()),
                ]),
                line: "sync pass ended outcome=completed applied=3".into(),
            }]
        );
    }

    #[test]
    fn events_below_the_level_are_not_delivered() {
        let recorder = Arc::new(Recorder::default());
        let slot = slot_with(recorder.clone(), LogLevel::Warn);
        with_slot(&slot, || {
            tracing::info!(target: "cordon_core::sync", "not this");
            tracing::debug!(target: "cordon_core::sync", "nor this");
            tracing::warn!(target: "cordon_core::sync", "this");
            tracing::error!(target: "cordon_core::sync", "and this");
        });
        assert_eq!(recorder.lines(), ["this", "and this"]);
    }

    #[test]
    fn changing_the_level_and_removing_the_sink_hold_from_the_next_event() {
        let recorder = Arc::new(Recorder::default());
        let slot = slot_with(recorder.clone(), LogLevel::Warn);
        with_slot(&slot, || {
            let debug = |n: u32| tracing::debug!(target: "cordon_core::store", n, "written");
            debug(1);
            slot.set(Some(recorder.clone()), LogLevel::Debug);
            debug(2);
            slot.set(None, LogLevel::Trace);
            debug(3);
        });
        assert_eq!(recorder.lines(), ["written n=2"]);
    }

    #[test]
    fn events_of_other_crates_never_reach_the_sink() {
        let recorder = Arc::new(Recorder::default());
        let slot = slot_with(recorder.clone(), LogLevel::Trace);
        with_slot(&slot, || {
            tracing::info!(target: "ureq::unit", url = "https://sync.example.com/?token=x", "request");
            tracing::info!(target: "cordonish", "not ours either");
            tracing::info!(target: "cordon_ffi::log", "ours");
        });
        assert_eq!(recorder.lines(), ["ours"]);
    }

    #[test]
    fn span_fields_follow_the_events_own_and_the_event_wins_a_shared_name() {
        let recorder = Arc::new(Recorder::default());
        let slot = slot_with(recorder.clone(), LogLevel::Info);
        with_slot(&slot, || {
            let pass = tracing::info_span!(target: "cordon_core::sync", "pass", pass = 7u32, lane = "urgent");
            let _pass = pass.enter();
            let batch = tracing::info_span!(target: "cordon_core::sync", "batch", batch = 2u32, op_id = tracing::field::Empty);
            batch.record("op_id", "0190c0de");
            let _batch = batch.enter();
            tracing::info!(target: "cordon_core::sync", lane = "normal", "batch sent");
        });
        let entries = recorder.entries.lock().unwrap();
        assert_eq!(
            entries[0].line,
            "batch sent lane=normal batch=2 op_id=0190c0de pass=7 lane=urgent"
        );
        assert_eq!(entries[0].fields["lane"], "normal");
        assert_eq!(entries[0].fields["op_id"], "0190c0de");
    }

    #[test]
    fn values_that_would_split_the_line_are_quoted() {
        let recorder = Arc::new(Recorder::default());
        let slot = slot_with(recorder.clone(), LogLevel::Info);
        with_slot(&slot, || {
            tracing::info!(target: "cordon_core::sync", reason = "rate limited", code = "", eq = "a=b", "retry");
        });
        assert_eq!(
            recorder.lines(),
            [r#"retry reason="rate limited" code="" eq="a=b""#]
        );
        assert_eq!(
            recorder.entries.lock().unwrap()[0].fields["reason"],
            "rate limited"
        );
    }

    #[test]
    fn a_failing_or_panicking_sink_loses_the_entry_and_nothing_else() {
        for sink in [
            Arc::new(Recorder {
                fail: true,
                ..Default::default()
            }) as Arc<dyn LogSink>,
            Arc::new(Panicker),
        ] {
            let slot = slot_with(sink, LogLevel::Info);
            let mut after = false;
            with_slot(&slot, || {
                tracing::info!(target: "cordon_core::sync", "sync pass ended");
                after = true;
            });
            assert!(after);
        }
    }

    #[test]
    fn an_event_the_sink_itself_causes_is_dropped_instead_of_recursing() {
        struct Chatty(Recorder);
        impl LogSink for Chatty {
            fn log(&self, entry: LogEntry) -> Result<(), LogSinkError> {
                tracing::info!(target: "cordon_core::store", "read from inside the sink");
                self.0.log(entry)
            }
        }
        let chatty = Arc::new(Chatty(Recorder::default()));
        let slot = slot_with(chatty.clone(), LogLevel::Info);
        with_slot(
            &slot,
            || tracing::info!(target: "cordon_core::sync", "outer"),
        );
        assert_eq!(chatty.0.lines(), ["outer"]);
    }
}
