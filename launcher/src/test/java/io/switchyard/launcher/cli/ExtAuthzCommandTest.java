package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtAuthzCommandTest {
  /** The example folder `switchyard up` loads by default, as shipped in the repository. */
  static final Path SHIPPED = Path.of("..", "config", "authz");

  @TempDir Path dir;

  private Path request(String method, String path, String namespace) throws Exception {
    Path f = dir.resolve("req-" + method + ".json");
    Files.writeString(f, """
        {"attributes": {
          "source": {"principal": "spiffe://cluster.local/ns/%s/sa/frontend"},
          "request": {"http": {"method": "%s", "host": "cart.shop", "path": "%s", "headers": {"user-agent": "curl/8.5"}}},
          "contextExtensions": {"namespace": "shop", "workload": "cart", "label.app": "cart"}
        }}
        """.formatted(namespace, method, path));
    return f;
  }

  @Test
  void helpSaysDecisionRecordsGoToTheJsonLogWithoutKafka() {
    // Without --kafka the server logs decisions as JSON; it does not write to a broker on 127.0.0.1:9092.
    CliRun r = run("ext-authz", "--help");
    String kafka = r.out.substring(r.out.indexOf("  --kafka="), r.out.indexOf("  --name-policy-in-denial"));
    assertThat(kafka).doesNotContain("127.0.0.1:9092").contains("JSON log");
  }

  @Test
  void checkAgainstTheShippedExamplesPrintsTheMatchedRule() throws Exception {
    CliRun ok = run("ext-authz", "check", "--policy-dir", SHIPPED.toString(), "--request", request("GET", "/cart/42/items", "web").toString());
    assertThat(ok.code).as(ok.err).isZero();
    assertThat(ok.out).contains("\"decision\" : \"allow\"").contains("\"matchedPolicy\" : \"shop/cart\"").contains("\"matchedRule\" : 0")
        .contains("shop/cart-new-rules");
    CliRun admin = run("ext-authz", "check", "--policy-dir", SHIPPED.toString(), "--request", request("GET", "/x/../admin", "web").toString());
    assertThat(admin.code).isEqualTo(1);
    assertThat(admin.out).contains("istio-system/deny-admin-paths");
    CliRun write = run("ext-authz", "check", "--policy-dir", SHIPPED.toString(), "--request", request("POST", "/cart/42", "web").toString());
    assertThat(write.code).isEqualTo(1);
    assertThat(write.out).contains("istio-system/audit-writes");
  }

  @Test
  void brokenPolicyIsOneLineWithFileAndLine() throws Exception {
    Files.writeString(dir.resolve("bad.yaml"), "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x}\nspec:\n  action: CUSTOM\n");
    CliRun r = run("ext-authz", "check", "--policy-dir", dir.resolve("bad.yaml").toString(), "--request", request("GET", "/", "web").toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("bad.yaml:5").contains("CUSTOM");
  }

  @Test
  void badRequestFileIsAUsageError() throws Exception {
    Files.writeString(dir.resolve("r.json"), "{ nope");
    CliRun r = run("ext-authz", "check", "--policy-dir", SHIPPED.toString(), "--request", dir.resolve("r.json").toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("r.json");
  }

  @Test
  void checkTakesTheServersTrustDomainFlags() throws Exception {
    Path policies = dir.resolve("td");
    Files.createDirectories(policies);
    Files.writeString(policies.resolve("p.yaml"), """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: only-frontend, namespace: shop}
        spec:
          rules:
          - from: [{source: {principals: ["cluster.local/ns/web/sa/frontend"]}}]
        """);
    Path req = dir.resolve("td.json");
    Files.writeString(req, """
        {"attributes": {
          "source": {"principal": "spiffe://old.example/ns/web/sa/frontend"},
          "request": {"http": {"method": "GET", "host": "cart.shop", "path": "/"}},
          "contextExtensions": {"namespace": "shop", "workload": "cart"}
        }}
        """);
    // By default the caller's trust domain is foreign, so the principal does not match.
    CliRun plain = run("ext-authz", "check", "--policy-dir", policies.toString(), "--request", req.toString());
    assertThat(plain.code).as(plain.err).isEqualTo(1);
    CliRun aliased = run("ext-authz", "check", "--policy-dir", policies.toString(), "--request", req.toString(),
        "--trust-domain", "prod.example", "--trust-domain-alias", "old.example,legacy.example");
    assertThat(aliased.code).as(aliased.err).isZero();
    assertThat(aliased.out).contains("\"matchedPolicy\" : \"shop/only-frontend\"");
    CliRun bad = run("ext-authz", "check", "--policy-dir", policies.toString(), "--request", req.toString(), "--trust-domain", "");
    assertThat(bad.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(bad.err).contains("--trust-domain");
  }
}
