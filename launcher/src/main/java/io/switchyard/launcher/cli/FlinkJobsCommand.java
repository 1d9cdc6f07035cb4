package io.switchyard.launcher.cli;

import io.switchyard.launcher.runtime.LocalFlinkJar;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * The Flink jobs alone, on a local MiniCluster in their own JVM: the local jar started the way {@code up}
 * starts it, in the foreground. The scale-out form of the same jobs is the job jar submitted with
 * {@code flink run}.
 */
@Command(name = "flink-jobs",
    header = "Runs the Flink jobs on a local MiniCluster in a child JVM.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Runs the Flink jobs (service graph, RED windows, SLOs) on a local MiniCluster in a child JVM, as 'up' does.",
        "Every argument not listed here goes to the job, e.g. --kafka HOST:PORT --topic-prefix P --window 1m"
            + " --parallelism N; --job-help lists them all.",
        "The data folder (checkpoints, savepoints) defaults to data/flink of the installation, the one 'up' uses."})
public final class FlinkJobsCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--flink-jar", paramLabel = "JAR", description = "The local jar (default: " + LocalFlinkJar.DEFAULT_PATH + " of the install).")
  Path flinkJar;

  @Option(names = "--flink-heap", paramLabel = "SIZE", description = "Heap of the jobs' JVM (default: the one the jar's manifest names, 1g).")
  String flinkHeap;

  @Option(names = "--job-help", description = "Prints the job's own options and exits.")
  boolean jobHelp;

  @Unmatched List<String> jobArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Path home = Installation.home();
    return ForegroundChild.run(command(home), spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  List<String> command(Path home) throws java.io.IOException {
    Path jar = LocalFlinkJar.locate(home, flinkJar);
    List<String> args = new ArrayList<>();
    if (jobHelp) {
      args.add("--help");
    } else {
      args.addAll(jobArgs);
      if (jobArgs.stream().noneMatch(a -> a.equals("--data-dir") || a.startsWith("--data-dir="))) {
        args.addAll(List.of("--data-dir", home.resolve("data").resolve("flink").toAbsolutePath().toString()));
      }
      // The job stops with this command even when it is killed with SIGKILL and cannot stop its child.
      args.addAll(List.of("--exit-with-parent", Long.toString(ProcessHandle.current().pid())));
    }
    return LocalFlinkJar.command(jar, LocalFlinkJar.heapFlag(flinkHeap), args);
  }
}
