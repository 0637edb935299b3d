//! `chargegate serve`: receivers, parse/map workers, engine consumers, outbound senders and
//! HTTP on one tokio runtime (design.md 1, 6-9, 11).
