package io.switchyard.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a loader over fixed-seed mutants of a corpus of valid config files and collects every outcome that is neither
 * a load nor the loader's own located config error. Deterministic: mutant {@code i} of corpus file {@code f} uses
 * seed {@code baseSeed + 1_000_000 * f + i}, printed with each failure so that it can be replayed.
 */
public final class ConfigFuzzCampaign {

  /** Loads {@code text} as if it were the file {@code name}. */
  @FunctionalInterface
  public interface Loader {
    void load(String name, String text) throws Throwable;
  }

  /** Null when {@code thrown} is an acceptable rejection of {@code mutant} (file and line named), else why not. */
  @FunctionalInterface
  public interface Verdict {
    String problem(Throwable thrown, String name, String mutant);
  }

  /** One unacceptable outcome. */
  public record Failure(String file, ConfigMutator.Mutant mutant, String problem, Throwable thrown) {
    public String describe() {
      StringBuilder b = new StringBuilder("file " + file + ", seed " + mutant.seed() + " ("
          + String.join(", ", mutant.operators()) + "): " + problem + "\n--- mutant ---\n" + mutant.text()
          + "\n--- end of mutant ---\n");
      for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
        b.append(t == thrown ? "" : "Caused by: ").append(t).append('\n');
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(st.length, 25); i++) {
          if (st[i].getClassName().startsWith(ConfigFuzzCampaign.class.getName())) {
            break;
          }
          b.append("\tat ").append(st[i]).append('\n');
        }
      }
      return b.toString();
    }
  }

  /** What a campaign did. */
  public record Result(int mutants, int loaded, int rejected, List<Failure> failures, long cpuMillis) {
    /** One line for the test's output. */
    public String summary(String what, int files) {
      return what + ": " + mutants + " mutants of " + files + " files, " + loaded + " loaded, " + rejected
          + " rejected, " + failures.size() + " failures, " + cpuMillis + " ms CPU";
    }

    /** Fails with {@link #report} when there is any failure. */
    public void assertNoFailures() {
      if (!failures.isEmpty()) {
        throw new AssertionError(report(3));
      }
    }

    /** Every failure, at most {@code perKind} per exception class and top frame, for the assertion message. */
    public String report(int perKind) {
      Map<String, List<Failure>> byKind = new LinkedHashMap<>();
      for (Failure f : failures) {
        StackTraceElement[] st = f.thrown().getStackTrace();
        String kind = f.thrown().getClass().getName() + (st.length > 0 ? " at " + st[0] : "") + " / " + f.problem();
        byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(f);
      }
      StringBuilder b = new StringBuilder(failures.size() + " of " + mutants + " mutants were not a load nor a located"
          + " config error (" + byKind.size() + " kinds):\n");
      byKind.forEach((kind, list) -> {
        b.append("\n=== ").append(list.size()).append("× ").append(kind).append('\n');
        list.stream().limit(perKind).forEach(f -> b.append(f.describe()).append('\n'));
      });
      return b.toString();
    }
  }

  private ConfigFuzzCampaign() {}

  /**
   * Runs the campaign. {@code -Dconfigfuzz.mutants=N} and {@code -Dconfigfuzz.seed=S} override the test's count and
   * base seed for a longer exploratory run by hand; the build always runs the fixed ones.
   */
  public static Result run(Map<String, String> corpus, int mutantsPerFile, long baseSeed, Loader loader,
      Verdict verdict) {
    mutantsPerFile = Integer.getInteger("configfuzz.mutants", mutantsPerFile);
    baseSeed = Long.getLong("configfuzz.seed", baseSeed);
    long cpuStart = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    int mutants = 0;
    int loaded = 0;
    int rejected = 0;
    List<Failure> failures = new ArrayList<>();
    int f = 0;
    for (Map.Entry<String, String> e : corpus.entrySet()) {
      for (int i = 0; i < mutantsPerFile; i++) {
        ConfigMutator.Mutant m = new ConfigMutator(baseSeed + 1_000_000L * f + i).mutate(e.getValue());
        mutants++;
        Throwable thrown = null;
        try {
          loader.load(e.getKey(), m.text());
        } catch (Throwable t) { // NOPMD: every throwable is the point of the campaign
          thrown = t;
        }
        if (thrown == null) {
          loaded++;
          continue;
        }
        String problem = verdict.problem(thrown, e.getKey(), m.text());
        if (problem == null) {
          rejected++;
        } else {
          failures.add(new Failure(e.getKey(), m, problem, thrown));
        }
      }
      f++;
    }
    long cpu = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStart;
    return new Result(mutants, loaded, rejected, failures, cpu / 1_000_000);
  }

  /** True when the text holds no YAML content at all: nothing but blanks and comments. */
  public static boolean blank(String text) {
    return text.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#") || l.equals("---")
        || l.equals("..."));
  }
}
