package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class XdsCommandTest {
  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void renderPrintsTheNodeGroupsResourcesFromTheShippedExample() {
    Run r = run("xds", "render", "--mesh", "../config/mesh.yaml", "--node-cluster", "edge");
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out).startsWith("node_group: edge")
        .contains("envoy.filters.http.ext_authz", "cluster_name: switchyard|ratelimit", "domain: edge");
  }

  @Test
  void renderOfABrokenMeshExitsWithTwoAndFileLine(@TempDir Path dir) throws Exception {
    Path mesh = dir.resolve("mesh.yaml");
    Files.writeString(mesh, "workloads:\n  - name: a\n    namespace: default\n    colour: blue\n");
    Run r = run("xds", "render", "--mesh", mesh.toString(), "--node-cluster", "a");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).startsWith("switchyard: " + mesh + ":4:").contains("unknown field 'colour'");
  }

  @Test
  void renderOfAnUnknownNodeGroupNamesTheKnownOnes() {
    Run r = run("xds", "render", "--mesh", "../config/mesh.yaml", "--node-cluster", "nope");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("known groups: [edge, reviews-sidecar, grpc-clients]");
  }

  @Test
  void serverWithoutMeshIsAUsageError() {
    Run r = run("xds", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("--mesh");
  }
}
