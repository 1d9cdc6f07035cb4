#!/usr/bin/env bash
# ext-authz load benchmark: h2load (Debian nghttp2-client) against a no-op Authorization server and
# the real ext-authz Check, all started in one bench JVM in the same run. Prints a Markdown report:
# throughput ratios per interleaved round, the server's CPU per Check, and p50/p99 at fixed rates.
# Usage: bench/ext-authz.sh [--rounds N] [--requests N] [--duration SECONDS] [--warmup PASSESxREQUESTS] [--no-latency]
#                           [--only noop,cached,cached-nolog,uncached,jwt]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
command -v h2load >/dev/null || { echo "h2load missing: apt-get install -y nghttp2-client" >&2; exit 2; }
mvn -B -q -pl bench -am package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
exec java ${BENCH_JAVA_OPTS:-} -Xmx1g -XX:+UseParallelGC -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  io.switchyard.bench.extauthz.ExtAuthzBench "$@"
