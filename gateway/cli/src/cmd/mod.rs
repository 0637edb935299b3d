//! One module per subcommand; each parses nothing itself beyond its clap `Args`.

pub mod ack;
pub mod adjudicate;
pub mod batch_disputes;
pub mod batches;
pub mod demo;
pub mod input;
pub mod ops;
pub mod parse;
pub mod partner;
pub mod prices;
pub mod render;
pub mod roster;
pub mod translate;
pub mod validate;
