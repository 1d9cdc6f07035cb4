package io.switchyard.demo;

import java.util.concurrent.atomic.LongAdder;

/** What the demo has sent and how Switchyard answered. */
public final class DemoCounters {
  final LongAdder sent = new LongAdder();
  final LongAdder allowed = new LongAdder();
  final LongAdder denied = new LongAdder();
  final LongAdder unauthenticated = new LongAdder();
  final LongAdder limited = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder unanswered = new LongAdder();
  final LongAdder spans = new LongAdder();
  final LongAdder accessLogs = new LongAdder();

  public long sent() {
    return sent.sum();
  }

  public long allowed() {
    return allowed.sum();
  }

  /** Refused by an authorization policy (403) or for authentication (401). */
  public long denied() {
    return denied.sum() + unauthenticated.sum();
  }

  public long limited() {
    return limited.sum();
  }

  /** Requests that reached the mesh and failed inside it (5xx). */
  public long failed() {
    return failed.sum();
  }

  /** Check or ShouldRateLimit calls that got no answer (Switchyard down or too slow). */
  public long unanswered() {
    return unanswered.sum();
  }

  public long spans() {
    return spans.sum();
  }

  public long accessLogs() {
    return accessLogs.sum();
  }

  public String progressLine() {
    return String.format("demo: sent %d  allowed %d  denied %d  limited %d  failed %d  unanswered %d  spans %d  access logs %d",
        sent(), allowed(), denied(), limited(), failed(), unanswered(), spans(), accessLogs());
  }
}
