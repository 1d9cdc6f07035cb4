package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.ServiceAggregate;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Window functions: edge events fold into per-subtask partials ({@link WindowPreAggregator}), the
 * keyed windows add the partials per edge / per service, then stamp the window bounds.
 */
public final class EdgeWindowing {
  private EdgeWindowing() {}

  /** Per-edge partials in the pre-aggregation: plain mutable accumulators, one per edge and window. */
  public static final class EdgePartials extends Partials.Accumulation<Partials.Edge, EdgeAggregate> {
    private static final long serialVersionUID = 1L;

    @Override
    public int hash(EdgeEvent e) {
      return e.edgeHash();
    }

    @Override
    public Partials.Edge create(EdgeEvent first) {
      return new Partials.Edge(first);
    }
  }

  /** Per-service partials in the pre-aggregation. */
  public static final class ServicePartials extends Partials.Accumulation<Partials.Service, ServiceAggregate> {
    private static final long serialVersionUID = 1L;

    @Override
    public int hash(EdgeEvent e) {
      return e.serviceHash();
    }

    @Override
    public Partials.Service create(EdgeEvent first) {
      return new Partials.Service(first);
    }
  }

  /**
   * The keyed window's aggregate: adds partials. Its accumulator is the same {@link EdgeAggregate}
   * the window kept when it summed single events, so window state of earlier builds restores.
   */
  public static final class MergeEdgePartials implements AggregateFunction<Tuple2<String, EdgeAggregate>, EdgeAggregate, EdgeAggregate> {
    private static final long serialVersionUID = 1L;

    @Override
    public EdgeAggregate createAccumulator() {
      return EdgeAggregate.getDefaultInstance();
    }

    @Override
    public EdgeAggregate add(Tuple2<String, EdgeAggregate> partial, EdgeAggregate acc) {
      return Aggregates.merge(acc, partial.f1);
    }

    @Override
    public EdgeAggregate getResult(EdgeAggregate acc) {
      return acc;
    }

    @Override
    public EdgeAggregate merge(EdgeAggregate a, EdgeAggregate b) {
      return Aggregates.merge(a, b);
    }
  }

  public static final class MergeServicePartials
      implements AggregateFunction<Tuple2<String, ServiceAggregate>, ServiceAggregate, ServiceAggregate> {
    private static final long serialVersionUID = 1L;

    @Override
    public ServiceAggregate createAccumulator() {
      return ServiceAggregate.getDefaultInstance();
    }

    @Override
    public ServiceAggregate add(Tuple2<String, ServiceAggregate> partial, ServiceAggregate acc) {
      return Aggregates.mergeService(acc, partial.f1);
    }

    @Override
    public ServiceAggregate getResult(ServiceAggregate acc) {
      return acc;
    }

    @Override
    public ServiceAggregate merge(ServiceAggregate a, ServiceAggregate b) {
      return Aggregates.mergeService(a, b);
    }
  }

  /** Each firing (on time, then once per late update) re-emits the whole window: readers overwrite. */
  public static final class StampEdgeWindow extends ProcessWindowFunction<EdgeAggregate, EdgeAggregate, String, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(String key, Context ctx, Iterable<EdgeAggregate> in, Collector<EdgeAggregate> out) {
      for (EdgeAggregate a : in) {
        out.collect(a.toBuilder().setWindowStartUnixMs(ctx.window().getStart()).setWindowEndUnixMs(ctx.window().getEnd())
            .setEmittedUnixMs(ctx.currentProcessingTime()).build());
      }
    }
  }

  public static final class StampServiceWindow extends ProcessWindowFunction<ServiceAggregate, ServiceAggregate, String, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(String key, Context ctx, Iterable<ServiceAggregate> in, Collector<ServiceAggregate> out) {
      for (ServiceAggregate a : in) {
        out.collect(a.toBuilder().setWindowStartUnixMs(ctx.window().getStart()).setWindowEndUnixMs(ctx.window().getEnd())
            .setEmittedUnixMs(ctx.currentProcessingTime()).build());
      }
    }
  }
}
