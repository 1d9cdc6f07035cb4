package io.switchyard.launcher.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Prints Switchyard's version.")
public final class VersionCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().println("switchyard " + version());
    return 0;
  }

  public static String version() {
    String v = VersionCommand.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  public static final class Provider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"switchyard " + version()};
    }
  }
}
