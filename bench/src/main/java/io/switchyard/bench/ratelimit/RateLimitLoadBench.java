package io.switchyard.bench.ratelimit;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ratelimit.server.RateLimitServer;
import io.switchyard.ratelimit.storage.StorageOptions;
import io.switchyard.serverkit.grpc.GrpcServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load comparison over real gRPC on loopback, driven by h2load (Debian nghttp2-client): a no-op
 * RateLimitService that answers OK at once (the ceiling of grpc-java here), then Switchyard's server with
 * memory and rocksdb counters, all in this JVM and this run. Prints a Markdown table: saturated
 * throughput and its ratio to the no-op, and p50/p99/p999 at a fixed rate.
 *
 * <p>Usage: {@code RateLimitLoadBench [seconds=10] [connections=4] [streams=16] [fixedRps=5000]}, {@code -Drounds=3},
 * {@code -Dstorages=memory,rocksdb}
 */
public final class RateLimitLoadBench {
  private static final String PATH = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit";
  private static final int ROUNDS = Integer.getInteger("rounds", 3);

  private RateLimitLoadBench() {}

  /** Answers OK at once: what grpc-java costs without any rate limiting. */
  static final class NoopService extends RateLimitServiceGrpc.RateLimitServiceImplBase {
    private static final RateLimitResponse OK = RateLimitResponse.newBuilder()
        .setOverallCode(RateLimitResponse.Code.OK)
        .addStatuses(RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK))
        .addStatuses(RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK)).build();

    @Override
    public void shouldRateLimit(RateLimitRequest request, StreamObserver<RateLimitResponse> observer) {
      observer.onNext(OK);
      observer.onCompleted();
    }
  }

  /**
   * {@code cpuMicrosPerRequest}: this JVM's CPU time during the saturated phase over the requests done,
   * which foreign load on a shared machine disturbs far less than throughput does.
   */
  record Result(String name, double rps, double p50, double p99, double p999, long errors, double cpuMicrosPerRequest) {}

  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int streams = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    int fixedRps = args.length > 3 ? Integer.parseInt(args[3]) : 5000;
    Path work = Files.createTempDirectory("rl-bench");
    Path configDir = Files.createDirectories(work.resolve("config"));
    Files.writeString(configDir.resolve("edge.yaml"), RateLimitDecisionBenchmark.CONFIG);
    Path body = work.resolve("request.bin");
    byte[] proto = RateLimitDecisionBenchmark.withinRequest().toByteArray();
    Files.write(body, ByteBuffer.allocate(5 + proto.length).put((byte) 0).putInt(proto.length).put(proto).array());

    List<Result> results;
    // The machine is shared and noisy: servers run side by side and are measured in alternating
    // rounds, and each figure is the median over the rounds, so a burst of foreign load hits all alike.
    // -Dstorages=rocksdb narrows the subjects, e.g. to profile one of them (the no-op always runs).
    List<String> wanted = List.of(System.getProperty("storages", "memory,rocksdb").split(","));
    List<StorageOptions> storages = new ArrayList<>();
    if (wanted.contains("memory")) {
      storages.add(StorageOptions.memory());
    }
    if (wanted.contains("rocksdb")) {
      storages.add(StorageOptions.rocksdb(work.resolve("rocks")));
    }
    List<String> names = new ArrayList<>(List.of("no-op RateLimitService"));
    List<Integer> ports = new ArrayList<>();
    List<AutoCloseable> servers = new ArrayList<>();
    try {
      GrpcServer noop = GrpcServer.builder("noop", 0).host("127.0.0.1").addService(new NoopService()).build().start();
      servers.add(noop);
      ports.add(noop.port());
      for (StorageOptions storage : storages) {
        RateLimitServer server = RateLimitServer.builder(configDir, new Metrics(new PrometheusRegistry()), new Readiness())
            .host("127.0.0.1").port(0).storage(storage).build().start();
        servers.add(server);
        ports.add(server.port());
        names.add("switchyard ratelimit, " + storage.kind().cliName());
      }
      List<List<Result>> rounds = new ArrayList<>();
      for (int round = 0; round < ROUNDS; round++) {
        List<Result> one = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
          one.add(measure(names.get(i), ports.get(i), body, work, seconds, connections, streams, fixedRps));
        }
        rounds.add(one);
      }
      // Each round's subjects share that round's no-op ceiling: print every pair's ratio and their median.
      System.out.printf(Locale.ROOT, "%n| round | %s |%n", String.join(" | ", names));
      System.out.println("|---" + "|---".repeat(names.size()) + "|");
      for (int r = 0; r < rounds.size(); r++) {
        List<Result> one = rounds.get(r);
        StringBuilder line = new StringBuilder("| " + (r + 1) + " | " + String.format(Locale.ROOT, "%.0f", one.get(0).rps));
        for (int i = 1; i < one.size(); i++) {
          line.append(String.format(Locale.ROOT, " | %.0f (%.2f)", one.get(i).rps, one.get(i).rps / one.get(0).rps));
        }
        System.out.println(line.append(" |"));
      }
      for (int i = 1; i < ports.size(); i++) {
        int idx = i;
        double[] ratios = rounds.stream().mapToDouble(r -> r.get(idx).rps / r.get(0).rps).sorted().toArray();
        System.out.printf(Locale.ROOT, "median ratio %s / no-op: %.2f%n", names.get(i), ratios[ratios.length / 2]);
      }
      System.out.printf(Locale.ROOT, "%n| round | server CPU µs per request: %s |%n", String.join(" | ", names));
      for (int r = 0; r < rounds.size(); r++) {
        List<Result> one = rounds.get(r);
        StringBuilder line = new StringBuilder("| " + (r + 1) + " | " + String.format(Locale.ROOT, "%.1f", one.get(0).cpuMicrosPerRequest));
        for (int i = 1; i < one.size(); i++) {
          // as a throughput ratio: how many of the subject's requests the no-op's CPU per request buys
          line.append(String.format(Locale.ROOT, " | %.1f (%.2f)", one.get(i).cpuMicrosPerRequest,
              one.get(0).cpuMicrosPerRequest / one.get(i).cpuMicrosPerRequest));
        }
        System.out.println(line.append(" |"));
      }
      for (int i = 1; i < ports.size(); i++) {
        int idx = i;
        double[] ratios = rounds.stream().mapToDouble(r -> r.get(0).cpuMicrosPerRequest / r.get(idx).cpuMicrosPerRequest)
            .sorted().toArray();
        System.out.printf(Locale.ROOT, "median CPU-per-request ratio no-op / %s: %.2f%n", names.get(i), ratios[ratios.length / 2]);
      }
      results = new ArrayList<>();
      for (int i = 0; i < ports.size(); i++) {
        int idx = i;
        double[] rps = rounds.stream().mapToDouble(r -> r.get(idx).rps).sorted().toArray();
        double[] p50 = rounds.stream().mapToDouble(r -> r.get(idx).p50).sorted().toArray();
        double[] p99 = rounds.stream().mapToDouble(r -> r.get(idx).p99).sorted().toArray();
        double[] p999 = rounds.stream().mapToDouble(r -> r.get(idx).p999).sorted().toArray();
        long errors = rounds.stream().mapToLong(r -> r.get(idx).errors).sum();
        results.add(new Result(names.get(i), rps[rps.length / 2], p50[p50.length / 2], p99[p99.length / 2],
            p999[p999.length / 2], errors, Double.NaN));
      }
    } finally {
      for (AutoCloseable c : servers) {
        c.close();
      }
    }
    double ceiling = results.get(0).rps;
    System.out.printf(Locale.ROOT, "%nmedian of %d alternating rounds%n", ROUNDS);
    System.out.printf(Locale.ROOT, "%n| server | saturated req/s (c=%d, m=%d) | ratio to no-op | p50 / p99 / p999 at %d req/s (ms) | errors |%n",
        connections, streams, fixedRps);
    System.out.println("|---|---|---|---|---|");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "| %s | %.0f | %.2f | %.3f / %.3f / %.3f | %d |%n", r.name, r.rps, r.rps / ceiling,
          r.p50, r.p99, r.p999, r.errors);
    }
  }

  private static Result measure(String name, int port, Path body, Path work, int seconds, int connections, int streams,
      int fixedRps) throws Exception {
    String url = "http://127.0.0.1:" + port + PATH;
    // warm the JIT, then saturate
    h2load(List.of("-D", "5", "-c", Integer.toString(connections), "-m", Integer.toString(streams)), url, body);
    long cpuBefore = OS.getProcessCpuTime();
    String saturated = h2load(List.of("-D", Integer.toString(seconds), "-c", Integer.toString(connections), "-m",
        Integer.toString(streams)), url, body);
    long cpuNanos = OS.getProcessCpuTime() - cpuBefore;
    Matcher done = Pattern.compile("requests: .* ([0-9]+) succeeded").matcher(saturated);
    long succeeded = done.find() ? Long.parseLong(done.group(1)) : 0;
    double cpuPerRequest = succeeded == 0 ? Double.NaN : cpuNanos / 1000.0 / succeeded;
    Matcher m = Pattern.compile("finished in [^,]+, ([0-9.]+) req/s").matcher(saturated);
    double rps = m.find() ? Double.parseDouble(m.group(1)) : 0;
    Matcher e = Pattern.compile("requests: .* ([0-9]+) errored").matcher(saturated);
    long errors = e.find() ? Long.parseLong(e.group(1)) : -1;
    Path log = work.resolve("latency-" + port + ".log");
    Files.deleteIfExists(log);
    int perClient = Math.max(1, fixedRps / connections);
    h2load(List.of("-D", Integer.toString(seconds), "-c", Integer.toString(connections), "-m", "1", "--rps",
        Integer.toString(perClient), "--log-file", log.toString()), url, body);
    double[] micros = Files.readAllLines(log).stream().map(l -> l.split("\t")).filter(f -> f.length >= 3)
        .mapToDouble(f -> Double.parseDouble(f[2])).sorted().toArray();
    System.out.printf(Locale.ROOT, "%s: %.0f req/s saturated, %.1f µs server CPU per request, %d latency samples%n",
        name, rps, cpuPerRequest, micros.length);
    return new Result(name, rps, pct(micros, 0.5) / 1000, pct(micros, 0.99) / 1000, pct(micros, 0.999) / 1000, errors,
        cpuPerRequest);
  }

  private static double pct(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  private static String h2load(List<String> opts, String url, Path body) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("h2load", "-t", "1", "-d", body.toString(),
        "-H", "content-type: application/grpc", "-H", "te: trailers"));
    cmd.addAll(opts);
    cmd.add(url);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException("h2load failed: " + String.join(" ", cmd) + "\n" + out);
    }
    return out;
  }
}
