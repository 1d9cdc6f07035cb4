package io.switchyard.flinkjobs.graph;

import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;

/**
 * Runs {@link ServiceGraphFunction} keyed by trace id, and forgets completed traces by sweeping the
 * pairing state instead of through a timer per trace.
 *
 * <p>Why: nearly every trace completes with nothing left waiting, yet it must stay in state for the
 * dedupe TTL so a redelivered span still counts once. A cleanup timer per trace cost a RocksDB write
 * and a timer-queue update when it was set, and a queue poll, a delete, a state read and a state
 * delete when it fired: about a third of the pairing task. The sweep walks the state once every half
 * TTL on the pairing clock and deletes the traces whose {@link TraceState#forgetAt} has passed, so a
 * trace is still remembered at least the TTL after its last span and at most 1.5 TTL, as with the
 * timers. Spans still waiting keep their expiry timer (one per trace).
 *
 * <p>The operator's state is the function's, unchanged (keyed value state {@code trace-pairing} and
 * the {@code user-timers} timer service), so savepoints move between this and earlier builds; cleanup
 * timers held by an earlier build's snapshot still fire once and are handled by the function.
 */
public final class ServiceGraphOperator extends KeyedProcessOperator<String, TraceSpans, EdgeEvent> {
  private static final long serialVersionUID = 1L;

  private final ServiceGraphFunction function;
  private final boolean processingTime;
  private final long sweepEveryMs;
  /** The event time from which the next watermark sweeps; the first watermark after a (re)start always does. */
  private transient long nextSweep;

  public ServiceGraphOperator(PairingConfig config) {
    this(new ServiceGraphFunction(config), config);
  }

  private ServiceGraphOperator(ServiceGraphFunction function, PairingConfig config) {
    super(function);
    this.function = function;
    this.processingTime = config.timeDomain() == PairingConfig.TimeDomain.PROCESSING;
    this.sweepEveryMs = Math.max(1, config.dedupeTtl().toMillis() / 2);
  }

  /** The function this operator runs (its outcome counters, for tests). */
  public ServiceGraphFunction function() {
    return function;
  }

  @Override
  public void open() throws Exception {
    super.open();
    nextSweep = Long.MIN_VALUE;
    if (processingTime) {
      scheduleSweep();
    }
  }

  private void scheduleSweep() {
    long at = ServiceGraphFunction.saturatedAdd(getProcessingTimeService().getCurrentProcessingTime(), sweepEveryMs);
    getProcessingTimeService().registerTimer(at, t -> {
      function.forgetCompleted(getProcessingTimeService().getCurrentProcessingTime(), getKeyedStateBackend());
      scheduleSweep();
    });
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    super.processWatermark(mark); // fires the due expiry timers first: what they finish may be swept now
    long now = mark.getTimestamp();
    if (!processingTime && now >= nextSweep) {
      function.forgetCompleted(now, getKeyedStateBackend());
      nextSweep = ServiceGraphFunction.saturatedAdd(now, sweepEveryMs);
    }
  }
}
