//! The AS2 benchmarks' payload: `size` bytes shaped like X12 segments, a first line naming
//! message `n` (so each message differs) and a seeded LCG varying the amounts. Shared by this
//! crate's `as2_receive` and the gateway's `as2_post` (`#[path]` include).

/// `size` bytes of payload for message `n`.
pub fn payload(size: usize, n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 64);
    out.extend_from_slice(format!("bench payload {n:012}\r\n").as_bytes());
    let mut state: u64 = 0x5eed ^ n;
    while out.len() < size {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(
            format!(
                "CON*PRICE*{}.{:02}*EA~\r\n",
                (state >> 40) % 100000,
                (state >> 20) % 100
            )
            .as_bytes(),
        );
    }
    out.truncate(size);
    out
}
