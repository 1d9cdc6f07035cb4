package io.switchyard.ingest.mapping;

import java.util.List;
import java.util.Map;

/**
 * What one OTLP request or ALS message became.
 *
 * @param records the records to publish, in source order
 * @param rejected source items refused as invalid (reported as partial success)
 * @param ignored source items that were valid but are not Switchyard's business (e.g. non-access-log log records),
 *     including the {@code skipped} ones
 * @param firstError a message naming the first rejected item's problem, or "" when none was rejected
 * @param truncated accepted items that exceeded an attribute limit and were cut to it (count or value length)
 * @param linksOverLimit links of accepted CONSUMER spans dropped because the span already kept
 *     {@link SpanMapper#MAX_LINKS} valid ones (links, not spans: one span may add many)
 * @param linksInvalid links of accepted CONSUMER spans skipped because their ids were not valid (not 16 and 8 bytes,
 *     or all zero)
 * @param skipped access-log entries not published because they are not the final entry of their request or
 *     connection (Envoy's periodic and start entries), by reason (the Envoy access-log type); empty when none
 * @param traceIdsInvalid published access-log records that carried a trace id, none of them valid, and so have none
 */
public record MappedBatch<T>(List<T> records, long rejected, long ignored, String firstError, long truncated,
    long linksOverLimit, long linksInvalid, Map<String, Long> skipped, long traceIdsInvalid) {
  public MappedBatch(List<T> records, long rejected, long ignored, String firstError, long truncated,
      long linksOverLimit, long linksInvalid) {
    this(records, rejected, ignored, firstError, truncated, linksOverLimit, linksInvalid, Map.of(), 0);
  }
}
