package io.switchyard.bench.soak;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A soak run of the embedded runtime as a user starts it: {@code bin/switchyard up --demo --rps N} for
 * some minutes, sampled at a fixed interval, then stopped with SIGTERM. It answers what a benchmark of
 * seconds cannot: whether memory, threads, file descriptors, the data folder, consumer lag or the
 * ext_authz tail grow with time, whether checkpoints keep completing, and whether the process stops
 * cleanly after it all.
 *
 * <p>Live heap is read twice, after the warm-up and at the end, from a class histogram (which runs a
 * full collection first), so that garbage the collector has not yet reached does not look like growth;
 * the classes that grew most between the two are listed. Everything else is sampled every interval.
 *
 * <p>Usage: {@code UpSoak HOME [--minutes M] [--warmup-minutes W] [--rps N] [--interval SECONDS] [--out DIR]};
 * HOME is the checkout ({@code bin/switchyard} is run from it). The default ports of {@code up} must be free.
 */
public final class UpSoak {
  private static final Pattern DEMO = Pattern.compile(
      "demo: sent (\\d+)\\s+allowed (\\d+)\\s+denied (\\d+)\\s+limited (\\d+)\\s+failed (\\d+)\\s+unanswered (\\d+)");
  private static final Pattern HISTO_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
  private static final String ADMIN = "http://127.0.0.1:9464/metrics";
  private static final String FLINK = "http://127.0.0.1:9249/metrics";
  private static final String GRAPH = "http://127.0.0.1:8080/api/v1/graph?from=now-5m";

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private UpSoak() {}

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    Map<String, String> opts = options(args);
    int minutes = Integer.parseInt(opts.getOrDefault("--minutes", "30"));
    int warmup = Integer.parseInt(opts.getOrDefault("--warmup-minutes", "5"));
    String rps = opts.getOrDefault("--rps", "200");
    int interval = Integer.parseInt(opts.getOrDefault("--interval", "30"));
    Path out = Path.of(opts.getOrDefault("--out", Files.createTempDirectory("switchyard-soak").toString()));
    if (warmup >= minutes) {
      throw new IllegalArgumentException("--warmup-minutes must be less than --minutes");
    }
    new UpSoak().run(home, minutes, warmup, rps, interval, out);
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      m.put(args[i], args[i + 1]);
    }
    return m;
  }

  private void run(Path home, int minutes, int warmup, String rps, int interval, Path out) throws Exception {
    Files.createDirectories(out);
    Path data = out.resolve("data");
    List<String> cmd = List.of(home.resolve("bin/switchyard").toString(), "up", "--demo", "--rps", rps,
        "--data-dir", data.toString());
    System.out.printf("# Soak: `%s` for %d minutes (warm-up %d), sampled every %d s%n%n", String.join(" ", cmd).replace(home + "/", ""),
        minutes, warmup, interval);
    System.out.printf("started %s, load %s; log and samples in %s%n%n", LocalTime.now().truncatedTo(ChronoUnit.SECONDS), load(), out);
    Process up = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true).start();
    Log log = new Log(up.getInputStream(), out.resolve("up.log"));
    log.start();
    if (!log.up.await(10, TimeUnit.MINUTES)) {
      up.destroyForcibly();
      throw new IllegalStateException("up did not start within 10 minutes; see " + out.resolve("up.log"));
    }
    long upAt = System.nanoTime();
    ProcessHandle child = awaitChild(up.toHandle());
    List<Sample> samples = new ArrayList<>();
    Histogram mainBefore = null;
    Histogram childBefore = null;
    long lastChecks = -1;
    Map<Double, Double> lastBuckets = Map.of();
    try (BufferedWriter csv = Files.newBufferedWriter(out.resolve("samples.csv"))) {
      csv.write(Sample.HEADER);
      csv.newLine();
      for (long next = upAt; ; ) {
        next += TimeUnit.SECONDS.toNanos(interval);
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        double at = (System.nanoTime() - upAt) / 60e9;
        if (mainBefore == null && at >= warmup) {
          mainBefore = Histogram.of(up.pid());
          childBefore = Histogram.of(child.pid());
        }
        String admin = get(ADMIN);
        Map<Double, Double> buckets = Prom.buckets(admin, "switchyard_extauthz_check_duration_seconds_bucket");
        long checks = Math.round(buckets.getOrDefault(Double.POSITIVE_INFINITY, 0.0));
        double p99 = lastChecks < 0 ? Double.NaN : Prom.quantile(buckets, lastBuckets, 0.99);
        lastChecks = checks;
        lastBuckets = buckets;
        String flink = get(FLINK);
        Sample s = new Sample(at, Proc.of(up.pid()), Prom.value(admin, "jvm_memory_pool_used_bytes", "G1 Old Gen") / 1e6,
            child.isAlive() ? Proc.of(child.pid()) : Proc.GONE,
            Prom.value(flink, "flink_taskmanager_Status_JVM_Memory_Heap_Used", "") / 1e6,
            Files.exists(data) ? megabytes(data) : 0, megabytes(data.resolve("kafka")), megabytes(data.resolve("flink")),
            Prom.value(flink, "flink_jobmanager_job_numberOfCompletedCheckpoints", ""),
            Prom.value(flink, "flink_jobmanager_job_numberOfFailedCheckpoints", ""),
            Prom.max(flink, "KafkaConsumer_records_lag_max", "Source:_spans"),
            Prom.max(flink, "KafkaConsumer_records_lag_max", "Source:_access_logs"),
            edges(), p99 * 1e3, log.demo.get());
        samples.add(s);
        csv.write(s.csv());
        csv.newLine();
        csv.flush();
        if (at >= minutes) {
          break;
        }
      }
    }
    Histogram mainAfter = Histogram.of(up.pid());
    Histogram childAfter = child.isAlive() ? Histogram.of(child.pid()) : null;
    long stopAt = System.nanoTime();
    up.toHandle().destroy();
    boolean exited = up.waitFor(60, TimeUnit.SECONDS);
    double stopSeconds = (System.nanoTime() - stopAt) / 1e9;
    log.join(10_000);
    boolean childGone;
    try {
      child.onExit().get(20, TimeUnit.SECONDS);
      childGone = true;
    } catch (java.util.concurrent.TimeoutException e) {
      childGone = false;
    }
    report(samples, warmup, mainBefore, mainAfter, childBefore, childAfter, log, exited ? up.exitValue() : null, stopSeconds,
        childGone);
    if (!exited) {
      up.destroyForcibly();
    }
  }

  private void report(List<Sample> samples, int warmup, Histogram mainBefore, Histogram mainAfter, Histogram childBefore,
      Histogram childAfter, Log log, Integer exit, double stopSeconds, boolean childGone) {
    Sample first = samples.stream().filter(s -> s.minutes >= warmup).findFirst().orElse(samples.get(0));
    Sample last = samples.get(samples.size() - 1);
    double hours = (last.minutes - first.minutes) / 60;
    System.out.println("| series | after warm-up | end | change per hour | min..max after warm-up |");
    System.out.println("|---|---|---|---|---|");
    List<Sample> steady = samples.stream().filter(s -> s.minutes >= first.minutes).toList();
    for (Sample.Series series : Sample.SERIES) {
      double a = series.of(first);
      double b = series.of(last);
      double min = steady.stream().mapToDouble(series::of).filter(v -> !Double.isNaN(v)).min().orElse(Double.NaN);
      double max = steady.stream().mapToDouble(series::of).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
      System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %+.1f | %.1f..%.1f |%n", series.name(), a, b, (b - a) / hours, min, max);
    }
    if (mainBefore != null) {
      System.out.printf(Locale.ROOT, "%nlive heap after a full collection, at %d min and at the end: main JVM %.1f -> %.1f MB,"
          + " Flink child %s%n", warmup, mainBefore.total / 1e6, mainAfter.total / 1e6,
          childAfter == null ? "gone" : String.format(Locale.ROOT, "%.1f -> %.1f MB", childBefore.total / 1e6, childAfter.total / 1e6));
      System.out.println("main JVM, classes that grew most: " + mainAfter.growthSince(mainBefore, 8));
      if (childAfter != null) {
        System.out.println("Flink child, classes that grew most: " + childAfter.growthSince(childBefore, 8));
      }
    }
    double sent = last.demo[0] - first.demo[0];
    System.out.printf(Locale.ROOT, "%ndemo after warm-up: %.0f requests sent (%.0f/s), %d unanswered in all%n", sent,
        sent / ((last.minutes - first.minutes) * 60), last.demo[5]);
    System.out.printf("log: %d ERROR lines, %d WARN lines after up was ready (by logger: %s), %d child restarts%n",
        log.errors.get(), log.warnings.get(), log.warnLoggers, log.restarts.get());
    log.notable.forEach(l -> System.out.println("  " + l)); // the first few ERROR and WARN lines
    System.out.printf(Locale.ROOT, "SIGTERM: %s after %.1f s; Flink child %s%n",
        exit == null ? "still running (killed)" : "exit code " + exit, stopSeconds, childGone ? "gone" : "STILL RUNNING");
  }

  private ProcessHandle awaitChild(ProcessHandle main) throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      Optional<ProcessHandle> c = main.descendants()
          .filter(p -> p.info().commandLine().orElse("").contains("switchyard-flink-local.jar")).findFirst();
      if (c.isPresent()) {
        return c.get();
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new IllegalStateException("no Flink child process under " + main.pid());
  }

  private String get(String uri) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private double edges() {
    String body = get(GRAPH);
    int n = 0;
    // Each edge object has one "source" key, nodes have none; counting them avoids a JSON library here.
    for (int i = body.indexOf("\"source\""); i >= 0; i = body.indexOf("\"source\"", i + 1)) {
      n++;
    }
    return body.isEmpty() ? Double.NaN : n;
  }

  /** Space {@code dir} takes on disk, as {@code du} counts it: Kafka's preallocated index files are sparse. */
  private static double megabytes(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try {
      Process du = new ProcessBuilder("du", "-sk", dir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      du.waitFor();
      return Long.parseLong(out.split("\\s+")[0]) / 1024.0;
    } catch (IOException | NumberFormatException e) {
      return Double.NaN; // a file deleted while du walked (a rolled segment, a finished checkpoint) makes it complain only
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }

  private static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  /** One sample; the series the report tracks are read from it. */
  private record Sample(double minutes, Proc main, double mainOldGenMb, Proc child, double childHeapMb, double dataMb,
      double kafkaMb, double flinkMb, double checkpoints, double failedCheckpoints, double spanLag, double accessLogLag,
      double edges, double checkP99Ms, long[] demo) {
    static final String HEADER = "minutes,main_rss_mb,main_threads,main_fds,main_old_gen_mb,child_rss_mb,child_threads,"
        + "child_fds,child_heap_mb,data_mb,kafka_mb,flink_mb,checkpoints,failed_checkpoints,span_lag,access_log_lag,edges,"
        + "check_p99_ms,demo_sent,demo_unanswered";

    record Series(String name, java.util.function.ToDoubleFunction<Sample> read) {
      double of(Sample s) {
        return read.applyAsDouble(s);
      }
    }

    static final List<Series> SERIES = List.of(
        new Series("main JVM RSS (MB)", s -> s.main.rssMb),
        new Series("main JVM threads", s -> s.main.threads),
        new Series("main JVM open files", s -> s.main.fds),
        new Series("main JVM G1 old gen used (MB, not live)", Sample::mainOldGenMb),
        new Series("Flink child RSS (MB)", s -> s.child.rssMb),
        new Series("Flink child threads", s -> s.child.threads),
        new Series("Flink child open files", s -> s.child.fds),
        new Series("Flink task manager heap used (MB, not live)", Sample::childHeapMb),
        new Series("data folder (MB)", Sample::dataMb),
        new Series("  of which Kafka (MB)", Sample::kafkaMb),
        new Series("  of which Flink checkpoints (MB)", Sample::flinkMb),
        new Series("checkpoints completed", Sample::checkpoints),
        new Series("checkpoints failed", Sample::failedCheckpoints),
        new Series("span consumer lag (records, max)", Sample::spanLag),
        new Series("access-log consumer lag (records, max)", Sample::accessLogLag),
        new Series("graph edges, last 5 min", Sample::edges),
        new Series("ext_authz Check p99 over the interval (ms)", Sample::checkP99Ms));

    String csv() {
      return String.format(Locale.ROOT, "%.2f,%.0f,%d,%d,%.1f,%.0f,%d,%d,%.1f,%.1f,%.1f,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f,%.3f,%d,%d",
          minutes, main.rssMb, main.threads, main.fds, mainOldGenMb, child.rssMb, child.threads, child.fds, childHeapMb, dataMb,
          kafkaMb, flinkMb, checkpoints, failedCheckpoints, spanLag, accessLogLag, edges, checkP99Ms, demo[0], demo[5]);
    }
  }

  /** Resident memory, threads and open files of a process, from {@code /proc}. */
  private record Proc(double rssMb, int threads, int fds) {
    static final Proc GONE = new Proc(Double.NaN, -1, -1);

    static Proc of(long pid) {
      try {
        double rss = Double.NaN;
        int threads = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
          if (line.startsWith("VmRSS:")) {
            rss = Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
          } else if (line.startsWith("Threads:")) {
            threads = Integer.parseInt(line.replaceAll("\\D", ""));
          }
        }
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
          return new Proc(rss, threads, (int) fds.count());
        }
      } catch (IOException e) {
        return GONE;
      }
    }
  }

  /** The Prometheus text format, read just enough for the series above. */
  static final class Prom {
    private Prom() {}

    /** Sum of the samples of {@code name} whose line contains {@code labelPart}; NaN when none. */
    static double value(String text, String name, String labelPart) {
      double sum = 0;
      boolean any = false;
      for (String line : text.split("\n")) {
        if (line.startsWith(name) && (line.length() > name.length() && (line.charAt(name.length()) == '{'
            || line.charAt(name.length()) == ' ')) && line.contains(labelPart)) {
          double v = parse(line);
          if (!Double.isNaN(v)) {
            sum += v;
            any = true;
          }
        }
      }
      return any ? sum : Double.NaN;
    }

    /** Largest sample of a metric whose name contains {@code namePart}, on lines that contain {@code labelPart}. */
    static double max(String text, String namePart, String labelPart) {
      double max = Double.NaN;
      for (String line : text.split("\n")) {
        if (!line.startsWith("#") && line.contains(namePart) && line.contains(labelPart)) {
          double v = parse(line);
          if (!Double.isNaN(v) && (Double.isNaN(max) || v > max)) {
            max = v;
          }
        }
      }
      return max;
    }

    /** Cumulative bucket counts of a histogram by upper bound, summed over its label sets. */
    static Map<Double, Double> buckets(String text, String bucketName) {
      Map<Double, Double> m = new java.util.TreeMap<>();
      Pattern le = Pattern.compile("le=\"([^\"]+)\"");
      for (String line : text.split("\n")) {
        if (line.startsWith(bucketName + "{")) {
          Matcher x = le.matcher(line);
          if (x.find()) {
            double bound = x.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(x.group(1));
            m.merge(bound, parse(line), Double::sum);
          }
        }
      }
      return m;
    }

    /** The upper bound of the bucket holding quantile {@code q} of what was added between two readings. */
    static double quantile(Map<Double, Double> now, Map<Double, Double> before, double q) {
      double total = now.getOrDefault(Double.POSITIVE_INFINITY, 0.0) - before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
      if (total <= 0) {
        return Double.NaN;
      }
      for (Map.Entry<Double, Double> e : now.entrySet()) {
        if (e.getValue() - before.getOrDefault(e.getKey(), 0.0) >= q * total) {
          return e.getKey();
        }
      }
      return Double.POSITIVE_INFINITY;
    }

    private static double parse(String line) {
      int space = line.lastIndexOf(' ');
      try {
        return Double.parseDouble(line.substring(space + 1));
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }
  }

  /** A class histogram of a live JVM ({@code jcmd PID GC.class_histogram}, which collects fully first). */
  private record Histogram(long total, Map<String, Long> bytesByClass) {
    static Histogram of(long pid) throws IOException, InterruptedException {
      Process p = new ProcessBuilder(jcmd(), Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
      Map<String, Long> bytes = new LinkedHashMap<>();
      long total = 0;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          Matcher m = HISTO_ROW.matcher(line);
          if (m.find()) {
            bytes.put(m.group(3), Long.parseLong(m.group(2)));
          } else if (line.startsWith("Total")) {
            String[] parts = line.trim().split("\\s+");
            total = Long.parseLong(parts[2]);
          }
        }
      }
      p.waitFor();
      return new Histogram(total, bytes);
    }

    private static String jcmd() {
      return Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    }

    String growthSince(Histogram before, int n) {
      return bytesByClass.entrySet().stream()
          .map(e -> Map.entry(e.getKey(), e.getValue() - before.bytesByClass.getOrDefault(e.getKey(), 0L)))
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
          .map(e -> String.format(Locale.ROOT, "%s %+.1f MB", e.getKey(), e.getValue() / 1e6))
          .reduce((a, b) -> a + ", " + b).orElse("none");
    }
  }

  /** Copies {@code up}'s output to a file and reads the demo's progress, warnings and errors from it. */
  private static final class Log extends Thread {
    final CountDownLatch up = new CountDownLatch(1);
    final AtomicReference<long[]> demo = new AtomicReference<>(new long[6]);
    final AtomicInteger errors = new AtomicInteger();
    final AtomicInteger warnings = new AtomicInteger();
    final AtomicInteger restarts = new AtomicInteger();
    final Map<String, Integer> warnLoggers = new java.util.concurrent.ConcurrentSkipListMap<>();
    final List<String> notable = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final InputStream in;
    private final Path file;
    private boolean ready;
    private boolean flinkReady;
    private boolean servicesUp;

    Log(InputStream in, Path file) {
      super("soak-log");
      setDaemon(true);
      this.in = in;
      this.file = file;
    }

    @Override
    public void run() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
          BufferedWriter w = Files.newBufferedWriter(file)) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          w.write(line);
          w.newLine();
          w.flush(); // the log is read while the soak runs
          read(line);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private void read(String line) {
      Matcher d = DEMO.matcher(line);
      if (d.find()) {
        long[] v = new long[6];
        for (int i = 0; i < 6; i++) {
          v[i] = Long.parseLong(d.group(i + 1));
        }
        demo.set(v);
        return;
      }
      servicesUp |= line.startsWith("switchyard: up (");
      flinkReady |= line.startsWith("switchyard: flink-jobs") && line.contains(" ready ");
      if (!ready && servicesUp && flinkReady) {
        ready = true;
        up.countDown();
      }
      if (line.contains(" ERROR ")) {
        errors.incrementAndGet();
        if (notable.size() < 5) {
          notable.add(line.length() > 300 ? line.substring(0, 300) + "…" : line);
        }
      }
      if (line.contains("exited with code") && line.contains("restarting")) {
        restarts.incrementAndGet();
      }
      int warn = line.indexOf(" WARN  ");
      if (ready && warn >= 0) {
        warnings.incrementAndGet();
        String rest = line.substring(warn + 7);
        int dash = rest.indexOf(" - ");
        warnLoggers.merge(dash > 0 ? rest.substring(0, dash) : "?", 1, Integer::sum);
        if (notable.size() < 5) {
          notable.add(line.length() > 300 ? line.substring(0, 300) + "…" : line);
        }
      }
    }
  }
}
