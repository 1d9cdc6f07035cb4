package io.switchyard.bench.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code kafka-consumer-perf-test}, the raw read the Flink issue names as the judged baseline: Kafka's own
 * {@code org.apache.kafka.tools.ConsumerPerformance} (this module depends on {@code kafka-tools}), run the way
 * the script runs it, in a JVM of its own with the script's flags ({@code kafka-consumer-perf-test.sh} sets the
 * heap, {@code kafka-run-class.sh} the rest), its default consumer settings, a new group, over the whole topic.
 *
 * <p>Like the job, it starts cold: it pays its own JIT compilation, where the bench's in-process poll loop
 * runs warm after the first round and with 2,000 records per poll. Both figures are printed.
 *
 * <p>Two runs per measurement, because the tool prints either its summary or interval lines, not both, and its
 * interval lines stop at the last full interval: the summary gives the whole-run rate; the interval lines (every
 * {@value #INTERVAL_MS} ms, cumulative record counts with millisecond timestamps) give the steady-state
 * stretch, from the first line at or past {@code fromPercent} of the topic to the first at or past
 * {@code toPercent}.
 */
final class ConsumerPerfTest {
  /** {@code kafka-consumer-perf-test.sh}'s heap, then {@code kafka-run-class.sh}'s default performance flags. */
  static final List<String> SCRIPT_JVM_FLAGS = List.of("-Xmx512M", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
      "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent", "-XX:MaxInlineLevel=15",
      "-Djava.awt.headless=true");
  static final String MAIN = "org.apache.kafka.tools.ConsumerPerformance";
  static final int INTERVAL_MS = 20;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss:SSS");
  private static final String STAMP = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d:\\d{3}";
  /** The tool's summary line (start and end time, then eight figures); not its log lines. */
  private static final Pattern SUMMARY = Pattern.compile(STAMP + ", *" + STAMP + "(, *[-0-9.]+){8}");
  /** An interval line (its time, then nine figures). */
  private static final Pattern INTERVAL = Pattern.compile(STAMP + "(, *[-0-9.]+){9}");

  /**
   * The tool's figures in records per second: its headline rate ({@code nMsg.sec}: from before its group join to
   * its last record), its fetch rate ({@code fetch.nMsg.sec}: the same without the group join, the judged
   * baseline, as the job's clock has no group join either), and its rate over the steady-state stretch.
   */
  record Rates(double headline, double fetch, double steady) {}

  private ConsumerPerfTest() {}

  static Rates run(String bootstrap, String topic, long records, String group, int fromPercent, int toPercent)
      throws IOException, InterruptedException {
    String[] summary = summaryLine(tool(bootstrap, topic, records, group + "-summary", List.of()));
    // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
    // fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    if (Long.parseLong(summary[4].trim()) < records) {
      throw new IllegalStateException(MAIN + " read " + summary[4].trim() + " of " + records + " records");
    }
    double headline = Double.parseDouble(summary[5].trim());
    double fetch = Double.parseDouble(summary[9].trim());
    List<String> intervals = tool(bootstrap, topic, records, group + "-intervals",
        List.of("--show-detailed-stats", "--reporting-interval", Integer.toString(INTERVAL_MS)));
    return new Rates(headline, fetch, steady(intervals, records * fromPercent / 100, records * toPercent / 100));
  }

  /** Records per second between the first interval line at or past {@code from} records and the first at or past {@code to}. */
  static double steady(List<String> lines, long from, long to) {
    LocalDateTime fromAt = null;
    long fromRecords = 0;
    for (String line : lines) {
      if (!INTERVAL.matcher(line).matches()) {
        continue; // the header, a warning
      }
      String[] f = line.split(",");
      // time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg (cumulative), ...
      long read = Long.parseLong(f[4].trim());
      LocalDateTime at = LocalDateTime.parse(f[0].trim(), TIME);
      if (fromAt == null && read >= from) {
        if (read >= to) {
          return Double.NaN; // the whole stretch went by within one interval
        }
        fromAt = at;
        fromRecords = read;
      } else if (fromAt != null && read >= to) {
        long ms = fromAt.until(at, ChronoUnit.MILLIS);
        return ms == 0 ? Double.NaN : (read - fromRecords) * 1000.0 / ms;
      }
    }
    return Double.NaN; // the stretch went by within one interval, or past the tool's last full interval
  }

  private static List<String> tool(String bootstrap, String topic, long records, String group, List<String> extra)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(SCRIPT_JVM_FLAGS);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN, "--bootstrap-server", bootstrap, "--topic", topic,
        "--num-records", Long.toString(records), "--group", group, "--timeout", "60000"));
    cmd.addAll(extra);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(MAIN + " exited " + p.exitValue() + ":\n" + out);
    }
    return out.lines().toList();
  }

  private static String[] summaryLine(List<String> lines) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (SUMMARY.matcher(lines.get(i)).matches()) {
        return lines.get(i).split(",");
      }
    }
    throw new IllegalStateException("no summary line from " + MAIN + ":\n" + String.join("\n", lines));
  }
}
