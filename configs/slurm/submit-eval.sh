#!/bin/bash
# Submits the eval array and a merge job that runs when every task has succeeded.
#
#   GEOLENS_SHARDS=4 configs/slurm/submit-eval.sh      # from the repository root
#
# Prints the two job ids. If a task fails, the merge job stays pending (DependencyNeverSatisfied):
# resubmit the task alone with `sbatch --array=I configs/slurm/eval-array.sbatch`, then run
# `sbatch configs/slurm/eval-merge.sbatch` (or `geolens merge runs/eval-shard-* --out runs/eval`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shards="${GEOLENS_SHARDS:-8}"
export GEOLENS_SHARDS="${shards}"
array=$(sbatch --parsable --array="0-$((shards - 1))" "${here}/eval-array.sbatch")
merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" "${here}/eval-merge.sbatch")
echo "array job ${array%%;*}, merge job ${merge%%;*}"
