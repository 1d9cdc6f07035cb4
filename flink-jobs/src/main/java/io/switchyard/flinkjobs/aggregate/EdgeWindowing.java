package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.ServiceAggregate;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Window functions: aggregate per edge / per service, then stamp the window bounds. */
public final class EdgeWindowing {
  private EdgeWindowing() {}

  public static final class EdgeAccumulate implements AggregateFunction<EdgeEvent, EdgeAggregate, EdgeAggregate> {
    private static final long serialVersionUID = 1L;

    @Override
    public EdgeAggregate createAccumulator() {
      return EdgeAggregate.getDefaultInstance();
    }

    @Override
    public EdgeAggregate add(EdgeEvent value, EdgeAggregate acc) {
      return Aggregates.add(acc, value);
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

  public static final class ServiceAccumulate implements AggregateFunction<EdgeEvent, ServiceAggregate, ServiceAggregate> {
    private static final long serialVersionUID = 1L;

    @Override
    public ServiceAggregate createAccumulator() {
      return ServiceAggregate.getDefaultInstance();
    }

    @Override
    public ServiceAggregate add(EdgeEvent value, ServiceAggregate acc) {
      return Aggregates.addService(acc, value);
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
