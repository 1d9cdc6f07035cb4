package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Stamps each edge with its own event time (the request's start) and passes the upstream watermarks
 * through untouched. Regenerating watermarks here instead would lose the sources' per-partition
 * watermarks: one partition read ahead of another would push event time past the others' data and
 * turn it late.
 */
public final class EdgeTimestamps extends AbstractStreamOperator<EdgeEvent> implements OneInputStreamOperator<EdgeEvent, EdgeEvent> {
  private static final long serialVersionUID = 1L;

  @Override
  public void processElement(StreamRecord<EdgeEvent> element) {
    output.collect(element.replace(element.getValue(), element.getValue().timestampMs));
  }
}
