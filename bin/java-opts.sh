# The product JVM's options, sourced by bin/switchyard (which runs every service in one JVM) and by
# bench/topology-bench.sh (which measures the topology API in a JVM like it). SWITCHYARD_JAVA_OPTS replaces them.
#
# -Xmx2g on the JVM's default collector (G1, 1 MB regions at this heap). -XX:G1HeapRegionSize=4m was tried in
# session 11: the early young collections that arrays of 512 KB or more start (humongous allocations) nearly vanish,
# but the graph queries' p99 was no better in the idle judged runs (ragged hour 68 ms with 4 MB regions, 50 ms
# without; sliding 43 and 56 ms); docs/benchmarks.md, "Session 11 (queries)".
switchyard_java_opts="${SWITCHYARD_JAVA_OPTS:--Xmx2g}"
