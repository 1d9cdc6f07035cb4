package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XdsCommandTest {
  @Test
  void renderPrintsTheNodeGroupsResourcesFromTheShippedExample() {
    CliRun r = run("xds", "render", "--mesh", "../config/mesh.yaml", "--node-cluster", "edge");
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out).startsWith("node_group: edge")
        .contains("envoy.filters.http.ext_authz", "cluster_name: switchyard|ratelimit", "domain: edge");
  }

  @Test
  void renderOfABrokenMeshExitsWithTwoAndFileLine(@TempDir Path dir) throws Exception {
    Path mesh = dir.resolve("mesh.yaml");
    Files.writeString(mesh, "workloads:\n  - name: a\n    namespace: default\n    colour: blue\n");
    CliRun r = run("xds", "render", "--mesh", mesh.toString(), "--node-cluster", "a");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).startsWith("switchyard: " + mesh + ":4:").contains("unknown field 'colour'");
  }

  @Test
  void renderOfAnUnknownNodeGroupNamesTheKnownOnes() {
    CliRun r = run("xds", "render", "--mesh", "../config/mesh.yaml", "--node-cluster", "nope");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("known groups: [edge, reviews-sidecar, grpc-clients]");
  }

  @Test
  void serverWithoutMeshIsAUsageError() {
    CliRun r = run("xds", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("--mesh");
  }
}
