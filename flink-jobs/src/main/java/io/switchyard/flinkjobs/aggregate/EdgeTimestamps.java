package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.metrics.FreshnessGauges;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Stamps each edge with its own event time (the request's start) and passes the upstream watermarks
 * through untouched. Regenerating watermarks here instead would lose the sources' per-partition
 * watermarks: one partition read ahead of another would push event time past the others' data and
 * turn it late.
 *
 * <p>Every edge of a branch passes here, once per watermark too, so this is where the branch's
 * {@link FreshnessGauges} live: a watermark and a checkpoint notification cost one volatile write,
 * and records nothing at all.
 */
public final class EdgeTimestamps extends AbstractStreamOperator<EdgeEvent> implements OneInputStreamOperator<EdgeEvent, EdgeEvent> {
  private static final long serialVersionUID = 1L;
  private transient FreshnessGauges freshness;

  @Override
  public void open() throws Exception {
    super.open();
    freshness = FreshnessGauges.register(getMetricGroup(), getProcessingTimeService()::getCurrentProcessingTime);
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    freshness.onWatermark(mark.getTimestamp());
    super.processWatermark(mark);
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) throws Exception {
    super.notifyCheckpointComplete(checkpointId);
    freshness.onCheckpointComplete();
  }

  @Override
  public void processElement(StreamRecord<EdgeEvent> element) {
    output.collect(element.replace(element.getValue(), element.getValue().timestampMs));
  }
}
