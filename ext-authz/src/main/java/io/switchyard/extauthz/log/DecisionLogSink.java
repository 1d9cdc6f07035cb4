package io.switchyard.extauthz.log;

import io.switchyard.model.v1.AuthzDecisionRecord;

/** Where decision records go. Called from the logger's own thread only. */
public interface DecisionLogSink extends AutoCloseable {
  /** Writes one record; may buffer. Throwing counts the record as failed. */
  void write(String key, AuthzDecisionRecord record) throws Exception;

  @Override
  void close();
}
