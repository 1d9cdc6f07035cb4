package io.switchyard.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.serverkit.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckToolTest {
  @TempDir Path dir;

  Path policies() throws Exception {
    Path p = dir.resolve("authz");
    Files.createDirectories(p);
    Files.writeString(p.resolve("p.yaml"), """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-get, namespace: shop}
        spec:
          rules:
          - to:
            - operation: {methods: [GET]}
        """);
    return p;
  }

  Path request(String method) throws Exception {
    Path f = dir.resolve(method + ".json");
    Files.writeString(f, """
        {"attributes": {
          "source": {"principal": "spiffe://cluster.local/ns/web/sa/frontend"},
          "request": {"http": {"method": "%s", "host": "cart", "path": "/items"}},
          "contextExtensions": {"namespace": "shop", "workload": "cart", "label.app": "cart"}
        }}
        """.formatted(method));
    return f;
  }

  @Test
  void printsTheDecisionAndTheRuleThatMadeIt() throws Exception {
    CheckTool.Result r = CheckTool.run(policies(), request("GET"), "istio-system");
    assertThat(r.allowed()).isTrue();
    assertThat(r.json()).contains("\"decision\" : \"allow\"").contains("\"matchedPolicy\" : \"shop/allow-get\"")
        .contains("\"matchedRule\" : 0").contains("p.yaml:1");
    CheckTool.Result denied = CheckTool.run(policies(), request("DELETE"), "istio-system");
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.json()).contains("\"decision\" : \"deny\"").contains("no ALLOW policy matched");
  }

  @Test
  void badInputsAreClearErrors() throws Exception {
    Path junk = dir.resolve("junk.json");
    Files.writeString(junk, "{\"attributes\": {\"nope\": 1}}");
    assertThatThrownBy(() -> CheckTool.run(policies(), junk, "istio-system")).isInstanceOf(CheckTool.BadRequestFile.class)
        .hasMessageContaining("junk.json");
    assertThatThrownBy(() -> CheckTool.run(policies(), dir.resolve("missing.json"), "istio-system"))
        .hasMessageContaining("file not found");
    Files.writeString(policies().resolve("bad.yaml"), "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: b}\nspec:\n  action: CUSTOM\n");
    assertThatThrownBy(() -> CheckTool.run(dir.resolve("authz"), request("GET"), "istio-system")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.yaml:5");
  }

  @Test
  void theReportIsTheSameTextOnEveryRunSoACiCanCompareItWithAnExpectedFile() throws Exception {
    // Labels and dry-run entries came out of Map.copyOf / Map.of, whose order changes from one JVM to the next.
    Path p = policies();
    Files.writeString(p.resolve("dry.yaml"), """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: dry, namespace: shop, annotations: {istio.io/dry-run: "true"}}
        spec:
          rules: [{}]
        """);
    java.util.List<String> names = java.util.List.of("version", "app", "zone", "tier", "team", "region", "owner", "env",
        "release", "track", "shard", "canary");
    StringBuilder labels = new StringBuilder();
    for (String n : names) {
      labels.append(", \"label.").append(n).append("\": \"").append(n).append("-1\"");
    }
    Path f = dir.resolve("labelled.json");
    Files.writeString(f, """
        {"attributes": {
          "request": {"http": {"method": "GET", "host": "cart", "path": "/items"}},
          "contextExtensions": {"namespace": "shop", "workload": "cart"%s}
        }}
        """.formatted(labels));

    String json = CheckTool.run(p, f, "istio-system").json().replace("\r\n", "\n");

    java.util.List<String> inOrder = names.stream().sorted().toList();
    StringBuilder sorted = new StringBuilder("\"labels\" : {\n");
    for (String n : inOrder) {
      sorted.append("      \"").append(n).append("\" : \"").append(n).append("-1\"").append(n.equals("zone") ? "\n" : ",\n");
    }
    assertThat(json).contains(sorted.toString());
    assertThat(json).contains("""
        "dryRun" : [ {
            "policy" : "shop/dry",
            "wouldBe" : "allow"
          } ]""");
  }
}
