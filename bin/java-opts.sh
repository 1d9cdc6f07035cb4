# The product JVM's options, sourced by bin/switchyard (which runs every service in one JVM) and by
# bench/topology-bench.sh (which measures the topology API in a JVM like it). SWITCHYARD_JAVA_OPTS replaces them.
#
# -XX:G1HeapRegionSize=4m: under -Xmx2g G1 picks 1 MB regions, and every array of 512 KB or more is "humongous":
# allocated outside the young generation, and each such allocation can start a young collection early (Concurrent
# Start, then undone) while eden is far from full. Decoded graph buckets and their stored forms (0.5-1.5 MB arrays)
# and Kafka fetch buffers (up to 1 MB per partition) are that size. With 4 MB regions only arrays of 2 MB or more
# are (a graph's JSON body kept for repeated requests); docs/benchmarks.md, "Session 11 (queries)".
switchyard_java_opts="${SWITCHYARD_JAVA_OPTS:--Xmx2g -XX:G1HeapRegionSize=4m}"
