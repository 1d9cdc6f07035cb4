package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.flinkjobs.job.JobOptions;
import io.switchyard.flinkjobs.job.SwitchyardPipeline;
import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Protocol;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * CPU per access-log record of the mesh path's first operator, in a local MiniCluster with the job's
 * own Flink settings (RocksDB, exactly-once checkpoints, object reuse): the pairing by request id
 * (subject) against the stateless reporter-rule mapping it replaced (baseline), interleaved A B A B.
 * Both read the same generated demo-shaped records (each request reported by both sidecars, the source
 * report without peer metadata) and discard the edges; the record generation is in both.
 *
 * <pre>
 * mvn -B -q -o -pl flink-jobs dependency:build-classpath -Dmdep.outputFile=/tmp/fj.cp -Dmdep.includeScope=test
 * java -cp flink-jobs/target/classes:flink-jobs/target/test-classes:$(cat /tmp/fj.cp) \
 *     io.switchyard.flinkjobs.mesh.AccessLogPairingCpu 1000000 3      # requests per run, rounds
 * </pre>
 */
public final class AccessLogPairingCpu {
  private static final long T0 = 1_767_225_600_000L;

  public static void main(String[] args) throws Exception {
    long requests = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<Double> ratios = new ArrayList<>();
    run(false, 20_000); // warm-up of the JIT and the MiniCluster classes, not counted
    for (int i = 0; i < rounds; i++) {
      double base = run(false, requests);
      double subject = run(true, requests);
      double ratio = subject / base;
      ratios.add(ratio);
      System.out.printf("round %d: baseline %.3f s CPU (%.2f us/record), pairing %.3f s CPU (%.2f us/record), ratio %.2f%n",
          i + 1, base, base * 1e6 / (2 * requests), subject, subject * 1e6 / (2 * requests), ratio);
    }
    ratios.sort(Double::compare);
    System.out.printf("median ratio pairing/baseline: %.2f%n", ratios.get(ratios.size() / 2));
  }

  /** Process CPU seconds of one bounded run over {@code requests} requests (two records each). */
  static double run(boolean pairing, long requests) throws Exception {
    Path dir = Files.createTempDirectory("access-log-pairing-cpu");
    JobOptions o = JobOptions.parse(new String[] {"--data-dir", dir.toString(), "--metrics-port", "-1", "--bounded"});
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
    DataStream<AccessLogRecord> logs = env.fromSequence(0, 2 * requests - 1)
        .map(AccessLogPairingCpu::record).returns(ProtoTypeInfo.forMessage(AccessLogRecord.class))
        .assignTimestampsAndWatermarks(WatermarkStrategy.<AccessLogRecord>forBoundedOutOfOrderness(o.outOfOrderness())
            .withTimestampAssigner((r, t) -> r.getStartTimeUnixNano() / 1_000_000));
    DataStream<EdgeEvent> edges = pairing
        ? DataStreamUtils.reinterpretAsKeyedStream(logs, AccessLogPairing::key, Types.STRING)
            .transform("access-log-pairing", TypeInformation.of(EdgeEvent.class),
                new AccessLogPairingOperator(Duration.ofSeconds(10), o.meshDedupeMemory(), TimeDomain.EVENT))
        : logs.<EdgeEvent>flatMap((AccessLogRecord r, Collector<EdgeEvent> out) -> AccessLogEdges.toEdge(r).ifPresent(out::collect))
            .returns(TypeInformation.of(EdgeEvent.class));
    edges.sinkTo(new DiscardingSink<>());
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long before = os.getProcessCpuTime();
    env.execute(pairing ? "pairing" : "baseline");
    return (os.getProcessCpuTime() - before) / 1e9;
  }

  /** Record {@code i}: request i/2 at 1,000 requests per second of event time, source report first. */
  static AccessLogRecord record(long i) {
    long request = i / 2;
    boolean source = i % 2 == 0;
    long startMs = T0 + request;
    String callee = "svc-" + (request % 8);
    AccessLogRecord.Builder b = AccessLogRecord.newBuilder().setRequestId(Long.toHexString(startMs * 1_000_000 + request))
        .setAuthority(callee + ".shop.svc.cluster.local:8080").setDestinationService(callee + ".shop.svc.cluster.local")
        .setProtocol(Protocol.PROTOCOL_HTTP).setResponseCode(200).setGrpcStatus(-1).setNodeId("sidecar~10.0.0." + (request % 8));
    if (source) {
      return b.setReporter(Reporter.REPORTER_SOURCE).setSourceWorkload("frontend").setSourceNamespace("shop")
          .setUpstreamCluster("outbound|8080||" + callee + ".shop.svc.cluster.local")
          .setStartTimeUnixNano(startMs * 1_000_000).setDurationMicros(30_000).build();
    }
    return b.setReporter(Reporter.REPORTER_DESTINATION).setSourcePrincipal("spiffe://cluster.local/ns/shop/sa/frontend")
        .setDestinationWorkload(callee + "-v1").setDestinationNamespace("shop").setUpstreamCluster("inbound|8080||")
        .setStartTimeUnixNano((startMs + 1) * 1_000_000).setDurationMicros(25_000).build();
  }
}
