#!/usr/bin/env bash
# Benchmark table of docs/performance.md: generated configs, the in-process emulator on loopback.
# Installs DogPush (Python 2, the latest release on PyPI) into target/dogpush-py2 when a python2.7
# is available, for the side-by-side diff. `MONC_BENCH=compile` (or few-clusters, for-each, diff, sync, import, errors, review, lsp) runs one section.
# `MONC_BENCH=side-by-side` (not run by default) first builds the baseline commit (MONC_BASELINE,
# 112a4d1 by default) in release from a copy of its tree under target/side-by-side, with its own
# target dir there (nothing of it is committed), and compares `monc validate` with it.
set -euo pipefail
cd "$(dirname "$0")/.."

py2="$(command -v python2.7 || true)"
# A pyenv shim answers `command -v` without a working interpreter behind it: try it.
if [ -n "$py2" ] && ! "$py2" -c pass 2>/dev/null; then
    py2=""
fi
if [ -n "$py2" ]; then
    if [ ! -d target/dogpush-py2/dogpush ]; then
        "$py2" -m pip install --quiet --disable-pip-version-check --target target/dogpush-py2 dogpush
    fi
    export MONC_DOGPUSH="$py2:$PWD/target/dogpush-py2"
fi
if [[ "${MONC_BENCH:-}" == *side-by-side* ]]; then
    baseline="${MONC_BASELINE:-112a4d1}"
    src="target/side-by-side/baseline-$baseline"
    if [ ! -f "$src/Cargo.toml" ]; then
        mkdir -p "$src"
        git archive "$baseline" | tar -x -C "$src"
        # Its own workspace, not a member of this one.
        printf '\n[workspace]\n' >> "$src/Cargo.toml"
    fi
    CARGO_TARGET_DIR="$PWD/target/side-by-side/baseline-target" \
        cargo build --release --locked --bin monc --manifest-path "$src/Cargo.toml"
    export MONC_BASELINE="$baseline"
    export MONC_BASELINE_BIN="$PWD/target/side-by-side/baseline-target/release/monc"
fi
exec cargo bench --bench scale "$@"
