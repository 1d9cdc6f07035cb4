package io.switchyard.launcher.cli;

import picocli.CommandLine.Command;

/** The top-level {@code switchyard} command; every service and tool is a subcommand. */
@Command(
    name = "switchyard",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Telemetry-and-policy backend for Envoy meshes.",
    subcommands = {
        UpCommand.class,
        IngestCommand.class,
        TopologyApiCommand.class,
        FlinkJobsCommand.class,
        SloCommand.class,
        ExtAuthzCommand.class,
        RateLimitCommand.class,
        DemoCommand.class,
        TopicsCommand.class,
        VersionCommand.class,
        XdsCommand.class,
    })
public final class SwitchyardCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
