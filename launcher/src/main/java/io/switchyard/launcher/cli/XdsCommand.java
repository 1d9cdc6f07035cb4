package io.switchyard.launcher.cli;

import io.switchyard.launcher.Main.UsageException;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.model.DefaultPorts;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.xds.XdsRender;
import io.switchyard.xds.mesh.MeshFileException;
import io.switchyard.xds.server.XdsServer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code switchyard xds}: the xDS server alone, and {@code xds render} to read what a node group would get. */
@Command(name = "xds",
    header = "Serves Envoy and gRPC xDS config from a mesh file.",
    mixinStandardHelpOptions = true,
    description = {
        "Serves Envoy and proxyless gRPC config (ADS, SotW and delta) generated from a mesh file, reloading "
            + "it on change. See docs/xds.md."},
    subcommands = {XdsCommand.Render.class})
public final class XdsCommand implements Callable<Integer> {
  @Option(names = "--mesh", paramLabel = "FILE", description = "The mesh file (see config/mesh.yaml).")
  Path mesh;

  @Option(names = "--port", paramLabel = "PORT", description = "xDS gRPC port (default: ${DEFAULT-VALUE}).")
  int port = DefaultPorts.XDS_GRPC;

  @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host = "0.0.0.0";

  @Option(names = "--cluster-removal-delay-ms", paramLabel = "MS",
      description = "How long clusters an edit drops stay served beside the new routes (make before break); 0 removes them at once (default: ${DEFAULT-VALUE}).")
  long clusterRemovalDelayMs = 5000;

  @Mixin AdminOptions admin;
  @Mixin TlsOptionsMixin tls;

  @Override
  public Integer call() throws Exception {
    if (mesh == null) {
      throw new UsageException("xds needs --mesh FILE (or use 'switchyard xds render')");
    }
    admin.listenPorts().add("--port", host, port).check();
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
    SwitchyardProcess p = SwitchyardProcess.start(admin.host, admin.port, admin.token(), out);
    try {
      if (clusterRemovalDelayMs < 0) {
        throw new UsageException("--cluster-removal-delay-ms must be 0 or more");
      }
      XdsServer.Builder b = XdsServer.builder(mesh, p.metrics()).port(port).host(host).readiness(p.readiness())
          .removalDelay(Duration.ofMillis(clusterRemovalDelayMs));
      tls.tls().ifPresent(b::tls);
      XdsServer server = p.own("xds", b.build());
      server.start();
      server.adminRoutes().forEach((path, handler) -> p.admin().addRoute(path, handler, true));
      p.announce("xds", "grpc " + host + ":" + server.port() + " (ADS; mesh " + mesh + ")");
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
    p.awaitShutdown(admin.drain());
    return 0;
  }

  @Command(name = "render", mixinStandardHelpOptions = true,
      description = "Prints, as YAML, the checked resources (clusters, endpoints, listeners, routes) one node group gets.")
  static final class Render implements Callable<Integer> {
    @Option(names = "--mesh", required = true, paramLabel = "FILE", description = "The mesh file.")
    Path mesh;

    @Option(names = "--node-cluster", required = true, paramLabel = "NAME",
        description = "The node group: node.cluster in the proxy's bootstrap.")
    String nodeCluster;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      try {
        spec.commandLine().getOut().print(XdsRender.render(mesh, nodeCluster));
        spec.commandLine().getOut().flush();
      } catch (MeshFileException e) {
        throw new ConfigException(e.file(), e.line(), e.column(), e.reason());
      }
      return 0;
    }
  }
}
