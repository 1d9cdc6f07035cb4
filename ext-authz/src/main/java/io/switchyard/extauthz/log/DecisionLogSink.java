package io.switchyard.extauthz.log;

/** Where decision records go. Called from the logger's own thread only. */
public interface DecisionLogSink extends AutoCloseable {
  /**
   * Writes one record, given as the wire bytes of an {@code io.switchyard.model.v1.AuthzDecisionRecord}
   * in {@code buf[0, length)}. The array is the logger's scratch buffer and is overwritten once this returns,
   * so a sink that keeps the bytes copies them. May buffer. Throwing counts the record as failed.
   */
  void write(String key, byte[] buf, int length) throws Exception;

  @Override
  void close();
}
