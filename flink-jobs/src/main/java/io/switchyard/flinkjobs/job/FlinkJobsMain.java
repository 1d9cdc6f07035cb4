package io.switchyard.flinkjobs.job;

import io.switchyard.flinkjobs.slo.spec.SloCli;
import java.util.Arrays;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Entry point of both build outputs. Run with {@code java -jar switchyard-flink-local.jar} it starts a
 * local MiniCluster in this JVM; submitted with {@code flink run switchyard-flink-jobs.jar} the same
 * code runs on the cluster. {@code slo ...} runs the SLO tools instead.
 */
public final class FlinkJobsMain {
  /** Printed once the job runs; `switchyard up` waits for it. */
  public static final String READY_MARKER = "switchyard-ready";

  private FlinkJobsMain() {}

  private static void awaitRunning(JobClient job) throws Exception {
    while (true) {
      JobStatus status = job.getJobStatus().get();
      if (status == JobStatus.RUNNING || status.isTerminalState()) {
        return;
      }
      Thread.sleep(100); // polling a status with no push API; not a timing assumption
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("slo")) {
      System.exit(SloCli.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
      return;
    }
    if (Arrays.asList(args).contains("--help")) {
      System.out.print(JobOptions.USAGE);
      return;
    }
    JobOptions options;
    try {
      options = JobOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(options));
    SwitchyardPipeline.build(env, options);
    JobClient job = env.executeAsync("switchyard");
    awaitRunning(job);
    // The launcher's supervisor marks flink-jobs ready on this line.
    System.out.println(READY_MARKER + " job " + job.getJobID());
    System.out.flush();
    job.getJobExecutionResult().get();
  }
}
