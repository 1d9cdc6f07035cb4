package io.switchyard.flinkjobs.slo.spec;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One OpenSLO {@code AlertPolicy} of an SLO, with its one {@code AlertCondition} (kind burnrate) and the names of its
 * {@code AlertNotificationTarget}s: the alert breaches while the burn rate over {@code lookbackWindow} compares with
 * {@code threshold} by {@code op}, and fires once it has breached for {@code alertAfter}.
 *
 * @param name the AlertPolicy's metadata.name, the alert's name
 * @param condition the AlertCondition's metadata.name
 * @param severity the condition's severity, as written
 * @param op how the burn rate is compared with the threshold
 * @param threshold the burn-rate factor
 * @param lookbackWindow the one window the burn rate is taken over
 * @param alertAfter how long the comparison must hold before the alert fires (0: at once)
 * @param alertWhenBreaching whether the burn rate's comparison breaches (false: only a window without events can)
 * @param alertWhenNoData whether a lookback window without events breaches too
 * @param alertWhenResolved whether the alert's end is to be notified
 * @param notificationTargets the AlertNotificationTargets' names, in order
 * @param description the policy's description, else the condition's, else empty
 */
public record PolicyAlert(String name, String condition, String severity, Op op, double threshold, Duration lookbackWindow,
    Duration alertAfter, boolean alertWhenBreaching, boolean alertWhenNoData, boolean alertWhenResolved, List<String> notificationTargets, String description)
    implements Serializable {

  /** OpenSLO's comparison operators. */
  public enum Op {
    GT("gt", ">"), GTE("gte", ">="), LT("lt", "<"), LTE("lte", "<=");

    private final String openSlo;
    private final String promQl;

    Op(String openSlo, String promQl) {
      this.openSlo = openSlo;
      this.promQl = promQl;
    }

    /** The operator as OpenSLO writes it, e.g. "gte"; null for anything else. */
    public static Op of(String text) {
      for (Op op : values()) {
        if (op.openSlo.equals(text)) {
          return op;
        }
      }
      return null;
    }

    public String openSlo() {
      return openSlo;
    }

    public String promQl() {
      return promQl;
    }

    public boolean test(double value, double threshold) {
      return switch (this) {
        case GT -> value > threshold;
        case GTE -> value >= threshold;
        case LT -> value < threshold;
        case LTE -> value <= threshold;
      };
    }
  }

  public PolicyAlert {
    Objects.requireNonNull(name);
    Objects.requireNonNull(op);
    Objects.requireNonNull(lookbackWindow);
    Objects.requireNonNull(alertAfter);
    notificationTargets = List.copyOf(notificationTargets);
    if (!alertWhenBreaching && !alertWhenNoData) {
      throw new IllegalArgumentException("alert " + name + " breaches neither on its burn rate nor on no data");
    }
  }
}
