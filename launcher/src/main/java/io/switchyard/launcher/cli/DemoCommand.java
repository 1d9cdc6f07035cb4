package io.switchyard.launcher.cli;

import io.switchyard.demo.StorefrontDemo;
import io.switchyard.launcher.runtime.ListenPorts;
import io.switchyard.model.DefaultPorts;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code switchyard demo}: traffic from a simulated storefront mesh into a running Switchyard. */
@Command(name = "demo",
    header = "Sends a simulated mesh's traffic to a running Switchyard.",
    mixinStandardHelpOptions = true,
    description = {
        "Sends a simulated storefront mesh's traffic to a running Switchyard, as sidecars and SDKs would: OTLP "
            + "spans, Envoy access logs, an ext_authz Check and a ShouldRateLimit per request.",
        "Start Switchyard with the demo config first (switchyard up --config-dir config/demo), or use 'up --demo'."})
public final class DemoCommand implements Callable<Integer> {
  @Mixin DemoOptions demo;

  @Option(names = "--target", paramLabel = "HOST", description = "Host running Switchyard (default: ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  // --ext-authz-port is up's name for the same port, so a moved `up` is followed by the same flag.
  @Option(names = {"--ext-authz-port", "--authz-port"}, paramLabel = "PORT",
      description = "ext_authz gRPC port the Checks go to (default: ${DEFAULT-VALUE}).")
  int authzPort = DefaultPorts.EXT_AUTHZ_GRPC;
  @Option(names = "--ratelimit-port", paramLabel = "PORT",
      description = "Rate limit gRPC port the ShouldRateLimit calls go to (default: ${DEFAULT-VALUE}).")
  int ratelimitPort = DefaultPorts.RATELIMIT_GRPC;
  @Option(names = "--otlp-grpc-port", paramLabel = "PORT",
      description = "OTLP gRPC port the spans go to (default: ${DEFAULT-VALUE}).")
  int otlpPort = DefaultPorts.OTLP_GRPC;
  @Option(names = "--als-port", paramLabel = "PORT",
      description = "Envoy access-log service port the access logs go to (default: ${DEFAULT-VALUE}).")
  int alsPort = DefaultPorts.ACCESS_LOG_GRPC;

  @Override
  public Integer call() throws Exception {
    var settings = demo.settings(host, authzPort, ratelimitPort, otlpPort, alsPort);
    new ListenPorts().add("--jwks-port", host, settings.jwksPort()).check();
    StorefrontDemo d = new StorefrontDemo(settings, System.out, System.console() != null).start();
    Runtime.getRuntime().addShutdownHook(new Thread(d::close, "demo-stop"));
    d.awaitDone();
    d.close();
    return 0;
  }
}
