package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.v1.NodeRef.NodeKind;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;

/**
 * Bounds how many distinct node names reach the aggregation: IP addresses collapse into one
 * {@value NodeNames#GROUP_IP} node per namespace, pod names into their workload, and past
 * {@code maxNodes} distinct names (per parallel subtask, kept in operator state) any new name
 * collapses into {@value NodeNames#GROUP_OTHER}. Every collapse is counted. The job runs one limiter
 * per edge source (trace, mesh), each chained behind the operator that makes its edges, so the cap
 * applies per source; the two sources' edges are never summed anyway.
 */
public class CardinalityLimiter extends RichMapFunction<EdgeEvent, EdgeEvent> implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;
  private final int maxNodes;
  private transient Set<String> admitted;
  private transient ListState<String> admittedState;
  private transient Counter collapsed;
  /**
   * Per namespace, name -> decision: the address and pod patterns are regular expressions, too
   * costly to run for both nodes of every request.
   */
  private transient Map<String, Map<String, Decision>> decisions;
  private transient long cachedDecisions;

  public CardinalityLimiter(int maxNodes) {
    if (maxNodes < 1) {
      throw new IllegalArgumentException("max nodes must be >= 1: " + maxNodes);
    }
    this.maxNodes = maxNodes;
  }

  @Override
  public void open(OpenContext openContext) {
    collapsed = getRuntimeContext().getMetricGroup().counter("collapsed_nodes");
  }

  @Override
  public EdgeEvent map(EdgeEvent e) {
    String client = limit(e.clientNamespace, e.clientName, e.clientKind);
    if (!client.equals(e.clientName)) {
      e.clientName = client;
      e.clientWorkload = "";
      e.clientKind = NodeKind.NODE_KIND_GROUPED_VALUE;
    }
    String server = limit(e.serverNamespace, e.serverName, e.serverKind);
    if (!server.equals(e.serverName)) {
      e.serverName = server;
      e.serverWorkload = "";
      e.serverVersion = "";
      e.serverKind = NodeKind.NODE_KIND_GROUPED_VALUE;
    }
    return e;
  }

  /** The name to keep for a node, possibly a grouped one. */
  String limit(String namespace, String name, int kind) {
    if (kind == NodeKind.NODE_KIND_USER_VALUE || kind == NodeKind.NODE_KIND_UNKNOWN_VALUE) {
      return name;
    }
    Map<String, Decision> byName = decisions.computeIfAbsent(namespace, ns -> new HashMap<>());
    Decision d = byName.get(name);
    if (d == null) {
      if (cachedDecisions >= maxNodes * 4L + 1024) {
        decisions.clear(); // many distinct addresses or pods: start over rather than grow without bound
        cachedDecisions = 0;
        byName = decisions.computeIfAbsent(namespace, ns -> new HashMap<>());
      }
      d = decide(namespace, name);
      byName.put(name, d);
      cachedDecisions++;
    }
    if (d.collapsed()) {
      collapsed.inc();
    }
    return d.name();
  }

  /**
   * The decision for a name that has not been seen since the cache was last cleared. It never
   * changes later in this subtask: admitted names stay admitted, and a full set stays full.
   */
  private Decision decide(String namespace, String name) {
    String grouped = null;
    if (NodeNames.isAddress(name)) {
      grouped = NodeNames.GROUP_IP;
    } else {
      String workload = NodeNames.podWorkload(name);
      if (workload != null) {
        grouped = workload + "-*";
      }
    }
    String candidate = grouped != null ? grouped : name;
    String key = namespace + "/" + candidate;
    if (!admitted.contains(key)) {
      if (admitted.size() >= maxNodes) {
        return new Decision(NodeNames.GROUP_OTHER, true);
      }
      admitted.add(key);
    }
    return new Decision(candidate, grouped != null);
  }

  /** What a name becomes, and whether that counts as a collapse. */
  private record Decision(String name, boolean collapsed) {}

  /** Distinct names admitted by this subtask. */
  int admittedCount() {
    return admitted.size();
  }

  long collapsedCount() {
    return collapsed.getCount();
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    admittedState.update(new java.util.ArrayList<>(admitted));
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    admittedState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("admitted-nodes", Types.STRING));
    admitted = new HashSet<>();
    decisions = new HashMap<>();
    cachedDecisions = 0;
    for (String s : admittedState.get()) {
      if (admitted.size() < maxNodes) {
        admitted.add(s);
      }
    }
  }
}
