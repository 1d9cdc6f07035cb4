package io.switchyard.model;

import java.time.Duration;
import java.util.List;

/** The catalogue of Switchyard's Kafka topics. Record types live in {@code io.switchyard.model.v1}. */
public final class Topics {
  /**
   * The largest record batch every topic takes ({@code max.message.bytes}), and the largest request ingest's
   * producer sends ({@code max.request.size}). Kafka's broker default is 1 MiB, but a span with large resource
   * attributes can be bigger: without the topic setting the broker refuses it ({@code RecordTooLargeException}),
   * which ingest can only take for Kafka being away.
   */
  public static final int MAX_MESSAGE_BYTES = 8 << 20;

  /** {@code SpanRecord}, key = trace id (hex). */
  public static final TopicSpec SPANS =
      new TopicSpec("switchyard.spans", 6, TopicSpec.CleanupPolicy.DELETE, Duration.ofHours(6));
  /** {@code AccessLogRecord}, key = destination service. */
  public static final TopicSpec ACCESS_LOGS =
      new TopicSpec("switchyard.access-logs", 6, TopicSpec.CleanupPolicy.DELETE, Duration.ofHours(6));
  /** {@code AuthzDecisionRecord}, key = workload. */
  public static final TopicSpec AUTHZ_DECISIONS =
      new TopicSpec("switchyard.authz-decisions", 3, TopicSpec.CleanupPolicy.DELETE, Duration.ofDays(3));
  /** {@code EdgeAggregate}, key = "client->server". */
  public static final TopicSpec EDGES =
      new TopicSpec("switchyard.edges", 3, TopicSpec.CleanupPolicy.DELETE, Duration.ofDays(3));
  /** {@code ServiceAggregate}, key = service. */
  public static final TopicSpec SERVICES =
      new TopicSpec("switchyard.services", 3, TopicSpec.CleanupPolicy.DELETE, Duration.ofDays(3));
  /** {@code SloDefinitionRecord}, key = SLO name; a tombstone removes the SLO. */
  public static final TopicSpec SLO_DEFINITIONS =
      new TopicSpec("switchyard.slo-definitions", 1, TopicSpec.CleanupPolicy.COMPACT, null);
  /** {@code SloStatusRecord}, key = SLO name. */
  public static final TopicSpec SLO_STATUS =
      new TopicSpec("switchyard.slo-status", 1, TopicSpec.CleanupPolicy.COMPACT, null);
  /** {@code SloAlertRecord}, key = SLO name + "/" + alert name. */
  public static final TopicSpec SLO_ALERTS =
      new TopicSpec("switchyard.slo-alerts", 1, TopicSpec.CleanupPolicy.DELETE, Duration.ofDays(21));

  private static final List<TopicSpec> ALL =
      List.of(SPANS, ACCESS_LOGS, AUTHZ_DECISIONS, EDGES, SERVICES, SLO_DEFINITIONS, SLO_STATUS, SLO_ALERTS);

  private Topics() {}

  /** Every topic, in catalogue order. */
  public static List<TopicSpec> all() {
    return ALL;
  }

  /** Every topic under a deployment prefix. */
  public static List<TopicSpec> all(String prefix) {
    return ALL.stream().map(t -> t.withPrefix(prefix)).toList();
  }
}
