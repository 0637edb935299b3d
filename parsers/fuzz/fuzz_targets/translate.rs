//! The `translate_all` checks (`src/translate_all.rs`) on any bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../src/translate_all.rs"]
mod translate_all;

fuzz_target!(|data: &[u8]| {
    translate_all::translate_everywhere(data);
});
