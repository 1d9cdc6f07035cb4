# The product JVM's options, sourced by bin/switchyard (which runs every service in one JVM) and by
# bench/topology-bench.sh (which measures the topology API in a JVM like it). SWITCHYARD_JAVA_OPTS replaces them.
#
# -Xmx2g on the JVM's default collector (G1, 1 MB regions at this heap). -XX:G1HeapRegionSize=4m was tried in
# session 11: the early young collections that arrays of 512 KB or more start (humongous allocations) nearly vanish,
# but the graph queries' p99 was no better in the idle judged runs (ragged hour 68 ms with 4 MB regions, 50 ms
# without; sliding 43 and 56 ms); docs/benchmarks.md, "Session 11 (queries)". Session 12 compared collectors on the
# graph queries: Shenandoah nearly removes their pauses but costs the ext_authz Check 2-16 % more CPU, ZGC (JDK 17)
# stalls allocations at this heap, a 20 ms G1 pause goal changes nothing ("Session 12 (graphgc)"): G1 stays, as this
# JVM runs the ext_authz and rate-limit hot paths too.
switchyard_java_opts="${SWITCHYARD_JAVA_OPTS:--Xmx2g}"
