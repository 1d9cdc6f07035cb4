package io.switchyard.bench.flink;

import io.switchyard.bench.ThreadCpu;
import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.jvm.JarJvmOptions;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Spans per second through the whole Flink topology (pairing, pre-aggregation, windows, SLO,
 * exactly-once sinks) on the local MiniCluster jar, against the raw read rate of the same pre-filled span
 * topic in the same run, interleaved: raw, job, raw, job, ... Two raw reads per round: kafka-consumer-perf-test
 * itself in a JVM of its own ({@link ConsumerPerfTest}, the judged baseline), and a poll loop inside this JVM
 * (warm from the second round on, the only raw read before session 13); every ratio is printed against both.
 *
 * <p>Two figures per round, both printed:
 * <ul>
 *   <li><b>Whole run</b>: the job runs as a child JVM with {@code --bounded}; the clock runs from its span
 *       source's first span to its last ({@link SourceWatch#read}), so it counts JIT compilation of every hot path
 *       and reading and pairing every span, but neither the set-up before the first span (as the tool's fetch rate
 *       leaves out its group join) nor the end of input, the final exactly-once checkpoint and shutdown, which do
 *       not grow with the topic (and made every run's end wait 0-5 s for the checkpoint timer). CPU is the child's
 *       CPU time at the same two readings. The clock of sessions 6-14, from the ready line to the process's exit net
 *       of the same on a 10-request topic, is printed beside it. The tool's rate is its fetch rate (group join to
 *       last record); the loop is timed from its first record to its last.
 *   <li><b>Steady state</b>: both sides over the same stretch of the topic, from the moment
 *       {@value #STEADY_FROM_PERCENT} % of its spans were read to the moment {@value #STEADY_TO_PERCENT} %
 *       were: spans read in between divided by the time between. The tool's count is from its 20 ms
 *       interval lines, the loop counts what its polls returned; the job's count is its span source's {@code numRecordsOut} (every subtask), read
 *       from the job's Prometheus endpoint ({@code --metrics-port}, that one metric family only) every
 *       {@value #SCRAPE_MS} ms. With
 *       backpressure the source can run ahead of the pairing only by the buffers between them (a
 *       constant offset), so over this stretch it moves at the pace of the whole job. The job's CPU per
 *       span over the same stretch is the child's CPU time (from /proc) at the two samples. Neither side
 *       pays start-up, end of input or shutdown here; the job still pays whatever JIT compilation falls
 *       inside the stretch (a larger topic, e.g. 1,000,000 requests, leaves less of it).
 * </ul>
 * Each jar runs as {@code switchyard up} runs it: with the JVM flags its manifest names and its own
 * default parallelism, nothing of the bench's own ({@code -Dbench.childJvm} and {@code -Dbench.jobArgs}
 * add flags to the subject's runs for what-if measurements; a repeated job flag overrides).
 *
 * <p>Event time is synthetic (1,000 requests per event-time second), so the pairing wait and the window
 * length never add wall time. The topic holds the records ingest writes for OTel HTTP spans ({@link SpanTopicFill};
 * {@code -Dbench.spans=minimal}: the hand-built records of sessions 3-14).
 *
 * <p>{@code --state N}: instead, feeds N traces whose server side never arrives (all within one
 * event-time second, so none expires), runs the job unbounded until its consumer group has
 * committed every span, and reads the size of the next completed checkpoint from the job's REST API.
 *
 * <p>With a {@code BASELINE_JAR} (an earlier build's local jar), each round also runs it over the same
 * topic right after the subject, measured the same way, and prints the subject's CPU per span as a
 * multiple of the baseline's (whole run and steady state).
 *
 * <p><b>The Flink ceiling</b>: each round then runs a job that only reads the topic, the service-graph
 * job's own span source (same Kafka source settings, same {@code RawSpanDeserializer}, same
 * watermarks) into a discarding sink, in a child JVM started like the subject's (its manifest's flags,
 * MiniCluster, parallelism 1, bounded; {@code java -cp LOCAL_JAR:CLASSES}) and timed the same way,
 * net of its own 10-request run. It prints its share of the raw read and the subject's share of it:
 * how much of the gap to the raw read is Flink's source and runtime, and how much the job's own work.
 * Its main class ({@value #CEILING_MAIN}) is a source resource of this module, compiled at start
 * against the subject's local jar: Flink may not be on this JVM's class path. {@code -Dbench.ceiling=false}
 * skips it; {@code -Dbench.jobArgs} applies to it too (the source's settings are job flags), {@code
 * -Dbench.childJvm} does not (a flight recording would write the subject's file): {@code -Dbench.ceilingJvm}
 * gives it JVM flags of its own.
 *
 * <p>Usage: {@code FlinkServiceGraphBench LOCAL_JAR [REQUESTS] [ROUNDS] [BASELINE_JAR]} or
 * {@code FlinkServiceGraphBench LOCAL_JAR --state TRACES} (a request = a CLIENT and a SERVER span).
 */
public final class FlinkServiceGraphBench {
  private static final String READY = "switchyard-ready";
  /** The steady-state stretch of the topic, in percent of its spans read. */
  static final int STEADY_FROM_PERCENT = 25;
  static final int STEADY_TO_PERCENT = 75;
  /** How often the job's span source progress is read from its Prometheus endpoint. */
  static final int SCRAPE_MS = 100;
  /**
   * The same for the ceiling, which crosses the steady-state stretch in about a second: at
   * {@value #SCRAPE_MS} ms the stretch's ends would be read to a tenth of its length.
   */
  static final int CEILING_SCRAPE_MS = 20;
  /** The Flink-ceiling job: the subject jar's span source into a discarding sink. */
  static final String CEILING_MAIN = "io.switchyard.bench.flink.ceiling.SpanReadCeilingJob";
  private static final String CEILING_SOURCE = "/flink-ceiling/" + CEILING_MAIN.replace('.', '/') + ".java";

  private FlinkServiceGraphBench() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "flink-jobs/target/switchyard-flink-local.jar").toAbsolutePath();
    Path dir = Files.createTempDirectory("flink-bench");
    if (args.length > 2 && args[1].equals("--state")) {
      stateSize(jar, dir, Integer.parseInt(args[2]));
      return;
    }
    int requests = args.length > 1 ? Integer.parseInt(args[1]) : 500_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Path baseline = args.length > 3 ? Path.of(args[3]).toAbsolutePath() : null;
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).port(0).controllerPort(0).build().start()) {
      kafka.createTopics(Topics.all("warm."));
      kafka.createTopics(Topics.all("bench."));
      SpanTopicFill topic = new SpanTopicFill(SpanTopicFill.Shape.fromProperty());
      topic.fill(kafka.bootstrapServers(), "warm.", 10, false);
      long spans = topic.fill(kafka.bootstrapServers(), "bench.", requests, false);
      System.out.printf("spans in topic           %d (%d requests), load before: %s%n", spans, requests, load());

      Child subject = Child.job(jar, true);
      Child ceiling = Boolean.parseBoolean(System.getProperty("bench.ceiling", "true")) ? Child.ceiling(jar, compileCeiling(jar, dir)) : null;
      Run fixed = runJob(subject, kafka.bootstrapServers(), "warm.", dir.resolve("warm"), "warm", List.of("--bounded"), 0);
      System.out.printf("fixed part (10 requests) %.2f s wall, %.2f s CPU after ready (JIT %.1f s)%n", fixed.wallSeconds,
        fixed.cpuSeconds, fixed.jitSeconds);
      Run baseFixed = null;
      if (baseline != null) {
        baseFixed = runJob(Child.job(baseline, false), kafka.bootstrapServers(), "warm.", dir.resolve("base-warm"), "base-warm",
            List.of("--bounded"), 0);
        System.out.printf("baseline fixed part      %.2f s wall, %.2f s CPU after ready%n", baseFixed.wallSeconds, baseFixed.cpuSeconds);
      }
      Run ceilingFixed = null;
      if (ceiling != null) {
        ceilingFixed = runJob(ceiling, kafka.bootstrapServers(), "warm.", dir.resolve("ceiling-warm"), "ceiling-warm",
            List.of("--bounded"), 0);
        System.out.printf("ceiling fixed part       %.2f s wall, %.2f s CPU after ready%n", ceilingFixed.wallSeconds,
            ceilingFixed.cpuSeconds);
      }
      Figures job = new Figures();
      Figures base = new Figures();
      Figures top = new Figures();
      for (int r = 1; r <= rounds; r++) {
        ConsumerPerfTest.Rates tool = ConsumerPerfTest.run(kafka.bootstrapServers(), "bench." + Topics.SPANS.name(), spans,
            "perf-test-" + r, STEADY_FROM_PERCENT, STEADY_TO_PERCENT);
        RawRead loop = rawRead(kafka.bootstrapServers(), "bench." + Topics.SPANS.name(), spans, "raw-read-" + r);
        Reads raw = new Reads(tool, loop);
        System.out.printf("round %d: kafka-consumer-perf-test %.0f records/s (%.0f with its group join), steady state %.0f |"
            + " the bench's warm poll loop %.0f, steady state %.0f%n", r, tool.fetch(), tool.headline(), tool.steady(),
            spans / loop.seconds, loop.steadyRate);
        job.add(reportJob("job", r, subject, fixed, kafka.bootstrapServers(), dir, spans, requests, raw));
        if (baseline != null) {
          // The same topic through the baseline build, right after: CPU per span of the two, same machine load.
          base.add(reportJob("baseline", r, Child.job(baseline, false), baseFixed, kafka.bootstrapServers(), dir, spans, requests, raw));
          System.out.printf("round %d: job CPU per span = %.2f x the baseline's (steady state %.2f x)%n", r,
              job.cpu.get(r - 1) / base.cpu.get(r - 1), job.steadyCpu.get(r - 1) / base.steadyCpu.get(r - 1));
        }
        if (ceiling != null) {
          // Both rates are shares of this round's raw read, so their quotient is the job's share of the ceiling.
          top.add(reportJob("ceiling", r, ceiling, ceilingFixed, kafka.bootstrapServers(), dir, spans, requests, raw));
          System.out.printf("round %d: job = %.1f %% of the Flink ceiling whole run, %.1f %% steady state | steady CPU per span:"
              + " ceiling %.2f us, the job's own %.2f us on top%n", r, 100 * job.ratio.get(r - 1) / top.ratio.get(r - 1),
              100 * job.steadyRatio.get(r - 1) / top.steadyRatio.get(r - 1), top.steadyCpu.get(r - 1) * 1e6,
              (job.steadyCpu.get(r - 1) - top.steadyCpu.get(r - 1)) * 1e6);
        }
      }
      System.out.printf("median ratio to kafka-consumer-perf-test %.1f %% whole run, %.1f %% steady state (target >= 30 %%);"
          + " to the warm poll loop %.1f %% whole run, %.1f %% steady state%n", 100 * median(job.ratio), 100 * median(job.steadyRatio),
          100 * median(job.loopRatio), 100 * median(job.loopSteadyRatio));
      if (baseline != null) {
        System.out.printf("baseline's median ratio to kafka-consumer-perf-test %.1f %% whole run, %.1f %% steady state;"
            + " to the warm poll loop %.1f %% whole run, %.1f %% steady state%n", 100 * median(base.ratio),
            100 * median(base.steadyRatio), 100 * median(base.loopRatio), 100 * median(base.loopSteadyRatio));
        System.out.printf("median CPU per span vs baseline %.2f x whole run, %.2f x steady state%n",
            median(ratios(job.cpu, base.cpu)), median(ratios(job.steadyCpu, base.steadyCpu)));
      }
      if (ceiling != null) {
        System.out.printf("Flink ceiling's median ratio to kafka-consumer-perf-test %.1f %% whole run, %.1f %% steady state;"
            + " job's median share of the ceiling %.1f %% whole run, %.1f %% steady state%n", 100 * median(top.ratio),
            100 * median(top.steadyRatio), 100 * median(ratios(job.ratio, top.ratio)), 100 * median(ratios(job.steadyRatio, top.steadyRatio)));
      }
    }
  }

  /** One build's per-round figures: ratios to the raw read, CPU seconds (whole run), CPU per span (steady state). */
  private static final class Figures {
    final List<Double> ratio = new ArrayList<>();
    final List<Double> steadyRatio = new ArrayList<>();
    final List<Double> cpu = new ArrayList<>();
    final List<Double> steadyCpu = new ArrayList<>();

    final List<Double> loopRatio = new ArrayList<>();
    final List<Double> loopSteadyRatio = new ArrayList<>();

    void add(double[] round) {
      ratio.add(round[0]);
      steadyRatio.add(round[1]);
      cpu.add(round[2]);
      steadyCpu.add(round[3]);
      loopRatio.add(round[4]);
      loopSteadyRatio.add(round[5]);
    }
  }

  private static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> r = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      r.add(a.get(i) / b.get(i));
    }
    return r;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  /**
   * One timed run of {@code jar} over the bench topic; returns its ratio to kafka-consumer-perf-test (whole run,
   * steady state), its net CPU seconds, its steady-state CPU seconds per span, and its ratio to the bench's warm
   * poll loop (whole run, steady state).
   */
  private static double[] reportJob(String label, int round, Child child, Run fixed, String bootstrap, Path dir, long spans,
      int requests, Reads raw) throws IOException, InterruptedException {
    String group = label + "-" + round;
    Run full = runJob(child, bootstrap, "bench.", dir.resolve(group), group, List.of("--bounded"), spans);
    // The whole run: from the span source's first span to its last (see SourceWatch.read), as the tool's fetch rate
    // leaves out its group join and the poll loop starts at its first record.
    double job = spans / full.readSeconds;
    double cpu = full.readCpuSeconds;
    // To the process's exit, net of the 10-request run: the figure of sessions 6-14, which also counts the end of
    // input, the final exactly-once checkpoint (0-5 s of waiting for its timer) and shutdown.
    double net = full.wallSeconds - fixed.wallSeconds;
    double jit = full.jitSeconds - fixed.jitSeconds;
    double toolRate = raw.tool.fetch();
    double loopRate = spans / raw.loop.seconds;
    System.out.printf("round %d: %s %.0f spans/s first to last span read (%.2f s, from %.2f s after ready) = %.1f %% of"
        + " kafka-consumer-perf-test (%.1f %% of the warm poll loop) | %.2f s CPU = %.2f us per span, %.4f vCPU per 1000"
        + " requests/s | to exit: %.2f s after ready,"
        + " %.0f spans/s net of the 10-request run (%.1f %% of the tool), %.1f s CPU net, JIT compiler threads %.1f s net"
        + " | load %s%n",
        round, label, job, full.readSeconds, full.firstSpanSeconds, 100 * job / toolRate, 100 * job / loopRate, cpu, cpu / spans * 1e6,
        cpu / requests * 1000, full.wallSeconds, spans / net, 100 * spans / net / toolRate, full.cpuSeconds - fixed.cpuSeconds,
        jit, load());
    Steady s = full.steady;
    System.out.printf("round %d: steady state (%d-%d %% of the topic): %s %.0f spans/s = %.1f %% of kafka-consumer-perf-test"
        + " (%.1f %% of the warm poll loop) | %.1f us CPU per span, %.4f vCPU per 1000 requests/s | source at %d %% %.1f s,"
        + " at %d %% %.1f s after ready | us per span by thread: %s%n",
        round, STEADY_FROM_PERCENT, STEADY_TO_PERCENT, label, s.rate, 100 * s.rate / raw.tool.steady(),
        100 * s.rate / raw.loop.steadyRate, s.cpuPerSpan * 1e6, s.cpuPerSpan * 2 * 1000, STEADY_FROM_PERCENT, s.fromSeconds,
        STEADY_TO_PERCENT, s.toSeconds, s.threads);
    return new double[] {job / toolRate, s.rate / raw.tool.steady(), cpu, s.cpuPerSpan, job / loopRate, s.rate / raw.loop.steadyRate};
  }

  private static String load() throws IOException {
    return Files.readString(Path.of("/proc/loadavg")).trim();
  }

  /** The raw read: seconds from its first record to its last, and its rate over the steady-state stretch. */
  private record RawRead(double seconds, double steadyRate) {}

  /** A round's two raw reads of the topic: kafka-consumer-perf-test (the judged baseline) and the bench's warm poll loop. */
  private record Reads(ConsumerPerfTest.Rates tool, RawRead loop) {}

  private static RawRead rawRead(String bootstrap, String topic, long expected, String group) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long from = expected * STEADY_FROM_PERCENT / 100;
      long to = expected * STEADY_TO_PERCENT / 100;
      long seen = 0;
      long start = 0;
      long fromAt = 0;
      long fromSeen = 0;
      long toAt = 0;
      long toSeen = 0;
      while (seen < expected) {
        int n = c.poll(Duration.ofMillis(500)).count();
        long now = System.nanoTime();
        if (n > 0 && start == 0) {
          start = now; // from the first record: group join is not read rate
        }
        seen += n;
        if (fromAt == 0 && seen >= from) {
          fromAt = now;
          fromSeen = seen;
        }
        if (toAt == 0 && seen >= to) {
          toAt = now;
          toSeen = seen;
        }
      }
      return new RawRead((System.nanoTime() - start) / 1e9, (toSeen - fromSeen) / ((toAt - fromAt) / 1e9));
    }
  }

  /**
   * The job over the steady-state stretch: spans per second, CPU seconds per span, and when (seconds
   * after the ready line) the job's source reached the stretch's start and end.
   */
  private record Steady(double rate, double cpuPerSpan, double fromSeconds, double toSeconds, String threads) {}

  /**
   * Wall and CPU seconds after the ready line; of the CPU, what the JIT compiler threads used in the
   * whole run; the steady-state figures when they were watched.
   */
  private record Run(double wallSeconds, double cpuSeconds, double jitSeconds, Steady steady, double readSeconds,
      double readCpuSeconds, double firstSpanSeconds) {}

  /**
   * What a child JVM runs: the local jar {@code -jar}, or a main class on its class path; the system
   * property naming its what-if JVM flags (none for the baseline), whether {@code bench.jobArgs} applies.
   */
  private record Child(Path jar, List<String> launch, String jvmFlagsProperty, boolean whatIfArgs, int scrapeMs) {
    static Child job(Path jar, boolean subject) {
      return new Child(jar, List.of("-jar", jar.toString()), subject ? "bench.childJvm" : null, subject, SCRAPE_MS);
    }

    /**
     * The ceiling job on the local jar's class path. {@code -cp} does not read the jar's manifest, so
     * the packages it opens ({@code Add-Opens}, what Flink needs on Java 17) are passed as flags.
     */
    static Child ceiling(Path jar, Path classes) throws IOException {
      List<String> launch = new ArrayList<>();
      try (JarFile j = new JarFile(jar.toFile())) {
        String opens = j.getManifest().getMainAttributes().getValue("Add-Opens");
        for (String p : opens == null ? new String[0] : opens.trim().split("\\s+")) {
          launch.add("--add-opens=" + p + "=ALL-UNNAMED");
        }
      }
      launch.addAll(List.of("-cp", jar + java.io.File.pathSeparator + classes, CEILING_MAIN));
      return new Child(jar, launch, "bench.ceilingJvm", true, CEILING_SCRAPE_MS);
    }
  }

  /**
   * Compiles the ceiling job's source (a resource of this module) against {@code jar} into a folder
   * under {@code dir}: this JVM's class path holds no Flink, the jar under test does.
   */
  static Path compileCeiling(Path jar, Path dir) throws IOException {
    Path src = dir.resolve("ceiling-src").resolve(CEILING_SOURCE.substring(CEILING_SOURCE.indexOf('/', 1) + 1));
    Path classes = dir.resolve("ceiling-classes");
    Files.createDirectories(src.getParent());
    Files.createDirectories(classes);
    try (InputStream in = FlinkServiceGraphBench.class.getResourceAsStream(CEILING_SOURCE)) {
      if (in == null) {
        throw new IllegalStateException("no " + CEILING_SOURCE + " on the class path (bench/target/classes)");
      }
      Files.copy(in, src);
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) {
      throw new IllegalStateException("the Flink ceiling is compiled at start: run the bench on a JDK, or pass -Dbench.ceiling=false");
    }
    int rc = javac.run(null, null, null, "--release", "17", "-proc:none", "-cp", jar.toString(), "-d", classes.toString(),
        src.toString());
    if (rc != 0) {
      throw new IllegalStateException("the Flink ceiling job did not compile against " + jar + " (it needs SwitchyardPipeline.spans,"
          + " session 11 or later); pass -Dbench.ceiling=false for an older jar");
    }
    return classes;
  }

  /**
   * Runs a child JVM to its exit; times and CPU are counted from its ready line. With {@code spans}
   * above 0, watches its span source's progress over the steady-state stretch of that many spans.
   */
  private static Run runJob(Child child, String bootstrap, String prefix, Path data, String group, List<String> extra, long spans)
      throws IOException, InterruptedException {
    Path cpu = data.resolveSibling(group + "-cpu.txt");
    Path log = data.resolveSibling(group + "-log.txt");
    Files.createDirectories(data);
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-f", "%U %S", "-o", cpu.toString(),
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmOptions(child.jar()));
    // e.g. -Dbench.childJvm=-XX:StartFlightRecording=filename=job.jfr,settings=profile to profile the subject job
    String childJvm = child.jvmFlagsProperty() == null ? "" : System.getProperty(child.jvmFlagsProperty(), "");
    if (!childJvm.isBlank()) {
      cmd.addAll(List.of(childJvm.trim().split("\\s+")));
    }
    cmd.addAll(child.launch());
    cmd.addAll(List.of("--kafka", bootstrap, "--topic-prefix", prefix, "--data-dir", data.toString(),
        "--group-id", "bench-" + group, "--restart-attempts", "0", "--metrics-port", Integer.toString(freePort())));
    cmd.addAll(extra);
    // e.g. -Dbench.jobArgs="--dedupe-ttl 20m" to run the subject job with other flags (what-if runs),
    // its fixed-part run too so that what is subtracted was run the same way
    String jobArgs = System.getProperty("bench.jobArgs", "");
    if (!jobArgs.isBlank() && child.whatIfArgs()) {
      cmd.addAll(List.of(jobArgs.trim().split("\\s+")));
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    SourceWatch source = spans > 0 ? new SourceWatch(p, metricsPort(cmd), spans, child.scrapeMs()) : null;
    long readyAt = 0;
    JitWatch jit = new JitWatch(p);
    jit.start();
    double cpuAtReady = 0;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter w = Files.newBufferedWriter(log)) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (readyAt == 0 && line.startsWith(READY)) {
          readyAt = System.nanoTime();
          cpuAtReady = cpuSeconds(p);
          if (source != null) {
            source.readyAt = readyAt;
            source.lastAt = readyAt;
            source.lastCpu = cpuAtReady;
            source.startAt = readyAt;
            source.startCpu = cpuAtReady;
            source.start();
          }
        }
        w.write(line);
        w.newLine();
      }
    }
    int rc = p.waitFor();
    jit.interrupt();
    jit.join();
    double wall = (System.nanoTime() - readyAt) / 1e9;
    if (rc != 0 || readyAt == 0) {
      throw new IllegalStateException("flink job exited " + rc + ", see " + log);
    }
    Steady steady = null;
    double[] read = {Double.NaN, Double.NaN, Double.NaN};
    if (source != null) {
      source.interrupt();
      source.join();
      steady = source.steady();
      read = source.read();
    }
    String[] f = Files.readString(cpu).trim().split("\\s+");
    return new Run(wall, Double.parseDouble(f[0]) + Double.parseDouble(f[1]) - cpuAtReady, jit.seconds, steady, read[0], read[1], read[2]);
  }

  /**
   * The JVM flags the jar's manifest names, the ones {@code switchyard up} starts it with
   * ({@link JarJvmOptions}); the job runs with its own default parallelism too. A jar built before the
   * manifest named any (session 6 and earlier) gets the flags this bench used to pass them.
   */
  static List<String> jvmOptions(Path jar) throws IOException {
    List<String> own = JarJvmOptions.of(jar);
    return own.isEmpty() ? List.of("-Xmx1g", "-XX:+UseParallelGC") : own;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static int metricsPort(List<String> cmd) {
    return Integer.parseInt(cmd.get(cmd.indexOf("--metrics-port") + 1));
  }

  /**
   * Reads the job's span source progress ({@code numRecordsOut} of the {@code spans} source operator,
   * summed over its subtasks) from the job's Prometheus endpoint every {@value #SCRAPE_MS} ms (the
   * ceiling: {@value #CEILING_SCRAPE_MS} ms), with
   * the child's CPU time at each reading, and keeps the first readings at or past the steady-state
   * stretch's two ends.
   */
  private static final class SourceWatch extends Thread {
    private static final String RECORDS_OUT_FAMILY = "flink_taskmanager_job_task_operator_numRecordsOut";
    private static final String RECORDS_OUT = RECORDS_OUT_FAMILY + "{";
    private static final String SPAN_SOURCE = "operator_name=\"Source:_spans\"";
    /** The span lanes' sources (job option --span-lanes), each reading its share of the partitions. */
    private static final String SPAN_LANE_SOURCE = "operator_name=\"Source:_spans_lane_";
    private final Process time;
    private final URI metrics;
    private final long from;
    private final long to;
    private final int scrapeMs;
    private final HttpClient http = HttpClient.newHttpClient();
    private long fromAt;
    private long fromSpans;
    private double fromCpu;
    private long toAt;
    private long toSpans;
    private double toCpu;
    private final long total;
    private Map<String, Long> fromThreads = Map.of();
    private Map<String, Long> toThreads = Map.of();
    private long lastSeen;
    private long lastAt;
    private double lastCpu;
    private long endAt;
    private double endCpu;
    private long startAt;
    private double startCpu;
    long readyAt;

    SourceWatch(Process time, int port, long spans, int scrapeMs) {
      this.scrapeMs = scrapeMs;
      this.time = time;
      // Only this one family: the whole page (thousands of series) took the job's reporter a third of
      // a core to write at this rate.
      this.metrics = URI.create("http://127.0.0.1:" + port + "/metrics?name%5B%5D=" + RECORDS_OUT_FAMILY);
      this.from = spans * STEADY_FROM_PERCENT / 100;
      this.to = spans * STEADY_TO_PERCENT / 100;
      this.total = spans;
      setDaemon(true);
    }

    @Override
    public void run() {
      while (endAt == 0 && time.isAlive()) {
        try {
          long spans = readSpans();
          long now = System.nanoTime();
          double cpu = cpuSeconds(time);
          if (spans >= total) {
            // The last span was read between the previous reading and this one: interpolated, at this
            // reading's rate, so the scrape interval does not add up to a tenth of a second to a 2 s run.
            double share = spans == lastSeen ? 1 : (double) (total - lastSeen) / (spans - lastSeen);
            endAt = lastAt + (long) ((now - lastAt) * share);
            endCpu = lastCpu + (cpu - lastCpu) * share;
          }
          if (fromAt == 0 && spans >= from) {
            fromAt = now;
            fromSpans = spans;
            fromCpu = cpu;
            fromThreads = threads();
          } else if (fromAt != 0 && toAt == 0 && spans >= to) {
            toAt = now;
            toSpans = spans;
            toCpu = cpu;
            toThreads = threads();
          }
          if (spans == 0) {
            startAt = now;
            startCpu = cpu;
          }
          lastSeen = spans;
          lastAt = now;
          lastCpu = cpu;
          if (endAt == 0) {
            // sampling a counter; no push API. Every 20 ms until the first span, which starts the clock.
            Thread.sleep(spans == 0 ? Math.min(scrapeMs, CEILING_SCRAPE_MS) : scrapeMs);
          }
        } catch (InterruptedException e) {
          return;
        } catch (IOException e) {
          // the endpoint is not up yet, or the job is ending: try again
        }
      }
    }

    /**
     * Seconds and CPU seconds from the span source's first span to its last, and from the ready line to its first
     * span. The first span's moment is the last reading that saw none (the earlier, the slower the rate). One
     * thread runs the source and the whole span path (pairing, limiter, pre-aggregation), so a span read is a
     * span paired, but for the trace batcher's few buffered spans.
     */
    double[] read() {
      if (endAt == 0) {
        throw new IllegalStateException("the job's span source was not seen reading all " + total + " spans (last reading "
            + lastSeen + ") at " + metrics);
      }
      return new double[] {(endAt - startAt) / 1e9, endCpu - startCpu, (startAt - readyAt) / 1e9};
    }

    /** The child JVM's CPU by thread group (the JVM is the child of /usr/bin/time). */
    private Map<String, Long> threads() {
      return time.descendants().findFirst().map(h -> ThreadCpu.snapshot(h.pid())).orElse(Map.of());
    }

    /** Microseconds of CPU per span over the steady-state stretch by thread group, the largest first. */
    String threadsPerSpan() {
      return toAt == 0 ? "[]" : ThreadCpu.describe(ThreadCpu.perRequestMicros(fromThreads, toThreads, toSpans - fromSpans));
    }

    private long readSpans() throws IOException, InterruptedException {
      long sum = 0;
      for (String line : http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofLines()).body().toList()) {
        if (line.startsWith(RECORDS_OUT) && (line.contains(SPAN_SOURCE) || line.contains(SPAN_LANE_SOURCE))) {
          sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    }

    Steady steady() {
      if (fromAt != 0 && fromSpans >= to) {
        // The whole stretch went by between two readings (a topic too small for this reader): no figure.
        double at = (fromAt - readyAt) / 1e9;
        return new Steady(Double.NaN, Double.NaN, at, at, "[]");
      }
      if (toAt == 0) {
        throw new IllegalStateException("the job's span source was not seen crossing " + STEADY_FROM_PERCENT + " and "
            + STEADY_TO_PERCENT + " % of the topic (last reading " + lastSeen + " spans) at " + metrics);
      }
      return new Steady((toSpans - fromSpans) / ((toAt - fromAt) / 1e9), (toCpu - fromCpu) / (toSpans - fromSpans),
          (fromAt - readyAt) / 1e9, (toAt - readyAt) / 1e9, threadsPerSpan());
    }
  }

  /**
   * Polls the child JVM's JIT compiler threads' CPU time (Linux /proc, in USER_HZ ticks) until the
   * process ends, keeping the last reading: in a run of half a minute, C2 compiling the hot paths is a
   * large share of the job's CPU that a long-running job pays once. Reported beside the CPU figures,
   * never subtracted from the judged ones. Stays 0 where /proc is missing.
   */
  private static final class JitWatch extends Thread {
    private final Process time;
    volatile double seconds;

    JitWatch(Process time) {
      this.time = time;
      setDaemon(true);
    }

    @Override
    public void run() {
      while (time.isAlive()) {
        time.descendants().forEach(h -> {
          double s = compilerSeconds(h.pid());
          if (s > 0) {
            seconds = s;
          }
        });
        try {
          Thread.sleep(250); // sampling /proc; no notification exists
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private static double compilerSeconds(long pid) {
      long ticks = 0;
      try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
        for (Path t : (Iterable<Path>) tasks::iterator) {
          try {
            String stat = Files.readString(t.resolve("stat"));
            String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
              String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
              ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            }
          } catch (IOException | RuntimeException e) {
            // the thread ended between listing and reading
          }
        }
      } catch (IOException | RuntimeException e) {
        return 0;
      }
      return ticks / 100.0;
    }
  }

  /** CPU time so far of the java process under /usr/bin/time. */
  private static double cpuSeconds(Process time) {
    return time.descendants().map(h -> h.info().totalCpuDuration().orElse(Duration.ZERO)).reduce(Duration.ZERO, Duration::plus)
        .toNanos() / 1e9;
  }

  private static void stateSize(Path jar, Path dir, int traces) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).port(0).controllerPort(0).build().start()) {
      kafka.createTopics(Topics.all("state."));
      long spans = new SpanTopicFill(SpanTopicFill.Shape.fromProperty()).fill(kafka.bootstrapServers(), "state.", traces, true);
      int restPort;
      try (ServerSocket s = new ServerSocket(0)) {
        restPort = s.getLocalPort();
      }
      Path data = dir.resolve("state");
      Files.createDirectories(data);
      Path log = dir.resolve("state-log.txt");
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      cmd.addAll(jvmOptions(jar));
      cmd.addAll(List.of("-jar", jar.toString(), "--kafka", kafka.bootstrapServers(), "--topic-prefix", "state.",
          "--data-dir", data.toString(), "--group-id", "bench-state", "--restart-attempts", "0", "--checkpoint-interval", "3s",
          "--rest-port", Integer.toString(restPort)));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        long start = System.nanoTime();
        long committed = 0;
        long last = -1;
        int still = 0;
        // Until every span is committed, or nothing moved for 30 s (then the state of what was read is
        // measured and scaled; a partition lagging behind the others was seen on a loaded machine).
        while (committed < spans && still < 30) {
          if (!p.isAlive()) {
            throw new IllegalStateException("flink job exited " + p.exitValue() + ", see " + log);
          }
          Thread.sleep(1000); // polling the group's committed offsets; no push API
          committed = admin.listConsumerGroupOffsets("bench-state").partitionsToOffsetAndMetadata().get().values().stream()
              .filter(java.util.Objects::nonNull).mapToLong(o -> o.offset()).sum();
          still = committed > 0 && committed == last ? still + 1 : 0;
          last = committed;
        }
        traces = (int) committed;
        System.out.printf("%d waiting traces consumed and committed after %.1f s%n", traces, (System.nanoTime() - start) / 1e9);
        // Offsets commit when a checkpoint completes; the next one holds every span's state.
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + restPort;
        String jobs = get(http, base + "/jobs/overview");
        String jobId = field(jobs, "jid");
        long firstId = Long.parseLong(field(get(http, base + "/jobs/" + jobId + "/checkpoints"), "id"));
        String latest;
        long id;
        do {
          Thread.sleep(1000); // waiting for the next checkpoint; no push API
          latest = get(http, base + "/jobs/" + jobId + "/checkpoints");
          id = Long.parseLong(field(latest, "id"));
        } while (id <= firstId + 1);
        long stateSize = Long.parseLong(field(latest, "state_size"));
        String details = get(http, base + "/jobs/" + jobId + "/checkpoints/details/" + id);
        System.out.printf("checkpoint %d: whole job state %.1f MB = %.1f MB per million waiting traces%n", id, stateSize / 1e6,
            stateSize / 1e6 * 1_000_000 / traces);
        java.util.regex.Matcher v = java.util.regex.Pattern.compile("\\{\"id\":\"([0-9a-f]{32})\"[^{}]*?\"name\":\"([^\"]*)\"")
            .matcher(get(http, base + "/jobs/" + jobId));
        while (v.find()) {
          java.util.regex.Matcher t = java.util.regex.Pattern.compile("\"" + v.group(1) + "\":\\{[^}]*?\"state_size\":(\\d+)").matcher(details);
          if (t.find() && Long.parseLong(t.group(1)) > 0) {
            System.out.printf("  %-60.60s %10.1f MB%n", v.group(2), Long.parseLong(t.group(1)) / 1e6);
          }
        }
      } finally {
        p.destroy();
        p.waitFor();
      }
    }
  }

  private static String get(HttpClient http, String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The first value of a JSON field in the latest completed checkpoint (or anywhere, if absent). */
  private static String field(String json, String name) {
    int from = json.indexOf("\"completed\":{");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
    if (from >= 0 && m.find(from)) {
      return m.group(1);
    }
    if (m.find(0)) {
      return m.group(1);
    }
    throw new IllegalStateException("no " + name + " in " + json);
  }
}
