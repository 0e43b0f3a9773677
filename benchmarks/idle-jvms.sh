#!/usr/bin/env bash
# Idle CPU per node on three node JVMs (loopback), with 1, 10,000 and 100,000 idle children.
# Usage: [SETTLE=S] [WINDOW=W] [IDLE_JAVA_OPTS=...] benchmarks/idle-jvms.sh [COUNT...]   (after ./flock demo
# or ./flock bench built the jar; SETTLE seconds of quiet before measuring, default 10: the JIT still
# compiles then; WINDOW seconds measured, default 10: 60 evens out the JIT's bursts)
# Each node is the test cluster's NodeApp without its running-children sweep; the children sleep
# an hour between looks for their stop (they are interrupted when stopped), so what is measured is
# Flock's own idle cost. After every node knows the children and the cluster settled (SETTLE), the
# CPU time of each JVM over WINDOW seconds is read from /proc (user + system).
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=src-test-cluster/target/flock-test-cluster.jar
[ -f "$JAR" ] || { echo "build first: ./flock demo (or mvn package -pl src-test-cluster -am)" >&2; exit 2; }
. scripts/java-home.sh
TICK=$(getconf CLK_TCK)
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(1 10000 100000)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
await() { # seconds, description, command...
  local until=$((SECONDS + $1)) what=$2; shift 2
  until "$@"; do
    [ $SECONDS -lt $until ] || { echo "timed out: $what" >&2; exit 1; }
    sleep 0.5
  done
}
members_up() { [ "$(curl -sf "http://127.0.0.1:$1/members" | grep -c ' UP ')" -ge 3 ]; }
all_running() { [ "$(curl -sf "http://127.0.0.1:$1/children" | grep -c .)" -ge "$2" ]; }
echo "| children | n0 | n1 | n2 | note |"
echo "|---|---|---|---|---|"
for n in "${counts[@]}"; do
  pids=()
  for i in 0 1 2; do
    seeds=""; [ $i -eq 0 ] || seeds="127.0.0.1:17100"
    FLOCK_NODE=n$i FLOCK_PORT=$((17100 + i)) FLOCK_HTTP_PORT=$((18100 + i)) \
      FLOCK_ADVERTISE=127.0.0.1 FLOCK_SEEDS=$seeds FLOCK_PUBLISH_RUNNING=false \
      java -Xmx1g ${IDLE_JAVA_OPTS:-} -cp "$JAR" io.flock.cluster.NodeApp > "/tmp/flock-idle-n$i.log" 2>&1 &
    pids+=($!)
  done
  for i in 0 1 2; do await 60 "n$i sees 3 members" members_up $((18100 + i)); done
  left=$n; k=0
  while [ $left -gt 0 ]; do
    batch=$((left > 1000 ? 1000 : left))
    code=$(curl -s -o /tmp/flock-idle-post.txt -w '%{http_code}' -X POST \
      "http://127.0.0.1:18100/children?count=$batch&prefix=c$k-&sleepMillis=3600000")
    [ "$code" = 200 ] || { echo "start refused ($code):" >&2; sort /tmp/flock-idle-post.txt | uniq -c | sort -rn | head -5 >&2; exit 1; }
    left=$((left - batch)); k=$((k + 1))
  done
  for i in 0 1 2; do await 300 "n$i knows $n children" all_running $((18100 + i)) "$n"; done
  sleep "${SETTLE:-10}"
  before=(); for p in "${pids[@]}"; do before+=("$(cpu_ticks "$p")"); done
  window=${WINDOW:-10}
  sleep "$window"
  row="| $(printf "%'d" "$n") |"
  for j in 0 1 2; do
    t=$(( $(cpu_ticks "${pids[$j]}") - ${before[$j]} ))
    row="$row $(awk -v t="$t" -v hz="$TICK" -v w="$window" 'BEGIN { printf "%.1f%%", t / hz / w * 100 }') |"
  done
  echo "$row of one core, over $window s after ${SETTLE:-10} s settled |"
  cleanup
done
