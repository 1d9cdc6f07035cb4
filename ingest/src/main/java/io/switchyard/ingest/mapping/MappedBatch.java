package io.switchyard.ingest.mapping;

import java.util.List;

/**
 * What one OTLP request or ALS message became.
 *
 * @param records the records to publish, in source order
 * @param rejected source items refused as invalid (reported as partial success)
 * @param ignored source items that were valid but are not Switchyard's business (e.g. non-access-log log records)
 * @param firstError a message naming the first rejected item's problem, or "" when none was rejected
 * @param truncated accepted items that exceeded an attribute limit and were cut to it (count or value length)
 */
public record MappedBatch<T>(List<T> records, long rejected, long ignored, String firstError, long truncated) {
  public MappedBatch(List<T> records, long rejected, long ignored, String firstError) {
    this(records, rejected, ignored, firstError, 0);
  }
}
