#!/usr/bin/env bash
# The Slurm examples on a real scheduler: installs Slurm and MUNGE (Debian's slurm-wlm, munge) when
# missing, starts a one-node cluster on this machine with its own configuration (ports 16817/16818,
# state under a temporary folder; /etc/slurm is not touched), and then, on the bundled fixtures:
#
#   1. configs/slurm/submit-eval.sh submits the 4-task eval array and the dependent merge job, as written;
#   2. the merged metrics.json must equal one unsharded `geolens eval` byte for byte;
#   3. task 2 is cut short as a kill would leave it (journal truncated, outputs removed) and resubmitted
#      alone (`sbatch --array=2`), and task 1 is requeued (`scontrol requeue`); both must score their own
#      shard, the requeued log must be appended to, and a new merge must again equal the single run.
#
# Usage: scripts/slurm/test-slurm.sh [GEOLENS_BINARY]   (default .build/debug/geolens; build it first)
# Exits 0 with "slurm test skipped: ..." where Slurm cannot be installed or started (no root, no
# packages, a container that forbids it); any other failure exits 1. Needs about a minute.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
geolens="$(cd "$(dirname "${1:-$repo/.build/debug/geolens}")" && pwd)/$(basename "${1:-$repo/.build/debug/geolens}")"
skip() { echo "slurm test skipped: $*"; exit 0; }
fail() { echo "slurm test FAILED: $*" >&2; [ -n "${work:-}" ] && tail -n 20 "$work"/state/*.log >&2 || true; exit 1; }

[ -x "$geolens" ] || fail "no geolens binary at $geolens; run swift build first"
[ "$(id -u)" = 0 ] || skip "starting slurmctld and slurmd needs root"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1; } \
        || skip "cannot install slurm-wlm and munge"
fi

work="$(mktemp -d /tmp/geolens-slurm-XXXXXX)"
started_munge=""
cleanup() {
    local status=$?
    scontrol shutdown >/dev/null 2>&1 || true
    # Wait for the daemons to exit: slurmctld writes its state files while it shuts down, and
    # removing the folder under it would fail.
    for pidfile in "$work/state/slurmctld.pid" "$work/state/slurmd.pid"; do
        [ -f "$pidfile" ] || continue
        pid="$(cat "$pidfile" 2>/dev/null || true)"
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    done
    [ -n "$started_munge" ] && pkill -x munged 2>/dev/null || true
    if [ "${KEEP_SLURM_TEST:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work" 2>/dev/null || true; fi
    exit "$status"
}
trap cleanup EXIT

# MUNGE authenticates Slurm's messages; the package creates its key.
if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
    [ -f /etc/munge/munge.key ] || { mungekey --create >/dev/null 2>&1 && chown munge:munge /etc/munge/munge.key; } || skip "no MUNGE key"
    runuser -u munge -- /usr/sbin/munged >/dev/null 2>&1 || skip "munged does not start"
    started_munge=1
fi

node="$(hostname -s)"
mkdir -p "$work/state/ctld" "$work/state/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=geolens-test
SlurmctldHost=${node}(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobRequeue=1
MinJobAge=3600
StateSaveLocation=$work/state/ctld
SlurmdSpoolDir=$work/state/spool
SlurmctldPidFile=$work/state/slurmctld.pid
SlurmdPidFile=$work/state/slurmd.pid
SlurmctldLogFile=$work/state/slurmctld.log
SlurmdLogFile=$work/state/slurmd.log
NodeName=${node} NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=8192 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF" >/dev/null 2>&1 || skip "slurmctld does not start"
slurmd -f "$SLURM_CONF" >/dev/null 2>&1 || skip "slurmd does not start"
for _ in $(seq 1 30); do
    state="$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)"
    [ "$state" = idle ] && break
    sleep 1
done
[ "${state:-}" = idle ] || skip "the node did not come up (state '${state:-none}'; see $work/state/*.log)"
echo "slurm test: one-node cluster up on ${node}"

# Submit from a folder that sees the repository's configs and fixtures, as a user's checkout would.
mkdir -p "$work/submit"
ln -s "$repo/configs" "$work/submit/configs"
ln -s "$repo/fixtures" "$work/submit/fixtures"
cd "$work/submit"
export GEOLENS="$geolens" GEOLENS_SHARDS=4 GEOLENS_RUNS="$work/submit/runs"

wait_for() {  # wait_for JOBID...: until none of the jobs is pending or running
    for _ in $(seq 1 600); do
        [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" -t PENDING,RUNNING,CONFIGURING,COMPLETING,REQUEUED 2>/dev/null)" ] && return 0
        sleep 1
    done
    fail "jobs $* still queued after 10 minutes"
}
job_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' '; }

ids="$(configs/slurm/submit-eval.sh)"
echo "slurm test: $ids"
array="$(echo "$ids" | awk '{print $3}' | tr -d ,)"
merge="$(echo "$ids" | awk '{print $6}')"
wait_for "$array" "$merge"
[ -f runs/eval/metrics.json ] || fail "the merge job wrote no runs/eval/metrics.json (array: $(job_state "$array"), merge: $(job_state "$merge"))"

"$geolens" eval --config configs/eval.yaml --out "$work/single" >/dev/null 2>&1 || fail "the single eval failed"
cmp -s "$work/single/metrics.json" runs/eval/metrics.json || fail "merged metrics.json differs from the single run"
echo "slurm test: 4-task array + dependent merge job equal one run byte for byte"

# Task 2 cut short by a kill: keep the journal's header and first tile, drop its outputs.
shard2=runs/eval-shard-2
head -n 2 "$shard2/journal.jsonl" > "$shard2/journal.tmp" && mv "$shard2/journal.tmp" "$shard2/journal.jsonl"
rm -f "$shard2"/{metrics.json,state.json,per_tile.csv,confusion.csv,report.html}
resubmitted="$(sbatch --parsable --array=2 configs/slurm/eval-array.sbatch)"
scontrol requeue "${array}_1" >/dev/null || fail "scontrol requeue ${array}_1 was refused"
wait_for "${resubmitted%%;*}" "$array"
[ -f "$shard2/state.json" ] || fail "the resubmitted task 2 wrote no state.json ($(job_state "${resubmitted%%;*}"))"
grep -q "resuming" geolens-eval-"${resubmitted%%;*}"_2.out || fail "the resubmitted task 2 did not resume from its journal"
[ "$(grep -c 'geolens-eval: task 1' geolens-eval-"${array}"_1.out)" -ge 2 ] || fail "the requeued task's log was not appended to"
remerge="$(sbatch --parsable configs/slurm/eval-merge.sbatch)"
wait_for "${remerge%%;*}"
cmp -s "$work/single/metrics.json" runs/eval/metrics.json || fail "metrics.json after resubmission and requeue differs from the single run"
echo "slurm test: resubmitted task 2 resumed its own shard, requeued task 1 appended its log; merge equals one run"
echo "slurm test: passed"
