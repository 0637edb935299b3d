//! Any bytes through the full validator (envelope, element and segment syntax), strict and
//! lenient ISA modes: no panic, and every diagnostic renders.

#![no_main]

use libfuzzer_sys::fuzz_target;
use x12::validate::{ValidateOptions, validate};
use x12::{IsaMode, ReaderOptions};

fuzz_target!(|data: &[u8]| {
    for isa_mode in [IsaMode::Strict, IsaMode::Lenient] {
        let reader = ReaderOptions {
            isa_mode,
            max_segment_len: 64 << 10,
            chunk_size: 4096,
        };
        let opts = ValidateOptions {
            file: Some("fuzz.x12".to_owned()),
            keep_all_sets: true,
            ..ValidateOptions::default()
        };
        let out = validate(data, reader, opts);
        assert!(out.segments <= data.len() as u64);
        for d in &out.diagnostics {
            let _ = d.to_string();
        }
    }
});
