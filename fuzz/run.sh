#!/usr/bin/env bash
# Runs fuzz targets one after another, each for SECONDS seconds.
#
#   fuzz/run.sh SECONDS [TARGET...]      (default: every target)
#
# Installs cargo-fuzz if it is missing, then picks the first invocation that
# builds: a nightly toolchain with AddressSanitizer, the stable toolchain with
# RUSTC_BOOTSTRAP=1 and AddressSanitizer, or stable without a sanitizer.
# New inputs go to fuzz/scratch/TARGET (not committed); the seed corpus
# fuzz/corpus/TARGET is read only. Prints executions per second and total
# executions per target, and exits non-zero on any crash, hang or leak, with
# the reproducer's path (fuzz/artifacts/TARGET/...) in the output. To keep a
# crash: copy the reproducer to fuzz/regressions/TARGET/NAME-OF-THE-BUG and
# add a named test to tests/fuzz_replay.rs.
set -euo pipefail

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
cd "$(dirname "$0")"

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=()
    for f in fuzz_targets/*.rs; do
        targets+=("$(basename "$f" .rs)")
    done
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "=== installing cargo-fuzz"
    cargo install cargo-fuzz --locked --debug
fi
cargo fuzz --version

# Picks the invocation: sets the array `fuzz` to the command prefix and
# `sanitizer` to its --sanitizer value.
pick_invocation() {
    local build_log
    build_log=$(mktemp)
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        if cargo +nightly fuzz build "${targets[0]}" >"$build_log" 2>&1; then
            fuzz=(cargo +nightly fuzz)
            sanitizer=address
            rm -f "$build_log"
            return
        fi
        echo "nightly toolchain present but cannot build the targets:"
        tail -5 "$build_log"
    fi
    if RUSTC_BOOTSTRAP=1 cargo fuzz build "${targets[0]}" >"$build_log" 2>&1; then
        fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
        sanitizer=address
    elif RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none "${targets[0]}" >"$build_log" 2>&1; then
        fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
        sanitizer=none
    else
        echo "no toolchain invocation builds the fuzz targets:" >&2
        tail -30 "$build_log" >&2
        rm -f "$build_log"
        exit 1
    fi
    rm -f "$build_log"
}

echo "=== choosing a toolchain"
build_start=$(date +%s)
pick_invocation
echo "using: ${fuzz[*]} (--sanitizer $sanitizer)"
"${fuzz[@]}" build --sanitizer "$sanitizer"
echo "built every target in $(($(date +%s) - build_start)) s"

# libFuzzer options per target. Cookie values, keyring lines and plaintexts
# are at most 4096 bytes; a Cookie header may reach 8 KiB.
max_len_of() {
    case "$1" in
        cookie_header | chunks) echo 8192 ;;
        *) echo 4096 ;;
    esac
}
dict_of() {
    case "$1" in
        cookie_header | chunks) echo dict/cookie.dict ;;
        *) echo "dict/$1.dict" ;;
    esac
}

failed=()
summary=()
for target in "${targets[@]}"; do
    echo
    echo "=== fuzzing $target for $seconds s"
    mkdir -p "scratch/$target" "corpus/$target"
    args=(
        -max_total_time="$seconds"
        -max_len="$(max_len_of "$target")"
        -timeout=10
        -rss_limit_mb=2048
        -malloc_limit_mb=64
        -print_final_stats=1
    )
    dict=$(dict_of "$target")
    if [[ -f "$dict" ]]; then
        args+=(-dict="$dict")
    fi
    log="scratch/$target.log"
    target_start=$(date +%s)
    set +e
    "${fuzz[@]}" run --sanitizer "$sanitizer" "$target" "scratch/$target" "corpus/$target" \
        -- "${args[@]}" 2>&1 | tee "$log" | grep --line-buffered -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE)'
    status=${PIPESTATUS[0]}
    set -e
    elapsed=$(($(date +%s) - target_start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    line="$target: ${execs:-?} executions, ${rate:-?} exec/s, ${elapsed} s"
    if [[ $status -ne 0 ]]; then
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        line="$line, FAILED (exit $status): reproducer ${artifact:-see $log}"
        failed+=("$target")
    fi
    summary+=("$line")
done

echo
echo "=== fuzz summary (${fuzz[*]}, --sanitizer $sanitizer)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "crashed: ${failed[*]}" >&2
    exit 1
fi
