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
 */
public record SloSpec(String name, String service, Target target, SliKind sliKind, Duration latencyThreshold,
    double objective, Duration window, String sourceFile) {

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
  }

  public double errorBudget() {
    return 1 - objective;
  }
}
