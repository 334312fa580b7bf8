#!/usr/bin/env bash
# Convolution speed, GeoLens against PyTorch: builds geolens-bench in release mode, runs it and
# scripts/bench/conv_torch.py alternately ROUNDS times (so machine noise hits both sides), and
# prints, per case, the best of the per-round medians and the ratio PyTorch time / GeoLens time
# (above 1: GeoLens is faster).
#
# usage: scripts/bench/compare_conv.sh [ROUNDS] [THREADS]     (defaults 3 and 2)
# env:   PYTHON (default /work/venv/bin/python or python3), FILTER (substring of case names)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
threads=${2:-2}
python=${PYTHON:-$( [ -x /work/venv/bin/python ] && echo /work/venv/bin/python || echo python3 )}
filter=${FILTER:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

swift build -c release --product geolens-bench >&2
for round in $(seq "$rounds"); do
    echo "round $round/$rounds" >&2
    .build/release/geolens-bench conv --threads "$threads" --filter "$filter" | grep -v '^#' >>"$out/geolens.tsv"
    "$python" scripts/bench/conv_torch.py --threads "$threads" --filter "$filter" | grep -v '^#' >>"$out/torch.tsv"
done

awk -F'\t' '
    FNR == NR { if (!($1 in g) || $2 < g[$1]) g[$1] = $2; if (!($1 in order)) { order[$1] = ++n; names[n] = $1 }; next }
    { if (!($1 in t) || $2 < t[$1]) t[$1] = $2 }
    END {
        printf "%-34s %12s %12s %8s\n", "case (threads '"$threads"')", "geolens ms", "torch ms", "ratio"
        for (i = 1; i <= n; i++) {
            k = names[i]
            printf "%-34s %12.2f %12.2f %8.2f\n", k, g[k], t[k], t[k] / g[k]
        }
    }' "$out/geolens.tsv" "$out/torch.tsv"
