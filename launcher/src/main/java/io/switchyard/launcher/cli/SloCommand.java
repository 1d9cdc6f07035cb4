package io.switchyard.launcher.cli;

import io.switchyard.launcher.runtime.LocalFlinkJar;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * OpenSLO definitions: validated, published to the definitions topic the SLO job reads as broadcast state,
 * or exported as Prometheus rules. The parser lives with the Flink jobs and the main JVM never loads Flink's
 * code, so this runs the jobs' local jar as a short-lived tool, as {@code up} does for {@code config/slo/}.
 */
@Command(name = "slo",
    header = "Checks, publishes or exports OpenSLO definitions.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "The Flink jobs' SLO tool, run from their local jar:",
        "  slo check DIR   validates every file (errors name file:line) and prints",
        "                  each SLO's burn-rate alert windows",
        "  slo apply DIR   publishes the folder: SLOs it published before and no",
        "                  longer defines get tombstones, other folders' SLOs stay",
        "                  unless --prune all; a running job applies it without a",
        "                  restart",
        "  slo rules DIR   prints equivalent Prometheus recording/alerting rules",
        "Exit codes: 0 ok, 1 invalid SLO files, 2 usage error, 3 Kafka failure."})
public final class SloCommand implements Callable<Integer> {
  static final String DEFAULT_KAFKA = "127.0.0.1:9092";

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--flink-jar", paramLabel = "JAR", description = "The Flink jobs' local jar (default: " + LocalFlinkJar.DEFAULT_PATH + " of the install).")
  Path flinkJar;

  @Parameters(index = "0", paramLabel = "ACTION", description = "check, apply or rules.")
  String action;

  @Parameters(index = "1", paramLabel = "DIR", description = "The folder of OpenSLO YAML files.")
  Path dir;

  @Option(names = "--kafka", paramLabel = "HOST:PORT", description = "Brokers (apply only; default: ${DEFAULT-VALUE}, the broker of 'up').")
  String kafka = DEFAULT_KAFKA;

  @Option(names = "--topic-prefix", paramLabel = "P", description = "Prefix of the topics (apply only).")
  String topicPrefix;

  @Option(names = "--prune", paramLabel = "folder|all", description = "Which SLOs missing from DIR apply removes: those "
      + "published from DIR (folder, the default) or every one, wherever it was published from (all). Apply only.")
  String prune;

  @Option(names = "--window", paramLabel = "DURATION", description = "The jobs' aggregation window (default: the tool's, 1m).")
  String window;

  @Option(names = "--slo-alert-windows", paramLabel = "LIST", description = "The job's burn-rate alert windows (default: auto, the "
      + "workbook's scaled with each SLO window); SLOs these windows cannot serve are refused.")
  String alertWindows;

  @Override
  public Integer call() throws Exception {
    return ForegroundChild.run(command(Installation.home()), spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  List<String> command(Path home) {
    if (!List.of("check", "apply", "rules").contains(action)) {
      throw new IllegalArgumentException("unknown slo action '" + action + "' (check, apply or rules)");
    }
    Path jar = LocalFlinkJar.locate(home, flinkJar);
    List<String> args = new ArrayList<>(List.of("slo", action, dir.toAbsolutePath().toString()));
    if (action.equals("apply")) {
      args.addAll(List.of("--kafka", kafka));
      if (topicPrefix != null) {
        args.addAll(List.of("--topic-prefix", topicPrefix));
      }
      if (prune != null) {
        args.addAll(List.of("--prune", prune));
      }
    } else if (topicPrefix != null || prune != null) {
      throw new IllegalArgumentException((topicPrefix != null ? "--topic-prefix" : "--prune") + " applies to 'slo apply' only");
    }
    if (window != null) {
      args.addAll(List.of("--window", window));
    }
    if (alertWindows != null) {
      args.addAll(List.of("--slo-alert-windows", alertWindows));
    }
    return LocalFlinkJar.toolCommand(jar, args);
  }
}
