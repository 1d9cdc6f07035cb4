package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.policy.TrustDomains;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ExtAuthzTuningOptionsTest {
  static final ExtAuthzConfig BASE = ExtAuthzConfig.defaults(Path.of("authz"))
      .withDecisionLog(true, "localhost:9092", "switchyard.authz-decisions", 10_000, java.util.Set.of("authorization"));

  static ExtAuthzTuningOptions parse(String... args) {
    ExtAuthzTuningOptions o = new ExtAuthzTuningOptions();
    new CommandLine(CommandLine.Model.CommandSpec.create().addMixin("t", CommandLine.Model.CommandSpec.forAnnotatedObject(o)))
        .parseArgs(args);
    return o;
  }

  @Test
  void defaultsKeepTheServiceDefaults() {
    ExtAuthzConfig c = parse().applyTo(BASE);
    assertThat(c.cache()).isEqualTo(BASE.cache());
    assertThat(c.decisionLog()).isTrue();
    assertThat(c.kafkaBootstrap()).isEqualTo("localhost:9092");
    assertThat(c.decisionTopic()).isEqualTo("switchyard.authz-decisions");
  }

  @Test
  void upNamesAndStandaloneNamesSetTheSameSettings() {
    for (String[] args : new String[][] {
        {"--ext-authz-cache-size", "500", "--ext-authz-cache-ttl", "7", "--ext-authz-no-decision-log", "--ext-authz-decision-log-queue", "9"},
        {"--cache-size", "500", "--cache-ttl", "7", "--no-decision-log", "--decision-log-queue", "9"}}) {
      ExtAuthzConfig c = parse(args).applyTo(BASE);
      assertThat(c.cache().maxEntries()).isEqualTo(500);
      assertThat(c.cache().ttl()).isEqualTo(Duration.ofSeconds(7));
      assertThat(c.decisionLog()).isFalse();
      assertThat(c.decisionQueue()).isEqualTo(9);
      assertThat(c.redactedHeaders()).containsExactly("authorization");
    }
  }

  @Test
  void negativeValuesAreRejectedNamingTheOption() {
    assertThatThrownBy(() -> parse("--ext-authz-cache-size", "-1").applyTo(BASE)).hasMessageContaining("--cache-size");
    assertThatThrownBy(() -> parse("--ext-authz-decision-log-queue", "0").applyTo(BASE)).hasMessageContaining("--decision-log-queue");
  }

  @Test
  void trustDomainsAreSetByEitherSpelling() {
    assertThat(parse().applyTo(BASE).trustDomains()).isEqualTo(TrustDomains.DEFAULT);
    for (String[] args : new String[][] {
        {"--ext-authz-trust-domain", "prod.example", "--ext-authz-trust-domain-alias", "old.example,legacy.example"},
        {"--trust-domain", "prod.example", "--trust-domain-alias", "old.example", "--trust-domain-alias", "legacy.example"}}) {
      assertThat(parse(args).applyTo(BASE).trustDomains()).isEqualTo(TrustDomains.of("prod.example", List.of("old.example", "legacy.example")));
    }
  }

  @Test
  void badTrustDomainIsRejectedNamingTheOption() {
    assertThatThrownBy(() -> parse("--ext-authz-trust-domain", "").applyTo(BASE)).hasMessageContaining("--trust-domain");
  }

  @Test
  void upOffersThePrefixedNames() {
    String help = new CommandLine(new UpCommand()).getUsageMessage();
    assertThat(help).contains("--ext-authz-cache-size").contains("--ext-authz-no-decision-log")
        .contains("--ext-authz-trust-domain").contains("--ext-authz-trust-domain-alias");
  }
}
