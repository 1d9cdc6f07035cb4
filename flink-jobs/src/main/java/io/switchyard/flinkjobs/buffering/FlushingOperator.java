package io.switchyard.flinkjobs.buffering;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * An operator that gathers records in the heap and hands them on at every point where holding them
 * would change a result: before a watermark is forwarded (downstream sees everything that preceded
 * the watermark before it, as without the buffer; a subclass may narrow this to the watermarks that
 * can make downstream act on what it holds), before a checkpoint barrier (so the buffer needs
 * no state and exactly-once holds), when the input turns idle, and at end of input. Subclasses flush
 * at their own size or time bounds too.
 */
public abstract class FlushingOperator<IN, OUT> extends AbstractStreamOperator<OUT>
    implements OneInputStreamOperator<IN, OUT>, BoundedOneInput {
  private static final long serialVersionUID = 1L;

  /** Emits everything buffered and empties the buffer. */
  protected abstract void flush();

  /**
   * Whether what is buffered must go out before {@code mark} is forwarded; always, unless a subclass
   * knows that holding it past this watermark cannot change what downstream computes.
   */
  protected boolean mustFlushBefore(Watermark mark) {
    return true;
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    if (mustFlushBefore(mark)) {
      flush();
    }
    super.processWatermark(mark);
  }

  @Override
  public void processWatermarkStatus(WatermarkStatus status) throws Exception {
    if (status.isIdle()) {
      flush();
    }
    super.processWatermarkStatus(status);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void endInput() {
    flush();
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }
}
