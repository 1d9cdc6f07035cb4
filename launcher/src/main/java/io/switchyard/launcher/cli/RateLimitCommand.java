package io.switchyard.launcher.cli;

import io.switchyard.launcher.Main.UsageException;
import io.switchyard.launcher.runtime.RateLimitRuntime;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.model.DefaultPorts;
import io.switchyard.ratelimit.config.RateLimitConfig;
import io.switchyard.ratelimit.config.RateLimitConfigLoader;
import io.switchyard.serverkit.config.ConfigException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code switchyard ratelimit}: the Envoy rate limit service alone, and its offline config check. */
@Command(name = "ratelimit",
    header = "Serves Envoy's rate limits from envoyproxy/ratelimit YAML.",
    mixinStandardHelpOptions = true,
    description = {
        "Serves Envoy's RateLimitService (RLS v3) over gRPC, with envoyproxy/ratelimit YAML configs from "
            + "--config-dir (one domain per file, reloaded on change). /json and /rlconfig are on the admin port."},
    subcommands = RateLimitCommand.Validate.class)
public final class RateLimitCommand implements Callable<Integer> {
  @Option(names = "--config-dir", paramLabel = "DIR", description = "Folder of rate limit YAML files (required).")
  Path configDir;

  @Option(names = "--port", paramLabel = "PORT", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int port = DefaultPorts.RATELIMIT_GRPC;

  @Option(names = "--host", paramLabel = "HOST", description = "gRPC bind address (default: ${DEFAULT-VALUE}).")
  String host = "0.0.0.0";

  @Mixin RateLimitOptions options;
  @Mixin AdminOptions admin;
  @Mixin TlsOptionsMixin tls;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Where envoyproxy/ratelimit's settings would be; tests give their own. */
  Map<String, String> environment = System.getenv();

  @Override
  public Integer call() throws Exception {
    for (String w : UpstreamEnvironment.warnings(environment)) {
      spec.commandLine().getErr().printf("switchyard: %-14s warning: %s%n", "ratelimit", w);
    }
    spec.commandLine().getErr().flush();
    if (configDir == null) {
      throw new UsageException("--config-dir is required (a folder of rate limit YAML files)");
    }
    if (!java.nio.file.Files.isDirectory(configDir)) {
      throw new UsageException("config folder not found: " + configDir + " (--config-dir)");
    }
    var limiterOptions = options.limiterOptions();
    var storageOptions = options.storageOptions();
    admin.listenPorts().add("--port", host, port).check();
    var out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
    SwitchyardProcess p = SwitchyardProcess.start(admin.host, admin.port, admin.token(), out);
    try {
      RateLimitRuntime.start(p, configDir, host, port, tls.tls().orElse(null), storageOptions,
          limiterOptions, options.mergeDomains, options.healthyWithAtLeastOneConfigLoaded);
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
    p.awaitShutdown(admin.drain());
    return p.exitCode();
  }

  /** {@code switchyard ratelimit validate DIR}: loads a folder as the service would; exit 0 valid, 1 invalid. */
  @Command(name = "validate", mixinStandardHelpOptions = true,
      description = "Checks a rate limit config folder offline (for CI): prints the domains, or file:line:column: reason.")
  static final class Validate implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Folder of rate limit YAML files.")
    Path dir;

    @Option(names = "--merge-domains", description = "Merge files that name the same domain.")
    boolean mergeDomains;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try {
        RateLimitConfig c = new RateLimitConfigLoader(mergeDomains).loadDirectory(dir);
        spec.commandLine().getOut().println("valid: " + c.domains().size() + " domain(s) " + c.domains().keySet());
        spec.commandLine().getOut().flush();
        return 0;
      } catch (ConfigException e) {
        spec.commandLine().getErr().println("invalid: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return 1;
      }
    }
  }
}
