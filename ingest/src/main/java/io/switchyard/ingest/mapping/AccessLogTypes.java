package io.switchyard.ingest.mapping;

import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogType;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which Envoy access-log entries describe a finished request or connection. With {@code access_log_flush_interval}
 * or {@code flush_access_log_on_new_request} (HTTP connection manager), {@code access_log_flush_interval} or
 * {@code flush_access_log_on_connected} (TCP proxy) and the router's upstream log options, Envoy also logs a request
 * while it runs; those entries repeat its cumulative counters (and a start entry has no response yet), so publishing
 * them would count one request several times.
 */
final class AccessLogTypes {
  /** The reason of an Envoy from before {@code access_log_type}, which marked periodic entries with this flag. */
  static final String LEGACY_INTERMEDIATE = "intermediate_log_entry";

  /**
   * Listed rather than derived from the final ones ({@code DownstreamEnd}, {@code TcpConnectionEnd},
   * {@code UpstreamEnd}, {@code UdpSessionEnd}, and {@code NotSet} from older Envoys and listener logs): a type added
   * to Envoy later is published, since dropping it could lose the only entry of a request.
   */
  private static final Set<AccessLogType> INTERMEDIATE = EnumSet.of(
      AccessLogType.TcpUpstreamConnected, AccessLogType.TcpPeriodic,
      AccessLogType.DownstreamStart, AccessLogType.DownstreamPeriodic,
      AccessLogType.UpstreamPoolReady, AccessLogType.UpstreamPeriodic,
      AccessLogType.DownstreamTunnelSuccessfullyEstablished,
      AccessLogType.UdpTunnelUpstreamConnected, AccessLogType.UdpPeriodic);

  /** By enum number: the reason (the type's name) for an intermediate type, null for a final one. */
  private static final String[] REASON_BY_NUMBER;
  /** By the name {@code %ACCESS_LOG_TYPE%} prints, which is the enum's name. */
  private static final Map<String, String> REASON_BY_NAME;

  static {
    int max = 0;
    for (AccessLogType t : INTERMEDIATE) {
      max = Math.max(max, t.getNumber());
    }
    REASON_BY_NUMBER = new String[max + 1];
    Map<String, String> byName = new HashMap<>();
    for (AccessLogType t : INTERMEDIATE) {
      REASON_BY_NUMBER[t.getNumber()] = t.name();
      byName.put(t.name(), t.name());
    }
    REASON_BY_NAME = Map.copyOf(byName);
  }

  private AccessLogTypes() {}

  /** Why an ALS entry is not published, or null when it is the final entry of its request or connection. */
  @SuppressWarnings("deprecation") // intermediate_log_entry: the only mark older Envoys set
  static String skipReason(AccessLogCommon common) {
    int type = common.getAccessLogTypeValue();
    if (type == AccessLogType.NotSet_VALUE) {
      return common.getIntermediateLogEntry() ? LEGACY_INTERMEDIATE : null;
    }
    return type > 0 && type < REASON_BY_NUMBER.length ? REASON_BY_NUMBER[type] : null;
  }

  /** The same for the {@code %ACCESS_LOG_TYPE%} text of an OTLP access log ("" when not logged). */
  static String skipReason(String typeName) {
    return typeName.isEmpty() ? null : REASON_BY_NAME.get(typeName);
  }

  /** Adds one skipped entry to per-batch counts, created on the first one so batches without any allocate nothing. */
  static Map<String, Long> count(Map<String, Long> counts, String reason) {
    Map<String, Long> out = counts == null ? new HashMap<>(4) : counts;
    out.merge(reason, 1L, Long::sum);
    return out;
  }

  static Map<String, Long> result(Map<String, Long> counts) {
    return counts == null ? Map.of() : Map.copyOf(counts);
  }
}
