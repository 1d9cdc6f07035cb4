#!/usr/bin/env bash
# Topology API benchmark: graph query latency on a synthetic mesh (1,000 services, 5,000 edges, a day of
# 1-minute windows) and materialisation rate against the raw consumer rate in the same run.
# Graph phases per range, interleaved per round: raw scan of the range's minutes (baseline), graph with no
# caches, with decoded pieces only, with pieces and finished graphs, and the same through HTTP /api/v1/graph.
# Service RED series (/api/v1/services/{name} over 1 h, 6 h and 24 h) from the service roll-ups, against the same
# series added up from the service minutes, interleaved per round; skipped with --skip-queries or --skip-services.
# Usage: bench/topology-bench.sh [--services N] [--edges N] [--hours N] [--rate-records N] [--iterations N] [--rounds N]
#        (--iterations: measured queries per phase and round, default 60 for graph ranges, 30 for service series)
#        [--skip-rate true] [--skip-queries true] [--skip-graphs true] [--skip-services true] [--only RANGE-NAME-PREFIX]
#        [--graph-type service|workload|app|versionedApp] (the type every graph query asks for; default service)
# The bench JVM runs with the options bin/switchyard gives the product (bin/java-opts.sh: SWITCHYARD_JAVA_OPTS, by
# default -Xmx2g on the JVM's default collector, G1), as the topology API runs inside that
# JVM; JAVA_OPTS adds flags for this run only (e.g. -XX:StartFlightRecording=filename=graph.jfr,settings=profile or
# -Xlog:gc:file=gc.log).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
mvn -B -q -pl bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >&2
# Run from a private copy of the jars, so rebuilding the modules during a long run cannot change them.
run="$(mktemp -d)"
trap 'rm -rf "$run"' EXIT
cp -r bench/target/classes "$run/classes"
cp_list="$run/classes"
IFS=':' read -ra entries < bench/target/classpath.txt || true
for e in "${entries[@]}"; do
  cp "$e" "$run/" 2>/dev/null || true
  cp_list="$cp_list:$run/$(basename "$e")"
done
echo "uptime at start: $(uptime)"
# shellcheck source=../bin/java-opts.sh
. bin/java-opts.sh
echo "JVM options: $switchyard_java_opts ${JAVA_OPTS:-}"
java $switchyard_java_opts ${JAVA_OPTS:-} -cp "$cp_list" io.switchyard.bench.topology.TopologyBench "$@"
echo "uptime at end: $(uptime)"
