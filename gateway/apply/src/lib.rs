//! The engine applied through the store: each normalized document or analyst action is one
//! database transaction (idempotency mark, engine step, writes, audit events, outbox).
