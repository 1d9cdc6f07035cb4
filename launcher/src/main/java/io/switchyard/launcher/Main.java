package io.switchyard.launcher;

import io.switchyard.launcher.cli.SwitchyardCommand;
import io.switchyard.serverkit.config.ConfigException;
import picocli.CommandLine;

/** Entry point of the {@code switchyard} command. */
public final class Main {
  /** Exit code for bad flags or bad config: a one-line reason, no stack trace. */
  public static final int USAGE_ERROR = 2;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    return commandLine().execute(args);
  }

  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new SwitchyardCommand());
    cl.setParameterExceptionHandler((ex, a) -> {
      CommandLine cmd = ex.getCommandLine();
      cmd.getErr().println("switchyard: " + ex.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
      return USAGE_ERROR;
    });
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      Throwable t = ex;
      while (t.getCause() != null && !(t instanceof ConfigException) && !(t instanceof IllegalArgumentException)) {
        t = t.getCause();
      }
      if (t instanceof ConfigException || t instanceof IllegalArgumentException || ex instanceof UsageException) {
        cmd.getErr().println("switchyard: " + t.getMessage());
        return USAGE_ERROR;
      }
      throw ex;
    });
    return cl;
  }

  /** A mistake of the user's (bad flag combination, missing file) reported in one line with exit code 2. */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }
}
