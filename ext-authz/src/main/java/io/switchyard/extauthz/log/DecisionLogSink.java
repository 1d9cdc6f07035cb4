package io.switchyard.extauthz.log;

/** Where decision records go. Called from the logger's own thread only. */
public interface DecisionLogSink extends AutoCloseable {
  /**
   * Writes one record, given as the wire bytes of an {@code io.switchyard.model.v1.AuthzDecisionRecord}.
   * The array belongs to this record and is never written again, so a sink may keep it. May buffer.
   * Throwing counts the record as failed.
   */
  void write(String key, byte[] record) throws Exception;

  @Override
  void close();
}
