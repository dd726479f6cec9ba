#!/usr/bin/env bash
# Coverage-guided fuzzing of monc's three parsers of untrusted text (not part of CI).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 600)
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
corpus_seed() {
    local target=$1 dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    case "$target" in
        metric_query)
            python3 - "$dir" <<'PY'
import json, glob, sys, os
for i, f in enumerate(sorted(glob.glob("tests/fixtures/recommended-monitors/*.json"))):
    q = json.load(open(f))["definition"]["query"]
    open(os.path.join(sys.argv[1], f"fixture-{i}"), "w").write(q)
PY
            ;;
        composite_query)
            printf '1 && !2' > "$dir/simple"
            printf '(1 || 2) && !monitor.alb_5xx["prod-tokyo-1"]' > "$dir/refs"
            ;;
        hcl_loader)
            cat tenants/*.hcl > "$dir/reference"
            printf '\0' >> "$dir/reference"
            cat monitors/*.hcl >> "$dir/reference"
            ;;
    esac
}
for target in metric_query composite_query hcl_loader; do
    corpus_seed "$target"
    echo "== $target: ${seconds}s"
    cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- -max_total_time="$seconds" -max_len=4096 2>&1 \
        | grep -E "^(#[0-9]+ +DONE|Done|==[0-9]+==|SUMMARY|artifact)" || true
done
