#!/usr/bin/env bash
# Soak run of the embedded runtime as a user starts it: bin/switchyard up --demo --rps N for M minutes, sampled
# every S seconds (memory, threads, open files, data folder, checkpoints, consumer lag, graph edges, the ext_authz
# Check p99), live heap of both JVMs after the warm-up and at the end (class histograms), then SIGTERM. Prints a
# Markdown report; up.log and samples.csv stay in the output folder. The default ports of `up` must be free.
# Usage: bench/soak.sh [--minutes M (30)] [--warmup-minutes W (5)] [--rps N (200)] [--interval SECONDS (30)] [--out DIR]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
mvn -B -q -pl bench,launcher,flink-jobs -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt >&2
exec java -Xmx256m -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.switchyard.bench.soak.UpSoak "$home" "$@"
