#!/usr/bin/env bash
# CPU per access-log record of the access-log-pairing operator: a baseline build against this checkout,
# one JVM per run, interleaved A B A B. Each JVM runs AccessLogPairingCpu.run(true, n) (a MiniCluster with
# the job's Flink settings, generated demo-shaped records; see docs/benchmarks.md) once on 20,000 requests
# to warm up, then once measured; it prints that run's process CPU.
#
#   bash bench/access-log-pairing-cpu.sh BASE_CHECKOUT [REQUESTS=1000000] [ROUNDS=5]
#
# BASE_CHECKOUT (e.g. /work/main) and this checkout must both have flink-jobs built with test classes
# (mvn -B -q -o install -DskipTests -DskipITs; mvn -B -q -o -pl flink-jobs test-compile).
set -euo pipefail
base=${1:?usage: access-log-pairing-cpu.sh BASE_CHECKOUT [REQUESTS] [ROUNDS]}
requests=${2:-1000000}
rounds=${3:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/access-log-pairing-cpu.XXXXXX)
trap 'rm -rf "$work"' EXIT
for side in "$base" "$here"; do
  for d in classes test-classes; do
    [ -d "$side/flink-jobs/target/$d" ] || { echo "no $side/flink-jobs/target/$d: build it first" >&2; exit 2; }
  done
done
(cd "$here" && mvn -B -q -o -pl flink-jobs dependency:build-classpath -Dmdep.outputFile="$work/cp" -Dmdep.includeScope=test \
  >"$work/mvn.log" 2>&1) || { cat "$work/mvn.log" >&2; exit 2; }
deps=$(cat "$work/cp")
# Copies, so a rebuild of either checkout during the run changes nothing.
cp -r "$base/flink-jobs/target/classes" "$work/a-classes"; cp -r "$base/flink-jobs/target/test-classes" "$work/a-test"
cp -r "$here/flink-jobs/target/classes" "$work/b-classes"; cp -r "$here/flink-jobs/target/test-classes" "$work/b-test"
mkdir -p "$work/driver/io/switchyard/flinkjobs/mesh"
cat > "$work/driver/io/switchyard/flinkjobs/mesh/PairingOnly.java" <<'JAVA'
package io.switchyard.flinkjobs.mesh;

public class PairingOnly {
  public static void main(String[] args) throws Exception {
    long n = Long.parseLong(args[0]);
    AccessLogPairingCpu.run(true, 20_000);
    double s = AccessLogPairingCpu.run(true, n);
    System.out.printf("%.3f s CPU, %.2f us/record%n", s, s * 1e6 / (2 * n));
  }
}
JAVA
javac -d "$work/driver" -cp "$work/b-classes:$work/b-test:$deps" "$work/driver/io/switchyard/flinkjobs/mesh/PairingOnly.java"
for i in $(seq 1 "$rounds"); do
  for side in a b; do
    out=$(java -cp "$work/driver:$work/$side-classes:$work/$side-test:$deps" io.switchyard.flinkjobs.mesh.PairingOnly "$requests" 2>/dev/null | tail -1)
    echo "round $i $([ $side = a ] && echo "base  " || echo "branch") $out (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
