package io.switchyard.launcher;

import io.switchyard.launcher.cli.SwitchyardCommand;
import io.switchyard.launcher.runtime.ListenPorts;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.serverkit.config.ConfigException;
import java.net.BindException;
import picocli.CommandLine;

/** Entry point of the {@code switchyard} command. */
public final class Main {
  /** Exit code for bad flags or bad config: a one-line reason, no stack trace. */
  public static final int USAGE_ERROR = 2;

  private Main() {}

  public static void main(String[] args) {
    int code;
    try {
      code = run(args);
    } catch (RuntimeException | Error e) {
      if (!stoppedWhileStarting(e)) {
        throw e;
      }
      // An Error ending a start the stop cut (Kafka's metrics cannot add their hook once the JVM stops) passes the
      // handler below: no trace after the stop's last line either. The JVM exits with the signal's code.
      code = 1;
    }
    System.exit(code);
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
      if (stoppedWhileStarting(ex)) {
        // A SIGTERM or Ctrl-C ended a start: the shutdown hook closes what started and prints the stop's lines, and the
        // JVM exits with the signal's code whatever this returns. The start's failure is no error of the user's.
        return 1;
      }
      if (ex instanceof ListenPorts.InUseException) {
        cmd.getErr().println("switchyard: " + ex.getMessage());
        return USAGE_ERROR;
      }
      String bind = bindFailure(ex);
      if (bind != null) {
        // A port taken between the check of ListenPorts and the server's own bind: still one line.
        cmd.getErr().println("switchyard: cannot listen: " + bind + "; stop what holds the port, or choose another one with its --*-port flag");
        return USAGE_ERROR;
      }
      String kafka = kafkaClientRefusal(ex, cmd);
      if (kafka != null) {
        cmd.getErr().println("switchyard: " + kafka);
        return USAGE_ERROR;
      }
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

  /** Whether {@code t} ended a start because the process was asked to stop (the JVM is stopping, or the process said so). */
  static boolean stoppedWhileStarting(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SwitchyardProcess.StoppedException) {
        return true;
      }
    }
    // An interrupted start fails with its own exception: the JVM refusing a new hook is how to know it is stopping.
    Thread probe = new Thread(() -> { });
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  /**
   * What Kafka's client refused to be created with, naming {@code --kafka}; null if {@code t} is no such refusal. The
   * client refuses at once, not later: a {@code --kafka} none of whose host names resolves ("No resolvable bootstrap
   * urls") is a bad flag, worded as {@code topics create} and {@code flink-jobs} word it.
   */
  static String kafkaClientRefusal(Throwable t, CommandLine cmd) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      // Only the bootstrap list: a client refusing another setting (a --consumer-property) is not about reaching it.
      if (c instanceof org.apache.kafka.common.config.ConfigException && c.getMessage() != null
          && c.getMessage().contains("bootstrap.servers")) {
        CommandLine.Model.OptionSpec flag = cmd.getCommandSpec().findOption("--kafka");
        String where = flag == null ? "" : " at " + flag.getValue();
        return "cannot reach Kafka" + where + " (--kafka): " + c.getMessage();
      }
    }
    return null;
  }

  /** The messages from the outermost exception down to a {@link BindException} in {@code t}'s causes; null if none. */
  static String bindFailure(Throwable t) {
    StringBuilder why = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && why.indexOf(m) < 0) {
        why.append(why.length() == 0 ? "" : ": ").append(m);
      }
      if (c instanceof BindException || nettyNativeBind(c)) {
        return why.toString();
      }
    }
    return null;
  }

  /**
   * gRPC's Netty binds through its native transport (epoll) on Linux, whose bind failure is Netty's own
   * {@code IOException} ({@code bind(..) failed with error(-98): Address already in use}), not a
   * {@link BindException}. Told by name: the class is shaded into gRPC's package.
   */
  private static boolean nettyNativeBind(Throwable c) {
    return c.getClass().getName().endsWith(".netty.channel.unix.Errors$NativeIoException") && c.getMessage() != null
        && c.getMessage().startsWith("bind(");
  }

  /** A mistake of the user's (bad flag combination, missing file) reported in one line with exit code 2. */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }
}
