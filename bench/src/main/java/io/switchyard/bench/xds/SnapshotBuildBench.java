package io.switchyard.bench.xds;

import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.switchyard.xds.envoy.ConsistencyCheck;
import io.switchyard.xds.envoy.EnvoyResources;
import io.switchyard.xds.envoy.ResourceGenerator;
import io.switchyard.xds.mesh.Mesh;
import io.switchyard.xds.mesh.MeshFileException;
import io.switchyard.xds.mesh.MeshFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a mesh-file reload costs before anything is pushed: parse + validate the YAML, generate one node group's
 * resources, run the consistency check and build the java-control-plane snapshot. The baseline in the same run
 * is parsing alone; the judged figures are {@code snapshot/parse} and the 1,000 / 100 services scaling.
 *
 * <p>Run: {@code mvn -q -pl bench -am package -DskipTests && java -cp "$(cat bench/target/classpath)" org.openjdk.jmh.Main SnapshotBuildBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SnapshotBuildBench {
  @Param({"100", "1000"})
  int services;

  String yaml;
  Mesh mesh;

  @Setup
  public void setUp() throws MeshFileException {
    yaml = BenchMeshes.mesh(services, 0);
    mesh = MeshFiles.parse(Path.of("bench.yaml"), yaml);
  }

  /** Baseline: YAML parse and validation only. */
  @Benchmark
  public Mesh parse() throws MeshFileException {
    return MeshFiles.parse(Path.of("bench.yaml"), yaml);
  }

  /** Generation + consistency check + snapshot, from an already parsed mesh. */
  @Benchmark
  public Snapshot generateCheckSnapshot() {
    return snapshot(mesh);
  }

  /** The whole reload path: parse, generate, check, snapshot. */
  @Benchmark
  public Snapshot reload() throws MeshFileException {
    return snapshot(MeshFiles.parse(Path.of("bench.yaml"), yaml));
  }

  private static Snapshot snapshot(Mesh mesh) {
    EnvoyResources r = new ResourceGenerator(mesh).generate("edge").orElseThrow();
    ConsistencyCheck.require(r);
    return Snapshot.create(r.clusters(), r.endpoints(), r.listeners(), r.routes(), List.of(), "1");
  }
}
