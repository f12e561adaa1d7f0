#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests and CI (docs/slurm.md):
#   scripts/slurm/local_cluster.sh start [DIR]   munged, slurmctld and slurmd with a generated
#                                                 slurm.conf in DIR (default: a new /tmp folder);
#                                                 prints DIR on stdout's last line
#   scripts/slurm/local_cluster.sh stop DIR      stops the daemons started in DIR, removes DIR
# Every file (munge key and socket, slurm.conf, state, spool, logs, pid files) is in DIR, so a
# system Slurm or munge is neither used nor touched; the ports are free ones picked at start.
# The node's CPUs and memory are slurmd's own reading of the machine (slurmd -C). Clients need
# SLURM_CONF=DIR/slurm.conf (sbatch, squeue, sinfo, scancel). The daemons run as the calling
# user (SlurmUser, SlurmdUser): root, as in CI, or one unprivileged user who submits the jobs too.
# A start that fails stops what it started (trap), so no daemon outlives it.
set -euo pipefail

die() { echo "local_cluster: $*" >&2; exit 1; }

# stop_dir DIR: cancels the cluster's jobs, then stops every daemon whose pid file is in DIR, by
# pid (TERM, then KILL after 10 s), then any process left that carries this cluster's SLURM_CONF in
# its environment (a job step slurmd left behind): nothing of another cluster or user is touched.
stop_dir() {
  local dir=$1 f pid n
  if [ -s "$dir/slurmctld.pid" ] && command -v scancel >/dev/null; then
    SLURM_CONF=$dir/slurm.conf scancel --quiet --user="$(id -un)" 2>/dev/null || true
    for ((n = 0; n < 50; n++)); do
      [ -z "$(SLURM_CONF=$dir/slurm.conf squeue -h -t running,completing,pending 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for f in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    kill "$pid" 2>/dev/null || { rm -f "$f"; continue; }
    for ((n = 0; n < 100; n++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "local_cluster: $(basename "$f" .pid) (pid $pid) ignored TERM for 10 s, killed" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  # this script and its callers (a test that exported SLURM_CONF) are not the cluster's
  local mine=" " p=$$
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do mine+="$p "; p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null); done
  for f in /proc/[0-9]*/environ; do
    pid=${f#/proc/}; pid=${pid%/environ}
    [[ "$mine" != *" $pid "* ]] || continue
    if tr '\0' '\n' 2>/dev/null <"$f" | grep -qxF "SLURM_CONF=$dir/slurm.conf"; then
      echo "local_cluster: pid $pid ($(cat /proc/$pid/comm 2>/dev/null)) outlived the cluster, killed" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# free_port: one the kernel hands out now (a later bind could race for it; fine for one test)
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir=${1:-}
  for tool in munged slurmctld slurmd sbatch sinfo python3; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install slurm-wlm munge)"
  done
  if [ -z "$dir" ]; then dir=$(mktemp -d /tmp/ecgbench_slurm_XXXXXX)
  else mkdir -p "$dir"; fi
  dir=$(realpath "$dir")
  [ ! -e "$dir/slurmctld.pid" ] || die "$dir already holds a cluster (stop it first)"
  # from here on a failure stops what was started
  trap 'echo "local_cluster: start failed; logs in $dir (*.log); stopping what was started" >&2; stop_dir "$dir"' ERR
  chmod 700 "$dir"
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chmod 700 "$dir/munge"

  # munge: its own key and socket (a key file must be 0400 and not readable by others)
  head -c 1024 /dev/urandom >"$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  munged --force --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed"
  local n
  for ((n = 0; n < 50; n++)); do [ -S "$dir/munge/munge.sock" ] && break; sleep 0.1; done
  [ -S "$dir/munge/munge.sock" ] || die "munged did not create its socket (see $dir/munged.log)"

  # the node as slurmd reads it (CPUs, sockets, cores, threads, memory), under our own node name
  local node user host ctld_port node_port
  node=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //')
  [[ "$node" == *CPUs=* ]] || die "slurmd -C did not describe this machine: $node"
  # a little memory left to the system: Slurm drains a node whose RealMemory exceeds what it finds
  node=$(echo "$node" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^RealMemory=/) { split($i, m, "="); $i = "RealMemory=" int(m[2] * 0.9) } print }')
  user=$(id -un)
  host=$(hostname -s)
  ctld_port=$(free_port)
  node_port=$(free_port)
  while [ "$node_port" = "$ctld_port" ]; do node_port=$(free_port); done
  cat >"$dir/slurm.conf" <<EOF
# generated by scripts/slurm/local_cluster.sh: a one-node cluster for tests
ClusterName=ecgbench-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$node_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
# cores only: a job without --mem does not take the whole memory
# no cgroups (containers and CI machines often lack a writable cgroup tree)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
# finished jobs stay visible to squeue/scontrol for 5 minutes
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=ecgnode NodeHostname=$host NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=debug Nodes=ecgnode Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$dir/slurm.conf" -i
  slurmd -f "$dir/slurm.conf" -N ecgnode
  # ready when the node is idle (20 s at most)
  local state=
  for ((n = 0; n < 200; n++)); do
    state=$(sinfo -h -n ecgnode -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.1
  done
  [ "$state" = idle ] || { echo "local_cluster: node state '${state:-none}' after 20 s" >&2; false; }
  trap - ERR
  echo "local_cluster: one node ($(echo "$node" | grep -oE 'CPUs=[0-9]+') $(echo "$node" | grep -oE 'RealMemory=[0-9]+') MB) up;" \
       "export SLURM_CONF=$dir/slurm.conf; stop with: $0 stop $dir" >&2
  echo "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop)
    [ -n "${2:-}" ] && [ -f "$2/slurm.conf" ] || die "usage: $0 stop DIR (the folder start printed)"
    stop_dir "$2"
    rm -rf "$2" ;;
  *) die "usage: $0 start [DIR] | stop DIR" ;;
esac
