#!/usr/bin/env bash
# Topology API benchmark: graph query latency on a synthetic mesh (1,000 services, 5,000 edges, a day of
# 1-minute windows) and materialisation rate against the raw consumer rate in the same run.
# Usage: bench/topology-bench.sh [--services N] [--edges N] [--hours N] [--rate-records N]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
mvn -B -q -pl bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >&2
exec java -Xmx2g -XX:+UseParallelGC -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  io.switchyard.bench.topology.TopologyBench "$@"
