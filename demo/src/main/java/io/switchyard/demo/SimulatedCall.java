package io.switchyard.demo;

import java.util.List;

/**
 * One call in a simulated request: {@code caller} calls {@code callee} (caller null for the entry call
 * from outside the mesh). Times are event-time nanoseconds since the epoch. For a database call only
 * the client side exists; for a queue the callee side is the consumer, starting after the producer ended.
 */
record SimulatedCall(
    Storefront.Service caller,
    Storefront.Service callee,
    String method,
    String path,
    long clientStartNanos,
    long clientEndNanos,
    long serverStartNanos,
    long serverEndNanos,
    int httpStatus,
    boolean failed,
    List<SimulatedCall> children) {

  long clientDurationNanos() {
    return clientEndNanos - clientStartNanos;
  }

  long serverDurationNanos() {
    return serverEndNanos - serverStartNanos;
  }

  /** Every call of the tree, this one first. */
  void forEach(java.util.function.Consumer<SimulatedCall> action) {
    action.accept(this);
    for (SimulatedCall c : children) {
      c.forEach(action);
    }
  }
}
