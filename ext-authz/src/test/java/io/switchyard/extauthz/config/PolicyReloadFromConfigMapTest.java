package io.switchyard.extauthz.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.config.ConfigReloader;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.KubeletVolume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --policy-dir on a mounted ConfigMap, updated the way the kubelet updates it (a swap of the ..data link). */
class PolicyReloadFromConfigMapTest {
  @TempDir Path dir;
  private final Metrics metrics = new Metrics(new PrometheusRegistry());

  private static String policy(String name) {
    return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: " + name + ", namespace: shop}\nspec: {}\n";
  }

  private ConfigReloader<PolicySet> reloader(Path policyDir) {
    return ConfigReloader.builder("ext-authz", policyDir, new PolicyLoader("istio-system")).metrics(metrics)
        .pollInterval(Duration.ZERO).build();
  }

  @Test
  void aConfigMapUpdateIsReloadedWithEachPolicyOnce() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("authz"), Map.of("a.yaml", policy("a")));
    try (ConfigReloader<PolicySet> r = reloader(v.dir())) {
      assertThat(r.start().authorizationPolicies()).extracting(p -> p.id()).containsExactly("shop/a");

      v.update(Map.of("a.yaml", policy("a"), "b.yaml", policy("b")));
      assertThat(r.reloadNow()).isTrue();
      assertThat(r.current().authorizationPolicies()).extracting(p -> p.id()).containsExactlyInAnyOrder("shop/a", "shop/b");
      assertThat(failures()).isZero();
    }
  }

  @Test
  void aBrokenConfigMapUpdateIsRefusedAndTheLastGoodPoliciesStay() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("authz"), Map.of("a.yaml", policy("a")));
    try (ConfigReloader<PolicySet> r = reloader(v.dir())) {
      r.start();
      v.update(Map.of("a.yaml", policy("a").replace("spec: {}", "spec: {action: CUSTOM}")));
      assertThat(r.reloadNow()).isFalse();
      assertThat(r.current().authorizationPolicies()).extracting(p -> p.id()).containsExactly("shop/a");
      assertThat(r.version()).isEqualTo(1);
      assertThat(failures()).isEqualTo(1);
    }
  }

  @Test
  void policiesUnderAConfigMapItemsSubfolderAreRead() throws Exception {
    // items: [{key: a, path: team-a/a.yaml}] mounts team-a as a link to ..data/team-a: a folder reached by a link.
    KubeletVolume v = KubeletVolume.mount(dir.resolve("authz"), Map.of("team-a/a.yaml", policy("a"), "b.yaml", policy("b")));
    try (ConfigReloader<PolicySet> r = reloader(v.dir())) {
      assertThat(r.start().authorizationPolicies()).extracting(p -> p.id()).containsExactlyInAnyOrder("shop/a", "shop/b");

      v.update(Map.of("team-a/a.yaml", policy("a2"), "b.yaml", policy("b")));
      assertThat(r.reloadNow()).isTrue();
      assertThat(r.current().authorizationPolicies()).extracting(p -> p.id()).containsExactlyInAnyOrder("shop/a2", "shop/b");
    }
  }

  @Test
  void aPolicyDirThatIsALinkToAFolderIsRead() throws Exception {
    Path real = Files.createDirectory(dir.resolve("real"));
    Files.writeString(real.resolve("a.yaml"), policy("a"));
    Path link = Files.createSymbolicLink(dir.resolve("authz"), real);

    assertThat(new PolicyLoader("istio-system").load(link).authorizationPolicies()).extracting(p -> p.id())
        .containsExactly("shop/a");
  }

  private double failures() {
    return metrics.counter("switchyard_config_reload_total", "", "component", "result").labelValues("ext-authz", "failure").get();
  }
}
