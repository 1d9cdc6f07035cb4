package io.switchyard.flinkjobs.slo.spec;

import io.switchyard.model.Topics;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code slo check DIR}, {@code slo rules DIR} and {@code slo apply DIR --kafka HOST:PORT}: plain Java
 * (no Flink) so the launcher can call {@link #run} directly. Exit codes: 0 ok, 1 invalid SLO files,
 * 2 usage error, 3 Kafka failure.
 */
public final class SloCli {
  private SloCli() {}

  /** A burn-rate factor to four significant digits, without trailing zeros: 14.4, 13.44, 1. */
  static String factor(double v) {
    return String.format(java.util.Locale.ROOT, "%.4g", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
  }

  /** How a sliced budget counts, for `check`: empty for Occurrences. */
  private static String budgeting(SloSpec.Budgeting b) {
    return switch (b.method()) {
      case OCCURRENCES -> "";
      case TIMESLICES -> ", " + Durations.format(b.sliceWindow()) + " slices good at " + b.sliceTarget();
      case RATIO_TIMESLICES -> ", the mean of " + Durations.format(b.sliceWindow()) + " slices' ratios";
    };
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length < 2) {
      err.println("usage: slo check DIR [--window 1m] [--slo-alert-windows LIST] | slo rules DIR [--window 1m] "
          + "[--slo-alert-windows LIST] | slo apply DIR --kafka HOST:PORT [--topic-prefix P] [--prune folder|all] [--window 1m] [--slo-alert-windows LIST]"
          + "   (--window, --slo-alert-windows: the job's)");
      return 2;
    }
    String command = args[0];
    Path dir = Path.of(args[1]);
    Map<String, String> opts = new HashMap<>();
    for (int i = 2; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        err.println("error: unexpected argument '" + args[i] + "'");
        return 2;
      }
      opts.put(args[i], args[++i]);
    }
    if (!Files.isDirectory(dir)) {
      err.println("error: " + dir + " is not a directory");
      return 2;
    }
    List<OpenSloParser.SloDocument> docs;
    Duration window;
    AlertPolicy alerts;
    try {
      window = Durations.parse(opts.getOrDefault("--window", "1m"));
    } catch (IllegalArgumentException e) {
      err.println("error: --window: " + e.getMessage());
      return 2;
    }
    try {
      alerts = AlertPolicy.parse(opts.get("--slo-alert-windows"));
    } catch (IllegalArgumentException e) {
      err.println("error: --slo-alert-windows: " + e.getMessage());
      return 2;
    }
    try {
      docs = OpenSloParser.readDirectory(dir, window, alerts);
    } catch (SloSpecException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    try {
      switch (command) {
        case "check" -> {
          for (OpenSloParser.SloDocument d : docs) {
            SloSpec s = d.spec();
            out.println(s.name() + ": " + s.sliKind().label() + " of " + s.target().key()
                + (s.target().namespace().isEmpty() ? "" : " in namespace " + s.target().namespace()) + ", objective " + s.objective()
                + " over " + (s.calendar() == null ? Durations.format(s.window()) : "calendar periods of " + s.calendar())
                + (s.latencyThreshold() != null ? ", threshold " + boundText(s.latencyThreshold()) : "")
                + budgeting(s.budgeting()));
            for (AlertPolicy.Alert a : alerts.alerts(s, window)) {
              PolicyAlert p = a.policy();
              out.println("  " + a.name() + ": " + a.severity() + (p == null
                  ? " when the burn rate over " + Durations.format(a.longWindow()) + " and " + Durations.format(a.shortWindow())
                      + " exceeds " + factor(a.threshold()) + "x"
                  : " (AlertPolicy, condition " + p.condition() + ") when "
                      + (p.alertWhenBreaching() ? "the burn rate over " + Durations.format(a.longWindow()) + " is " + p.op().promQl()
                          + " " + factor(a.threshold()) + "x" : Durations.format(a.longWindow()) + " has no events")
                      + (p.alertAfter().isZero() ? "" : " for " + Durations.format(p.alertAfter()))
                      + (p.alertWhenNoData() && p.alertWhenBreaching() ? ", or it has no events" : "") + "; notifies " + String.join(", ", p.notificationTargets())
                      + (p.alertWhenResolved() ? ", also when resolved" : "")));
            }
          }
          out.println(docs.size() + " SLO(s) valid");
          return 0;
        }
        case "rules" -> {
          out.print(PrometheusRules.render(docs.stream().map(OpenSloParser.SloDocument::spec).toList(), alerts, window));
          return 0;
        }
        case "apply" -> {
          String kafka = opts.get("--kafka");
          if (kafka == null) {
            err.println("error: slo apply needs --kafka HOST:PORT");
            return 2;
          }
          String topic = Topics.SLO_DEFINITIONS.withPrefix(opts.getOrDefault("--topic-prefix", "")).name();
          SloPublisher.Prune prune = SloPublisher.Prune.parse(opts.getOrDefault("--prune", "folder"));
          SloPublisher.Outcome o = new SloPublisher(kafka, topic, Clock.systemUTC()).publish(docs, dir, prune);
          out.println("published " + o.published() + ", removed " + o.removed() + " (" + docs.size() + " SLO(s) defined) to " + topic
              + (o.keptFromOtherFolders().isEmpty() ? "" : "; kept SLOs of other folders " + o.keptFromOtherFolders()));
          return 0;
        }
        default -> {
          err.println("error: unknown slo command '" + command + "' (check, rules, apply)");
          return 2;
        }
      }
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 2;
    } catch (SloPublisher.KafkaUnusable e) {
      err.println("error: " + e.getMessage());
      return 3;
    } catch (Exception e) {
      err.println("error: " + e);
      return 3;
    }
  }

  /**
   * A latency threshold as the bucket bound it is, to the microsecond: whole units would print 36.2 ms as "36ms",
   * and a reader would take requests of 36.1 ms for slow ones.
   */
  static String boundText(Duration threshold) {
    long nanos = threshold.toNanos();
    boolean seconds = nanos >= 1_000_000_000L;
    BigDecimal v = BigDecimal.valueOf(nanos, seconds ? 9 : 6).setScale(seconds ? 6 : 3, RoundingMode.HALF_UP).stripTrailingZeros();
    return v.toPlainString() + (seconds ? "s" : "ms");
  }
}
