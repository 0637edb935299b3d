#!/usr/bin/env bash
# Runs every cargo-fuzz target (the x12 crate's tokenizer and validator, and the whole
# translation through partner-maps) for SECONDS each (default 60), seeded with
# parsers/fuzz/seeds, and copies any crash, timeout or OOM input into parsers/fuzz/regressions/
# (as TARGET-NAME) so that `cargo test` replays it from then on (`parsers/tests/fuzz_corpus.rs`,
# `partner-maps/tests/fuzz_replay.rs`).
#
#   scripts/fuzz.sh          # 60 s per target
#   scripts/fuzz.sh 30       # what CI runs
#   scripts/fuzz.sh 14400    # a long run
#
# Works on stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags.
# Exits 1 when a target found a failing input (after running every target).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
TARGETS=(tokenize validate translate)
FUZZ_DIR=parsers/fuzz

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi

export RUSTC_BOOTSTRAP=1
failed=0
for target in "${TARGETS[@]}"; do
  corpus="$FUZZ_DIR/corpus/$target"
  artifacts="$FUZZ_DIR/artifacts/$target"
  # Start with no artifacts, so only this run's findings count (old ones are in regressions/).
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  echo "==> fuzzing $target for ${SECONDS_PER_TARGET}s" >&2
  # New inputs go to the (gitignored) corpus; the committed seeds are read only.
  if ! cargo fuzz run --fuzz-dir "$FUZZ_DIR" "$target" "$corpus" "$FUZZ_DIR/seeds" -- \
      -max_len=65536 \
      -max_total_time="$SECONDS_PER_TARGET" \
      -timeout=10 \
      -dict="$FUZZ_DIR/x12.dict" \
      -artifact_prefix="$artifacts/" \
      -print_final_stats=1; then
    failed=1
  fi
  shopt -s nullglob
  for f in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*; do
    dest="$FUZZ_DIR/regressions/$target-$(basename "$f")"
    if [ ! -e "$dest" ]; then
      cp "$f" "$dest"
      echo "new failing input: $dest" >&2
    fi
    failed=1
  done
  shopt -u nullglob
done

if [ "$failed" -ne 0 ]; then
  echo "fuzzing found failing inputs; see $FUZZ_DIR/regressions/ and minimize with" >&2
  echo "  RUSTC_BOOTSTRAP=1 cargo fuzz tmin --fuzz-dir $FUZZ_DIR TARGET FILE" >&2
  exit 1
fi
echo "fuzzing found nothing in ${SECONDS_PER_TARGET}s per target" >&2
