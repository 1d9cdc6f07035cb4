package io.switchyard.launcher.cli;

import io.switchyard.extauthz.CheckTool;
import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.ExtAuthzServer;
import io.switchyard.extauthz.config.PolicyLoader;
import io.switchyard.extauthz.log.DecisionLogger;
import io.switchyard.extauthz.policy.TrustDomains;
import io.switchyard.extauthz.request.PathNormalizer;
import io.switchyard.launcher.Main.UsageException;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.model.DefaultPorts;
import io.switchyard.model.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code switchyard ext-authz}: the Envoy ext_authz Check service, and its offline {@code check} tool. */
@Command(name = "ext-authz",
    header = "Serves Envoy's ext_authz Check with Istio security policies.",
    mixinStandardHelpOptions = true,
    description = {
        "Serves Envoy's ext_authz Check (gRPC) deciding with Istio AuthorizationPolicy and "
            + "RequestAuthentication YAML from --policy-dir, reloaded on change (an invalid edit is rejected, the "
            + "last good set keeps serving)."},
    subcommands = {ExtAuthzCommand.Check.class})
public final class ExtAuthzCommand implements Callable<Integer> {
  @Option(names = "--policy-dir", paramLabel = "DIR", description = "Folder (or file) of Istio security YAML (required to serve).")
  Path policyDir;

  @Option(names = "--port", paramLabel = "PORT", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int port = DefaultPorts.EXT_AUTHZ_GRPC;

  @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host = "0.0.0.0";

  @Option(names = "--root-namespace", paramLabel = "NS", description = "Namespace whose policies apply mesh-wide (default: ${DEFAULT-VALUE}).")
  String rootNamespace = PolicyLoader.DEFAULT_ROOT_NAMESPACE;

  @Option(names = "--path-normalization", paramLabel = "MODE",
      description = "NONE, BASE, MERGE_SLASHES or DECODE_AND_MERGE_SLASHES, as Istio's meshConfig (default: ${DEFAULT-VALUE}).")
  PathNormalizer.Mode normalization = PathNormalizer.Mode.BASE;

  @Option(names = "--num-trusted-proxies", paramLabel = "N", description = "Proxies in front of Envoy whose X-Forwarded-For entries are trusted for remote.ip (default: ${DEFAULT-VALUE}).")
  int numTrustedProxies;

  @Option(names = "--jwt-payload-key", paramLabel = "KEY", description = "jwt_authn payload_in_metadata name whose claims are trusted (default: ${DEFAULT-VALUE}).")
  String jwtPayloadKey = "payload";

  @Option(names = "--check-deadline-ms", paramLabel = "MS", description = "Own deadline per Check, below Envoy's timeout; past it the call fails closed (default: ${DEFAULT-VALUE}).")
  long deadlineMs = 150;

  @Option(names = "--name-policy-in-denial", description = "Name the denying policy in the 403 body (reveals policy names to callers).")
  boolean namePolicy;

  @Option(names = "--no-principal-header", description = "Do not add x-switchyard-principal to allowed requests.")
  boolean noPrincipalHeader;

  @Option(names = "--redact-header", paramLabel = "NAME", split = ",",
      description = "Header whose value decision records redact (repeatable; default: authorization, proxy-authorization, cookie, set-cookie, x-api-key).")
  List<String> redact;

  @Mixin ExtAuthzTuningOptions tuning;
  // Not the shared KafkaOptions: its "default: 127.0.0.1:9092" is wrong here, where no --kafka means the JSON log.
  @Option(names = "--kafka", paramLabel = "HOST:PORT,...",
      description = "Kafka bootstrap servers the decision records go to, topic <prefix>switchyard.authz-decisions (default: none, the JSON log).")
  String kafkaServers;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Prefix of every Switchyard topic name (default: none).")
  String topicPrefix = "";
  @Mixin AdminOptions admin;
  @Mixin TlsOptionsMixin tls;
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (policyDir == null) {
      throw new UsageException("--policy-dir is required (see 'switchyard ext-authz --help')");
    }
    if (!Files.exists(policyDir)) {
      throw new UsageException("--policy-dir " + policyDir + " does not exist");
    }
    boolean kafkaGiven = kafkaServers != null;
    Set<String> redacted = redact == null ? DecisionLogger.DEFAULT_REDACTED : new LinkedHashSet<>(redact);
    ExtAuthzConfig config = tuning.applyTo(ExtAuthzConfig.defaults(policyDir)
        .withListener(host, port, tls.tls().orElse(null))
        .withPolicyOptions(rootNamespace, normalization, numTrustedProxies, jwtPayloadKey, namePolicy, !noPrincipalHeader)
        .withTimings(Duration.ofMillis(deadlineMs), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(2))
        .withDecisionLog(true, kafkaGiven ? kafkaServers : null,
            Topics.AUTHZ_DECISIONS.withPrefix(topicPrefix).name(), 10_000, redacted));
    admin.listenPorts().add("--port", host, port).check();
    var out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
    SwitchyardProcess p = SwitchyardProcess.start(admin.host, admin.port, admin.token(), out);
    try {
      p.metrics().registerJvmMetrics();
      ExtAuthzServer server = p.own("ext-authz", new ExtAuthzServer(config, p.metrics(), Clock.systemUTC(), p.readiness()));
      server.start();
      p.announce("ext-authz", "grpc " + host + ":" + server.port() + " (policies from " + policyDir + ", decision log to "
          + (!tuning.decisionLog() ? "nowhere" : kafkaGiven ? "Kafka " + kafkaServers : "the JSON log") + ")");
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
    p.awaitShutdown(admin.drain());
    return 0;
  }

  /** {@code switchyard ext-authz check}: one request against a policy folder, offline. */
  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Decides one CheckRequest (Envoy's protobuf JSON) against --policy-dir offline.",
          "Prints the decision and the matched rule as JSON. Exit code 0 = allowed, 1 = denied (403/401/400), 2 = bad "
              + "input."})
  static final class Check implements Callable<Integer> {
    @Option(names = "--policy-dir", required = true, paramLabel = "DIR", description = "Folder (or file) of Istio security YAML.")
    Path policyDir;

    @Option(names = "--request", required = true, paramLabel = "FILE.json", description = "envoy.service.auth.v3.CheckRequest as JSON.")
    Path request;

    @Option(names = "--root-namespace", paramLabel = "NS", description = "Namespace whose policies apply mesh-wide (default: ${DEFAULT-VALUE}).")
    String rootNamespace = PolicyLoader.DEFAULT_ROOT_NAMESPACE;

    @Option(names = "--trust-domain", paramLabel = "TD",
        description = "The mesh trust domain, as the server's --trust-domain (default: ${DEFAULT-VALUE}).")
    String trustDomain = TrustDomains.CLUSTER_LOCAL;

    @Option(names = "--trust-domain-alias", paramLabel = "TD", split = ",",
        description = "Other trust domains treated as this one, as the server's --trust-domain-alias.")
    List<String> trustDomainAliases = List.of();

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      TrustDomains trustDomains = ExtAuthzTuningOptions.trustDomains(trustDomain, trustDomainAliases);
      CheckTool.Result r;
      try {
        r = CheckTool.run(policyDir, request, rootNamespace, trustDomains);
      } catch (CheckTool.BadRequestFile e) {
        throw new UsageException(e.getMessage());
      }
      spec.commandLine().getOut().println(r.json());
      spec.commandLine().getOut().flush();
      return r.allowed() ? 0 : 1;
    }
  }
}
