#!/usr/bin/env bash
# The project's single test command (what CI runs): the format and lint checks, a Python venv
# with Datadog's official client (for tests/it/emulator_python.rs), then every Rust test. Extra
# arguments go to `cargo test`.
set -euo pipefail

cd "$(dirname "$0")/.."

# Fail fast, before the long test build: first the cheap checks.
if ! cargo fmt --all --check; then
    echo "scripts/test.sh: the code is not formatted as rustfmt lays it out: run \`cargo fmt\`" >&2
    exit 1
fi
if ! cargo clippy --workspace --all-targets -- -D warnings; then
    echo "scripts/test.sh: clippy found the problems above (lints: [workspace.lints] in Cargo.toml): fix them, or allow one locally with #[expect(lint, reason = \"why\")]" >&2
    exit 1
fi

# Beside the build, wherever CARGO_TARGET_DIR puts it.
venv="${CARGO_TARGET_DIR:-target}/py-venv"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import datadog_api_client" 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check datadog-api-client
fi

case "$venv" in
    /*) export MONC_PYTHON="$venv/bin/python" ;;
    *) export MONC_PYTHON="$PWD/$venv/bin/python" ;;
esac
exec cargo test --workspace --all-targets "$@"
