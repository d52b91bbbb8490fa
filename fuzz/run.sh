#!/usr/bin/env bash
# Runs fuzz targets one after another, each for SECONDS seconds.
#
#   fuzz/run.sh SECONDS [TARGET...]          (default: every target)
#   fuzz/run.sh --long SECONDS [TARGET...]   (and keep what was found)
#
# Installs cargo-fuzz if it is missing, then picks the first invocation that
# builds: a nightly toolchain with AddressSanitizer, the stable toolchain with
# RUSTC_BOOTSTRAP=1 and AddressSanitizer, or stable without a sanitizer.
# New inputs go to fuzz/scratch/TARGET (not committed); fuzz/corpus/TARGET is
# read only. Prints executions per second and total executions per target,
# and exits non-zero on any crash, hang or leak, with the reproducer's path
# (fuzz/artifacts/TARGET/...) in the output. To keep a crash: copy the
# reproducer to fuzz/regressions/TARGET/NAME-OF-THE-BUG and add a named test
# to src/fuzzing/replay.rs.
#
# With --long, after a target's run without a crash, the run's new inputs are
# merged into fuzz/corpus/TARGET and the corpus is minimized: the seeds
# (written by seed.py, named after what they hold) are all kept, and of the
# found inputs (named by their SHA-1) only a small set that covers what the
# seeds do not remains (libFuzzer's -set_cover_merge). The run's executions
# are added to the target's cumulative count in fuzz/README.md. Commit
# fuzz/corpus and fuzz/README.md afterwards, so the next long run, on any
# machine, starts from there.
set -euo pipefail

long=false
if [[ "${1:-}" == "--long" ]]; then
    long=true
    shift
fi
if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 [--long] SECONDS [TARGET...]" >&2
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

# Merges scratch/TARGET into corpus/TARGET and minimizes the result (see the
# top of this file); prints how many files and bytes the corpus then holds.
merge_corpus() {
    local target=$1 tmp merge_log
    tmp=$(mktemp -d)
    mkdir "$tmp/merged" "$tmp/found"
    for f in "corpus/$target"/*; do
        [[ -f "$f" ]] || continue
        if [[ "$(basename "$f")" =~ ^[0-9a-f]{40}$ ]]; then
            cp "$f" "$tmp/found/"
        else
            cp "$f" "$tmp/merged/"
        fi
    done
    merge_log="scratch/$target.merge.log"
    if ! "${fuzz[@]}" run --sanitizer "$sanitizer" "$target" \
        "$tmp/merged" "$tmp/found" "scratch/$target" \
        -- -set_cover_merge=1 -max_len="$(max_len_of "$target")" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=64 >"$merge_log" 2>&1; then
        echo "merging the corpus of $target failed:" >&2
        tail -20 "$merge_log" >&2
        rm -rf "$tmp"
        return 1
    fi
    find "corpus/$target" -maxdepth 1 -type f -regextype posix-extended \
        -regex '.*/[0-9a-f]{40}' -delete
    for f in "$tmp/merged"/*; do
        if [[ "$(basename "$f")" =~ ^[0-9a-f]{40}$ ]]; then
            cp "$f" "corpus/$target/"
        fi
    done
    rm -rf "$tmp" "scratch/$target"
    echo "$(find "corpus/$target" -type f | wc -l) files, $(du -sk --apparent-size "corpus/$target" | cut -f1) KiB"
}

# Adds EXECUTIONS to TARGET's row of the cumulative table in README.md (the
# rows between the two marker comments), creating the row if missing.
record_executions() {
    python3 - "$1" "$2" "$3" <<'PY'
import datetime, re, sys
target, execs, corpus = sys.argv[1], int(sys.argv[2]), sys.argv[3]
path = "README.md"
text = open(path).read()
start = "<!-- executions: begin -->"
end = "<!-- executions: end -->"
head, rest = text.split(start)
table, tail = rest.split(end)
rows = [r for r in table.strip().splitlines() if r.startswith("| `")]
counts = {}
for r in rows:
    cells = [c.strip() for c in r.strip("|").split("|")]
    counts[cells[0].strip("`")] = cells
old = counts.get(target)
total = execs + (int(old[1].replace(",", "")) if old else 0)
today = datetime.date.today().isoformat()
counts[target] = [f"`{target}`", f"{total:,}", corpus, today]
lines = ["| target | executions, all long runs | corpus after the last | last long run |",
         "| --- | ---: | --- | --- |"]
lines += ["| " + " | ".join(c) + " |" for _, c in sorted(counts.items())]
open(path, "w").write(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)
print(f"{target}: {total:,} executions in all long runs")
PY
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
    elif $long; then
        echo "=== merging and minimizing corpus/$target"
        if corpus=$(merge_corpus "$target"); then
            line="$line; corpus: $corpus"
            record_executions "$target" "${execs:-0}" "$corpus"
        else
            line="$line, FAILED: corpus merge (see scratch/$target.merge.log)"
            failed+=("$target")
        fi
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
