package io.switchyard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A JVM's CPU time by thread group (event loops, decision logger, GC, JIT), read from Linux's
 * {@code /proc/<pid>/task/<tid>/schedstat} (nanoseconds on CPU) and {@code comm}. The process total hides
 * where a scenario's extra CPU goes; GC and JIT threads are invisible to ThreadMXBean and to JFR's samples.
 */
public final class ThreadCpu {
  private ThreadCpu() {}

  /** Nanoseconds on CPU so far per thread group of this JVM; empty where /proc is absent. */
  public static Map<String, Long> snapshot() {
    return snapshot("self");
  }

  /** The same for process {@code pid} (a child JVM). */
  public static Map<String, Long> snapshot(long pid) {
    return snapshot(Long.toString(pid));
  }

  private static Map<String, Long> snapshot(String pid) {
    Map<String, Long> byGroup = new HashMap<>();
    Path tasks = Path.of("/proc", pid, "task");
    if (!Files.isDirectory(tasks)) {
      return byGroup;
    }
    try (Stream<Path> all = Files.list(tasks)) {
      for (Path t : (Iterable<Path>) all::iterator) {
        try {
          String name = Files.readString(t.resolve("comm")).trim();
          String[] sched = Files.readString(t.resolve("schedstat")).trim().split(" ");
          byGroup.merge(group(name), Long.parseLong(sched[0]), Long::sum);
          // Diagnostics beside the CPU time: times scheduled in, and kernel-mode ticks (stat field 15).
          byGroup.merge(group(name) + " slices", Long.parseLong(sched[2]) * 1000, Long::sum);
          // Time runnable but waiting for a core: tells a thread starved by others from one blocked or idle.
          byGroup.merge(group(name) + " runq", Long.parseLong(sched[1]), Long::sum);
          String stat = Files.readString(t.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          byGroup.merge(group(name) + " sys", Long.parseLong(f[12]) * 10_000_000L, Long::sum);
        } catch (IOException | RuntimeException gone) {
          // The thread ended between the listing and the read; its time is lost to both snapshots alike.
        }
      }
    } catch (IOException e) {
      return byGroup;
    }
    return byGroup;
  }

  /** Thread names without their instance numbers, so that e.g. all GC workers count as one group. */
  public static String group(String name) {
    return name.replaceAll("[-#]?[0-9]+", "").trim();
  }

  public static Map<String, Double> perRequestMicros(Map<String, Long> before, Map<String, Long> after, long requests) {
    Map<String, Double> us = new HashMap<>();
    after.forEach((g, ns) -> {
      long d = ns - before.getOrDefault(g, 0L);
      if (d > 0) {
        us.put(g, d / 1000.0 / requests);
      }
    });
    return us;
  }

  /** Median µs per request of every thread group that used at least 0.1 µs in some scenario. */
  public static String table(List<String> scenarios, List<List<Map<String, Double>>> rounds) {
    TreeSet<String> groups = new TreeSet<>();
    rounds.forEach(rs -> rs.forEach(m -> m.forEach((g, v) -> {
      if (v >= 0.1 && !g.endsWith(" slices") && !g.endsWith(" sys") && !g.endsWith(" runq")) {
        groups.add(g);
      }
    })));
    if (groups.isEmpty()) {
      return "";
    }
    StringBuilder t = new StringBuilder("\nServer CPU per Check by thread group (µs, median over rounds; Linux schedstat):\n\n| scenario |");
    groups.forEach(g -> t.append(' ').append(g).append(" |"));
    t.append("\n|---|").append("---|".repeat(groups.size())).append('\n');
    for (int i = 0; i < scenarios.size(); i++) {
      t.append("| ").append(scenarios.get(i)).append(" |");
      for (String g : groups) {
        List<Double> v = new ArrayList<>();
        rounds.get(i).forEach(m -> v.add(m.getOrDefault(g, 0.0)));
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double med = a.length == 0 ? 0 : a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
        t.append(String.format(Locale.ROOT, " %.2f |", med));
      }
      t.append('\n');
    }
    return t.toString();
  }

  public static String describe(Map<String, Double> m) {
    return Arrays.toString(m.entrySet().stream().filter(e -> e.getValue() >= 0.1).sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .map(e -> String.format(Locale.ROOT, "%s=%.2f", e.getKey(), e.getValue())).toArray());
  }
}
