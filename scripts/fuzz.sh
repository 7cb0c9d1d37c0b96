#!/usr/bin/env bash
# Runs every fuzz target for a time budget: 60 s each by default, `scripts/fuzz.sh 600` for ten
# minutes. The targets are proptest properties that `cargo test` also runs as a few-second
# smoke run (cargo-fuzz would need a nightly toolchain). A failure prints the shrunk input: add
# it as a named `regression_*` test beside the target, then fix the code.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
export COGAUTH_FUZZ_SECONDS="$seconds"
export RUST_BACKTRACE=0
logs=target/fuzz-logs
mkdir -p "$logs"

# One target at a time, so each gets a core and its whole budget.
run() {
    local package="$1" test="$2" log="$logs/$2.log"
    echo "fuzz: $package --test $test (${seconds}s per target, log in $log)"
    if cargo test --quiet -p "$package" --test "$test" -- --nocapture --test-threads 1 \
        >"$log" 2>&1; then
        grep -o 'fuzz target.*' "$log" | sed 's/^/  /'
    else
        echo "fuzz: $test FAILED:"
        grep -v '^ *Compiling' "$log" | tail -n 60
        return 1
    fi
}

status=0
run cogauth-core fuzz_ini || status=1
run cogauth-core fuzz_config || status=1
run cogauth-lambda fuzz_event || status=1
exit "$status"
