//! Shared by the functions crate's tests: an EMF emitter that records what the notify function would print.

#![allow(dead_code, reason = "each test binary uses part of the support module")]

use std::sync::Arc;

use emf::{Config, DimensionValue, Emitter, Memory, Namespace, Target};

/// An enabled emitter for the notify function writing into the returned sink, which tests read with `take()`.
pub fn recording_notify_emitter() -> (Arc<Memory>, Arc<Emitter>) {
    let sink = Arc::new(Memory::new());
    let target = Target::new(
        Namespace::new("HarbourView/test").unwrap(),
        DimensionValue::new("booking").unwrap(),
        DimensionValue::new("notify").unwrap(),
    );
    let emitter = Arc::new(Emitter::new(Config::Enabled(target), booking_metrics::BUILTINS, Arc::clone(&sink)));
    (sink, emitter)
}
