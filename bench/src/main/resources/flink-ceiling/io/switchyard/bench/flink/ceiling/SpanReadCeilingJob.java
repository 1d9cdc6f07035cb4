package io.switchyard.bench.flink.ceiling;

import io.switchyard.flinkjobs.job.FlinkJobsMain;
import io.switchyard.flinkjobs.job.JobOptions;
import io.switchyard.flinkjobs.job.SwitchyardPipeline;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The Flink ceiling of FlinkServiceGraphBench: the service-graph job's own span source (same Kafka
 * source settings, same {@code RawSpanDeserializer}, same watermarks, {@link SwitchyardPipeline#spans})
 * into a discarding sink, on the same MiniCluster configuration (parallelism, checkpoints, state
 * backend, metrics reporter) the local jar builds from the same arguments. What it reaches is what
 * Flink's source and runtime allow before any of the pairing's work.
 *
 * <p>Kept as a source resource and compiled by the bench at run time against the local jar it
 * measures: the bench's own class path may not hold Flink (its enforcer keeps Flink's RocksDB out of
 * a JVM that holds rocksdbjni), and the child runs with {@code -cp LOCAL_JAR:CLASSES}, so nothing of
 * the bench's dependencies enters it.
 */
public final class SpanReadCeilingJob {
  private SpanReadCeilingJob() {}

  public static void main(String[] args) throws Exception {
    JobOptions o = JobOptions.parse(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
    SwitchyardPipeline.spans(env, o).sinkTo(new DiscardingSink<>()).name("discard");
    JobClient job = env.executeAsync("span read ceiling");
    JobStatus status = job.getJobStatus().get();
    while (status != JobStatus.RUNNING && !status.isTerminalState()) {
      Thread.sleep(100); // polling a status with no push API, as the local jar does
      status = job.getJobStatus().get();
    }
    if (status == JobStatus.RUNNING) {
      System.out.println(FlinkJobsMain.READY_MARKER + " job " + job.getJobID());
      System.out.flush();
    }
    job.getJobExecutionResult().get();
  }
}
