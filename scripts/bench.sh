#!/usr/bin/env bash
# Benchmark table of docs/performance.md: generated configs, the in-process emulator on loopback.
# Installs DogPush (Python 2, the latest release on PyPI) into target/dogpush-py2 when a python2.7
# is available, for the side-by-side diff. `MONC_BENCH=compile` (or few-clusters, for-each, diff, sync, import, errors, review) runs one section.
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
exec cargo bench --bench scale "$@"
