package io.switchyard.extauthz;

import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.JwksRegistry;
import io.switchyard.extauthz.authn.RequestAuthentication;
import io.switchyard.extauthz.config.PolicyLoader;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.extauthz.decision.DecisionEngine;
import io.switchyard.extauthz.grpc.AuthorizationService;
import io.switchyard.extauthz.grpc.CheckResponses;
import io.switchyard.extauthz.log.DecisionLogger;
import io.switchyard.extauthz.log.JsonLogSink;
import io.switchyard.extauthz.log.KafkaDecisionSink;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.request.CheckRequestMapper;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigReloader;
import io.switchyard.serverkit.grpc.GrpcServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ext_authz service: loads the policy folder (and keeps reloading it, keeping the last good set),
 * serves {@code envoy.service.auth.v3.Authorization/Check} plus gRPC health on one port, and writes
 * decision logs. The launcher and the tests start it the same way.
 */
public final class ExtAuthzServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExtAuthzServer.class);

  private final ExtAuthzConfig config;
  private final Metrics metrics;
  private final Clock clock;
  private final Readiness.Component readiness;
  private ExtAuthzMetrics m;
  private ExecutorService httpExecutor;
  private ConfigReloader<PolicySet> reloader;
  private DecisionEngine engine;
  private JwksRegistry jwks;
  private DecisionLogger log;
  private GrpcServer grpc;

  /** {@code readiness} may be null (tests); otherwise it turns ready once the first policy set is loaded. */
  public ExtAuthzServer(ExtAuthzConfig config, Metrics metrics, Clock clock, Readiness readiness) {
    this.config = config;
    this.metrics = metrics;
    this.clock = clock;
    this.readiness = readiness == null ? null : readiness.register("ext-authz");
  }

  public ExtAuthzServer start() throws IOException, ConfigException {
    m = new ExtAuthzMetrics(metrics);
    httpExecutor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "ext-authz-jwks");
      t.setDaemon(true);
      return t;
    });
    HttpClient http = HttpClient.newBuilder().executor(httpExecutor).connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    jwks = new JwksRegistry(http, clock, config.jwksRefresh(), config.jwksMinRefresh(), m, config.jwksUriByIssuer());
    Authenticator authenticator = new Authenticator(jwks, clock, 100_000);
    reloader = ConfigReloader.builder("ext-authz", config.policyDir(), new PolicyLoader(config.rootNamespace(), config.trustDomains()))
        .metrics(metrics).pollInterval(config.reloadPoll()).onChange(this::installed).build();
    PolicySet first = reloader.start();
    engine = new DecisionEngine(first, authenticator, clock, config.cache(), m);
    installed(first);
    if (config.decisionLog()) {
      log = new DecisionLogger(config.kafkaBootstrap() == null ? new JsonLogSink()
          : new KafkaDecisionSink(config.kafkaBootstrap(), config.decisionTopic(), m), config.decisionQueue(), config.redactedHeaders(), m);
    }
    CheckRequestMapper mapper = new CheckRequestMapper(new CheckRequestMapper.Options(config.normalization(), config.numTrustedProxies(),
        config.jwtPayloadKey(), CheckRequestMapper.Options.DEFAULT_MAX_HEADER_BYTES));
    AuthorizationService service = new AuthorizationService(mapper, engine, new CheckResponses(
        new CheckResponses.Options(config.namePolicyInDenial(), config.principalHeader())), log, m, clock, config.checkDeadline());
    GrpcServer.Builder b = GrpcServer.builder("ext-authz", config.port()).host(config.host()).addService(service)
        .readiness(readiness);
    if (config.tls() != null) {
      b.tls(config.tls());
    }
    grpc = b.build().start();
    if (readiness != null) {
      readiness.ready();
    }
    LOG.info("ext-authz serving Check on {}:{} with policy revision {} ({} AuthorizationPolicy, {} RequestAuthentication)",
        config.host(), grpc.port(), first.revision(), first.authorizationPolicies().size(), first.requestAuthentications().size());
    return this;
  }

  private void installed(PolicySet set) {
    if (engine == null) {
      return;
    }
    if (engine.policies() != set) {
      engine.swap(set);
    }
    m.policies.labelValues("AuthorizationPolicy").set(set.authorizationPolicies().size());
    m.policies.labelValues("RequestAuthentication").set(set.requestAuthentications().size());
    List<io.switchyard.extauthz.authn.JwtRule> rules = new ArrayList<>();
    for (RequestAuthentication ra : set.requestAuthentications()) {
      rules.addAll(ra.jwtRules());
    }
    jwks.prefetch(rules);
  }

  public int port() {
    return grpc.port();
  }

  public DecisionEngine engine() {
    return engine;
  }

  /** Reloads the policy folder now if it changed; false keeps the current set (unchanged or invalid). */
  public boolean reloadNow() {
    return reloader.reloadNow();
  }

  @Override
  public void close() {
    if (readiness != null) {
      readiness.notReady("shutting down");
    }
    if (grpc != null) {
      grpc.close();
    }
    if (reloader != null) {
      reloader.close();
    }
    if (log != null) {
      log.close();
    }
    if (httpExecutor != null) {
      httpExecutor.shutdownNow();
    }
  }
}
