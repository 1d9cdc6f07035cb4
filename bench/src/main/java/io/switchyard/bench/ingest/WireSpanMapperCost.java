package io.switchyard.bench.ingest;

import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.mapping.WireSpanMapper;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time of the span mapping step alone ({@link WireSpanMapper#map}) per span, on the same 512-span requests as
 * {@link OtlpIngestBench}. Measured as the thread's CPU time, not wall-clock time, so other tenants of a loaded
 * machine disturb it little; run it against two builds of ingest (interleaved) to compare them.
 *
 * <p>Usage: {@code WireSpanMapperCost [seconds=10] [rounds=3]}.
 */
public final class WireSpanMapperCost {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<byte[]> requests = OtlpIngestBench.serialized(OtlpIngestBench.requests(64));
    WireSpanMapper mapper = new WireSpanMapper(MappingOptions.DEFAULTS);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    run(mapper, requests, seconds, threads);
    List<Double> costs = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      double nsPerSpan = run(mapper, requests, seconds, threads);
      costs.add(nsPerSpan);
      System.out.printf("ROUND %d %.0f CPU-ns per span%n", round, nsPerSpan);
    }
    costs.sort(null);
    System.out.printf("RESULT median %.0f CPU-ns per span (%s)%n", costs.get(costs.size() / 2), costs);
  }

  private static double run(WireSpanMapper mapper, List<byte[]> requests, int seconds, ThreadMXBean threads)
      throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long cpu0 = threads.getCurrentThreadCpuTime();
    long spans = 0;
    long sink = 0;
    for (int i = 0; System.nanoTime() < end; i++) {
      var batch = mapper.map(requests.get(i % requests.size()), 1L);
      spans += batch.records().size();
      sink += batch.records().get(0).value().length;
    }
    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
    if (sink == 0) {
      throw new IllegalStateException("nothing mapped");
    }
    return (double) cpu / spans;
  }
}
