package io.switchyard.flinkjobs.slo.spec;

import java.time.Duration;
import java.util.Objects;

/**
 * One validated SLO from the accepted OpenSLO v1 subset.
 *
 * @param name metadata.name
 * @param service spec.service (informational; the target below decides what is counted)
 * @param target the service or edge whose aggregates count
 * @param sliKind availability (non-failed / all) or latency (at or under the threshold / all)
 * @param latencyThreshold for latency SLIs, the effective threshold (a histogram bucket bound)
 * @param objective target ratio in (0, 1)
 * @param window rolling SLO window
 * @param sourceFile where it was read from, for messages
 * @param budgeting how the budget counts: events, or time slices with their own target
 */
public record SloSpec(String name, String service, Target target, SliKind sliKind, Duration latencyThreshold,
    double objective, Duration window, String sourceFile, Budgeting budgeting) {

  /**
   * OpenSLO budgetingMethod. For {@link Method#TIMESLICES} the rolling window is cut into slices of
   * {@code sliceWindow}, aligned to the epoch like the aggregation windows; a slice is good when its
   * good/total ratio is at least {@code sliceTarget}, and a slice without events is good.
   */
  public record Budgeting(Method method, double sliceTarget, Duration sliceWindow) {
    public static final Budgeting OCCURRENCES = new Budgeting(Method.OCCURRENCES, 0, Duration.ZERO);

    public enum Method {
      OCCURRENCES("Occurrences"), TIMESLICES("Timeslices");

      private final String openSlo;

      Method(String openSlo) {
        this.openSlo = openSlo;
      }

      /** The budgetingMethod value in OpenSLO YAML. */
      public String openSlo() {
        return openSlo;
      }
    }

    public static Budgeting timeslices(double sliceTarget, Duration sliceWindow) {
      return new Budgeting(Method.TIMESLICES, sliceTarget, sliceWindow);
    }

    public boolean timeslices() {
      return method == Method.TIMESLICES;
    }
  }

  public enum SliKind {
    AVAILABILITY, LATENCY;

    public String label() {
      return name().toLowerCase();
    }
  }

  /** Which aggregates count: a service (as server) or one client->server edge, from trace or mesh data. */
  public record Target(String service, String client, String namespace, String source) {
    public boolean isEdge() {
      return !client.isEmpty();
    }

    /** The key under which the job groups aggregates and definitions. */
    public String key() {
      return isEdge() ? "edge|" + source + "|" + client + "->" + service : "service|" + source + "|" + service;
    }
  }

  public SloSpec {
    Objects.requireNonNull(name);
    Objects.requireNonNull(target);
    Objects.requireNonNull(sliKind);
    Objects.requireNonNull(window);
    Objects.requireNonNull(budgeting);
  }

  public double errorBudget() {
    return 1 - objective;
  }
}
