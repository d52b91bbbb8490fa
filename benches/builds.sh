#!/bin/sh
# Ours beside the floor on the two builds PERFORMANCE.md reports: the
# default build and the portable Poly1305 backend
# (`--cfg poly1305_backend="soft"`), each in its own target directory so
# that neither rebuild invalidates the other. Prints one table per build.
#
#   benches/builds.sh                  # typical session, 1 KB and 3 KB payloads
#   benches/builds.sh 'typical_'       # any criterion filter
#
# Extra arguments go to criterion; the default settings are short
# (1 s warm-up, 3 s measurement), for a shared machine: compare the ratios
# within one run, never absolute times across runs.
set -eu
cd "$(dirname "$0")/.."
filter=${1:-'^(typical_(seal|open)/(ours|floor)|bytes_(seal|open)/(ours|floor)/(1024|3000)|vec_(seal|open)/.*)$'}
[ $# -gt 0 ] && shift
settings=${CRITERION_ARGS:---warm-up-time 1 --measurement-time 3}
default_dir=${CARGO_TARGET_DIR:-target}
soft_dir=${SOFT_TARGET_DIR:-$default_dir/soft}

# shellcheck disable=SC2086 # the settings are several words on purpose
CARGO_TARGET_DIR=$default_dir cargo bench -p sealed-session-benches --bench sessions -- "$filter" $settings "$@"
# shellcheck disable=SC2086
CARGO_TARGET_DIR=$soft_dir RUSTFLAGS='--cfg poly1305_backend="soft"' \
    cargo bench -p sealed-session-benches --bench sessions -- "$filter" $settings "$@"

echo "## default build"
python3 benches/table.py "$default_dir"
echo "## --cfg poly1305_backend=\"soft\""
python3 benches/table.py "$soft_dir"
