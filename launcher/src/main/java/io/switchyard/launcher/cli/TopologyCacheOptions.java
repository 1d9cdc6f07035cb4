package io.switchyard.launcher.cli;

import io.switchyard.launcher.Main.UsageException;
import io.switchyard.topology.TopologyApiOptions;
import picocli.CommandLine.Option;

/** How much the topology API keeps between graph queries; shared by {@code topology-api} and {@code up}. */
public final class TopologyCacheOptions {
  @Option(names = "--piece-cache-mb", paramLabel = "MB",
      description = "Topology API: memory for decoded minutes and roll-ups kept between graph queries; 0 decodes every time (default: ${DEFAULT-VALUE}).")
  long pieceCacheMb = TopologyApiOptions.Caches.DEFAULT.pieceBytes() >> 20;

  @Option(names = "--cached-graphs", paramLabel = "N",
      description = "Topology API: finished graphs kept for ranges asked for again (dashboard refreshes); 0 = none (default: ${DEFAULT-VALUE}).")
  int cachedGraphs = TopologyApiOptions.Caches.DEFAULT.graphs();

  @Option(names = "--cached-graph-bodies", paramLabel = "N",
      description = "Topology API: JSON bodies kept of /api/v1/graph responses asked for again (refreshes); 0 = none (default: ${DEFAULT-VALUE}).")
  int cachedGraphBodies = TopologyApiOptions.Caches.DEFAULT.graphBodies();

  /** The sizes given; a negative or too large one is a usage error. */
  public TopologyApiOptions.Caches caches() {
    try {
      return new TopologyApiOptions.Caches(Math.multiplyExact(pieceCacheMb, 1L << 20), cachedGraphs, cachedGraphBodies);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new UsageException(e.getMessage());
    }
  }
}
