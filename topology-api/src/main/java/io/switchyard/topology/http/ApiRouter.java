package io.switchyard.topology.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.topology.query.BadParameterException;
import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
import io.switchyard.topology.query.QueryWindow;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.query.TopologyQueries.FreshnessView;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.query.TopologyQueries.ServiceDetail;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;


/**
 * Every route of the topology API port. One handler so that authentication, CORS, method checks, freshness
 * headers and error mapping apply the same way to each route.
 */
public final class ApiRouter implements HttpHandler {
  private static final Set<String> GRAPH_PARAMS = Set.of("from", "to", "namespace", "service", "depth", "type");
  private static final Set<String> SERVICE_PARAMS = Set.of("from", "to", "step", "namespace");
  /** Every parameter Kiali's graph page sends; those without a counterpart here are accepted and ignored. */
  private static final Set<String> KIALI_PARAMS = Set.of("namespaces", "graphType", "duration", "queryTime", "appenders",
      "injectServiceNodes", "boxBy", "rateHttp", "rateGrpc", "rateTcp", "responseTime", "throughputType",
      "includeIdleEdges", "ambientTraffic", "waypoints");
  private static final String DEFAULT_FROM = "now-15m";

  private final TopologyQueries queries;
  private final AccessPolicy access;
  private final MetricsEndpoint metrics;
  private final byte[] openApi;
  private final WebUi page = new WebUi();
  private final GraphJson graphJson;
  /** JSON bodies of the newest graphs kept unless told otherwise. */
  public static final int DEFAULT_KEPT_GRAPH_BODIES = 4;

  /** Writes the Prometheus exposition of the materialised data. */
  public interface MetricsEndpoint {
    String contentType();

    byte[] scrape() throws IOException;

    /** The exposition in the format a scrape's {@code Accept} header (null: none) asks for; by default the one above. */
    default Exposition scrape(String accept) throws IOException {
      return new Exposition(contentType(), scrape());
    }

    /** One scrape's body and its content type. */
    record Exposition(String contentType, byte[] body) {}
  }

  public ApiRouter(TopologyQueries queries, AccessPolicy access, MetricsEndpoint metrics) {
    this(queries, access, metrics, DEFAULT_KEPT_GRAPH_BODIES);
  }

  /** @param keptGraphBodies JSON bodies of the newest graphs kept for repeated requests (0: none) */
  public ApiRouter(TopologyQueries queries, AccessPolicy access, MetricsEndpoint metrics, int keptGraphBodies) {
    this.graphJson = new GraphJson(keptGraphBodies);
    this.queries = queries;
    this.access = access;
    this.metrics = metrics;
    this.openApi = readOpenApi();
  }

  private static byte[] readOpenApi() {
    try (InputStream in = ApiRouter.class.getResourceAsStream("/io/switchyard/topology/openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    String method = ex.getRequestMethod();
    String origin = access.allowedOrigin(ex.getRequestHeaders().getFirst("Origin"));
    if (origin != null) {
      ex.getResponseHeaders().set("Access-Control-Allow-Origin", origin);
      ex.getResponseHeaders().add("Vary", "Origin");
    }
    boolean get = "GET".equals(method) || "HEAD".equals(method);
    if (!get && !isRoute(path)) {
      // An unknown path wins over the method, as under GET: 401 first where a token is needed (but for the page's
      // paths, served without one, and a CORS preflight, which never carries one), then 404. No handler runs.
      if (!"OPTIONS".equals(method) && !page.owns(path) && !access.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        HttpResponses.error(ex, 401, "missing or invalid bearer token");
        return;
      }
      notFound(ex, path);
      return;
    }
    if ("OPTIONS".equals(method)) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD, OPTIONS");
      if (origin != null) {
        ex.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        ex.getResponseHeaders().set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        ex.getResponseHeaders().set("Access-Control-Max-Age", "600");
      }
      ex.sendResponseHeaders(204, -1);
      ex.close();
      return;
    }
    if (!get) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD, OPTIONS");
      HttpResponses.error(ex, 405, "method " + method + " not allowed; use GET");
      return;
    }
    if (page.serve(ex, path)) {
      return;
    }
    FreshnessView fresh = queries.freshness();
    // Before the first window there is neither: the headers are left out rather than say "null".
    if (fresh.newestCompleteWindow() != null) {
      ex.getResponseHeaders().set("X-Switchyard-Newest-Window", fresh.newestCompleteWindow());
    }
    if (fresh.pipelineLagSeconds() != null) {
      ex.getResponseHeaders().set("X-Switchyard-Pipeline-Lag-Seconds", String.valueOf(fresh.pipelineLagSeconds()));
    }
    if (path.equals("/api/health")) {
      HttpResponses.json(ex, 200, Map.of("status", "ok", "freshness", fresh));
      return;
    }
    if (!access.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      HttpResponses.error(ex, 401, "missing or invalid bearer token");
      return;
    }
    try {
      route(ex, path, fresh);
    } catch (BadParameterException e) {
      HttpResponses.json(ex, 400, Map.of("error", e.getMessage(), "parameter", e.parameter()));
    }
  }

  private void route(HttpExchange ex, String path, FreshnessView fresh) throws IOException {
    switch (path) {
      case "/api/v1/graph" -> graphJson.send(ex, fresh, queries.graph(graphRequest(Params.of(ex.getRequestURI(), GRAPH_PARAMS))));
      case "/api/v1/services" -> HttpResponses.json(ex, 200, services(ex, fresh));
      case "/api/v1/slos" -> {
        Params.of(ex.getRequestURI(), Set.of());
        List<Map<String, Object>> slos = new ArrayList<>();
        queries.sloStatuses().forEach(s -> slos.add(slo(s)));
        HttpResponses.json(ex, 200, envelope(fresh, null, Map.of("slos", slos)));
      }
      case "/api/v1/openapi.json" -> HttpResponses.send(ex, 200, "application/json", openApi);
      case "/api/namespaces/graph" -> HttpResponses.json(ex, 200, kiali(ex, fresh));
      case "/api/graph/fields" -> HttpResponses.json(ex, 200, ExternalViews.nodeGraphFields());
      case "/api/graph/data" -> {
        Graph g = queries.graph(graphRequest(Params.of(ex.getRequestURI(), GRAPH_PARAMS)));
        Map<String, Object> body = ExternalViews.nodeGraphData(g);
        body.put("freshness", fresh);
        HttpResponses.json(ex, 200, body);
      }
      case "/metrics" -> {
        MetricsEndpoint.Exposition e = metrics.scrape(ex.getRequestHeaders().getFirst("Accept"));
        ex.getResponseHeaders().add("Vary", "Accept");
        HttpResponses.send(ex, 200, e.contentType(), e.body());
      }
      default -> {
        if (path.startsWith("/api/v1/services/")) {
          serviceDetail(ex, decodeSegment(path.substring("/api/v1/services/".length())), fresh);
        } else if (path.startsWith("/api/v1/slos/")) {
          sloDetail(ex, decodeSegment(path.substring("/api/v1/slos/".length())), fresh);
        } else {
          notFound(ex, path);
        }
      }
    }
  }

  /** Paths answered by {@link #route} besides the two collections' items; keep the two in step. */
  private static final Set<String> ROUTES = Set.of("/api/health", "/api/v1/graph", "/api/v1/services", "/api/v1/slos",
      "/api/v1/openapi.json", "/api/namespaces/graph", "/api/graph/fields", "/api/graph/data", "/metrics");

  /** Whether some method is served at {@code path}: decides 405 (known) against 404 (unknown) for other methods. */
  private boolean isRoute(String path) {
    return ROUTES.contains(path) || page.has(path) || isItem(path, "/api/v1/services/") || isItem(path, "/api/v1/slos/");
  }

  private static boolean isItem(String path, String collection) {
    return path.length() > collection.length() && path.startsWith(collection) && path.indexOf('/', collection.length()) < 0;
  }

  private static void notFound(HttpExchange ex, String path) throws IOException {
    HttpResponses.error(ex, 404, "no such endpoint: " + path + " (see /api/v1/openapi.json)");
  }

  private static String decodeSegment(String raw) {
    if (raw.isEmpty() || raw.contains("/")) {
      throw new BadParameterException("name", "expected exactly one path segment after the collection");
    }
    return Params.decode(raw, false, "name");
  }

  private GraphRequest graphRequest(Params p) {
    long now = queries.nowMs();
    return new GraphRequest(p.instant("from", DEFAULT_FROM, now), p.instant("to", "now", now), namespaces(p, "namespace"),
        p.get("service"), p.intParam("depth", 1, 100), GraphType.parse("type", p.get("type")));
  }

  /** Summaries; with {@code step}, each service's summary and RED series, as {@code /api/v1/services/{name}} gives one. */
  private Map<String, Object> services(HttpExchange ex, FreshnessView fresh) {
    Params p = Params.of(ex.getRequestURI(), SERVICE_PARAMS);
    long now = queries.nowMs();
    QueryWindow w = queries.window(p.instant("from", DEFAULT_FROM, now), p.instant("to", "now", now));
    Long step = p.durationMillis("step");
    String namespace = namespaces(p, "namespace");
    if (step == null) {
      return envelope(fresh, w, Map.of("services", queries.services(w, namespace)));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("stepSeconds", step / 1000.0);
    body.put("services", queries.servicesWithSeries(w, namespace, step));
    return envelope(fresh, w, body);
  }

  private void serviceDetail(HttpExchange ex, String name, FreshnessView fresh) throws IOException {
    Params p = Params.of(ex.getRequestURI(), SERVICE_PARAMS);
    long now = queries.nowMs();
    QueryWindow w = queries.window(p.instant("from", "now-1h", now), p.instant("to", "now", now));
    String namespace = namespaces(p, "namespace");
    ServiceDetail d = queries.service(name, namespace, w, p.durationMillis("step"));
    if (d == null) {
      HttpResponses.error(ex, 404, "service '" + name + "'" + (namespace == null ? "" : " in namespace '" + namespace + "'")
          + " has no traffic between " + w.view().from() + " and " + w.view().to());
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("service", d.summary());
    body.put("stepSeconds", d.stepSeconds());
    body.put("series", d.series());
    TopologyQueries.Inbound in = queries.inbound(name, namespace, w);
    putPresent(body, "responseCodes", in.responseCodes());
    putPresent(body, "bytesSent", in.bytesSent());
    putPresent(body, "bytesReceived", in.bytesReceived());
    HttpResponses.json(ex, 200, envelope(fresh, w, body));
  }

  private static void putPresent(Map<String, Object> body, String key, Object value) {
    if (value != null) {
      body.put(key, value);
    }
  }

  private void sloDetail(HttpExchange ex, String name, FreshnessView fresh) throws IOException {
    Params.of(ex.getRequestURI(), Set.of());
    var status = queries.sloStatus(name);
    if (status.isEmpty()) {
      HttpResponses.error(ex, 404, "no SLO named '" + name + "'");
      return;
    }
    Map<String, Object> body = slo(status.get());
    List<Map<String, Object>> history = new ArrayList<>();
    for (SloAlertRecord a : queries.sloAlerts(name)) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("time", Instant.ofEpochMilli(a.getTransitionUnixMs()).toString());
      h.put("alert", alert(a.getAlert()));
      h.put("longBurnRate", a.getLongBurnRate());
      h.put("shortBurnRate", a.getShortBurnRate());
      history.add(h);
    }
    body.put("alertHistory", history);
    HttpResponses.json(ex, 200, envelope(fresh, null, body));
  }

  private static Map<String, Object> slo(SloStatusRecord s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.getName());
    m.put("service", s.getService());
    m.put("sliKind", s.getSliKind());
    m.put("objective", s.getObjective());
    m.put("timeWindow", s.getTimeWindow());
    if (s.getPeriodEndUnixMs() != 0) { // a calendar window: the period the figures below are from, so far
      m.put("periodStart", Instant.ofEpochMilli(s.getPeriodStartUnixMs()).toString());
      m.put("periodEnd", Instant.ofEpochMilli(s.getPeriodEndUnixMs()).toString());
    }
    m.put("evaluatedAt", Instant.ofEpochMilli(s.getEvaluatedAtUnixMs()).toString());
    m.put("goodEvents", s.getGoodEvents());
    m.put("totalEvents", s.getTotalEvents());
    // Under (Ratio)Timeslices the SLI counts slices, not the events beside it: say so, with the slice counts.
    boolean slices = "Timeslices".equals(s.getBudgetingMethod()) || "RatioTimeslices".equals(s.getBudgetingMethod());
    m.put("budgetingMethod", slices ? s.getBudgetingMethod() : "Occurrences");
    if (slices) {
      m.put("goodSlices", s.getGoodSlices());
      m.put("totalSlices", s.getTotalSlices());
      m.put("timeSliceWindow", s.getTimeSliceWindow());
    }
    m.put("sli", s.getSli());
    m.put("errorBudgetRemaining", s.getErrorBudgetRemaining());
    Map<String, Double> burn = new LinkedHashMap<>();
    s.getBurnRatesList().forEach(b -> burn.put(b.getWindow(), b.getRate()));
    m.put("burnRates", burn);
    m.put("alerts", s.getAlertsList().stream().map(ApiRouter::alert).toList());
    return m;
  }

  private static Map<String, Object> alert(AlertState a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", a.getName());
    m.put("severity", a.getSeverity());
    m.put("firing", a.getFiring());
    m.put("longWindow", a.getLongWindow());
    m.put("shortWindow", a.getShortWindow());
    m.put("threshold", a.getThreshold());
    m.put("since", a.getSinceUnixMs() == 0 ? null : Instant.ofEpochMilli(a.getSinceUnixMs()).toString());
    if (!a.getOp().isEmpty()) { // an OpenSLO AlertPolicy's alert: one window, compared by op, after alertAfter
      m.put("op", a.getOp());
      m.put("alertAfter", a.getAlertAfter());
      m.put("pendingSince", a.getPendingSinceUnixMs() == 0 ? null : Instant.ofEpochMilli(a.getPendingSinceUnixMs()).toString());
      m.put("alertWhenNoData", a.getAlertWhenNoData());
      m.put("noDataOnly", a.getNoDataOnly());
      m.put("alertWhenResolved", a.getAlertWhenResolved());
      m.put("notificationTargets", a.getNotificationTargetsList());
    }
    return m;
  }

  private Map<String, Object> kiali(HttpExchange ex, FreshnessView fresh) {
    Params p = Params.of(ex.getRequestURI(), KIALI_PARAMS);
    long now = queries.nowMs();
    long queryTime = p.get("queryTime") == null ? now : parseKialiTime(p.get("queryTime"));
    Long duration = p.durationMillis("duration");
    long span = duration == null ? 600_000 : duration;
    if (span <= 0) {
      throw new BadParameterException("duration", "must be positive");
    }
    String namespaces = namespaces(p, "namespaces");
    List<String> names = namespaces == null ? List.of() : List.of(namespaces.split(","));
    String type = p.get("graphType") == null ? "workload" : p.get("graphType");
    Graph g = queries.graph(new GraphRequest(queryTime - span, queryTime, namespaces, null, null, GraphType.parse("graphType", type)));
    // Kiali echoes the queryTime and duration asked for; the rates divide by the complete windows inside that
    // range (shorter when the newest windows are still open), which "window" shows.
    Map<String, Object> body = ExternalViews.kiali(g, Math.floorDiv(queryTime, 1000), span / 1000,
        kialiResponsePercentile(p.get("responseTime")), Set.copyOf(names));
    body.put("window", g.window().view());
    body.put("freshness", fresh);
    return body;
  }

  /**
   * A comma-separated namespace list ({@code shop,pay}), names trimmed; null when the parameter is absent or blank. An
   * empty name is refused: {@code ","} or {@code "shop,,pay"} is a broken template or a typo, and reading it as every
   * namespace (or as fewer) would answer a filter that was never asked for.
   */
  private static String namespaces(Params p, String parameter) {
    String v = p.get(parameter);
    if (v == null) {
      return null;
    }
    List<String> names = new ArrayList<>();
    for (String n : v.split(",", -1)) {
      if (n.isBlank()) {
        throw new BadParameterException(parameter, "expected namespace names separated by commas, got '" + v + "'");
      }
      names.add(n.trim());
    }
    return String.join(",", names);
  }

  /** Kiali's responseTime: a percentile (95 by default, as in Kiali), or null for {@code avg}. */
  private static Integer kialiResponsePercentile(String v) {
    if (v == null) {
      return 95;
    }
    return switch (v) {
      case "50", "95", "99" -> Integer.valueOf(v);
      case "avg" -> null;
      default -> throw new BadParameterException("responseTime", "expected avg, 50, 95 or 99, got '" + v + "'");
    };
  }

  /** Latest queryTime taken: the end of year 9999, so that the milliseconds and the range start cannot overflow. */
  static final long MAX_KIALI_QUERY_TIME_SECONDS = 253_402_300_799L;

  /** Kiali sends queryTime in unix seconds. */
  static long parseKialiTime(String v) {
    String t = v.trim();
    if (!t.matches("[-+]?\\d+")) {
      throw new BadParameterException("queryTime", "expected unix seconds, got '" + v + "'");
    }
    // Digits beyond a long are out of range as surely as a large long is.
    long seconds = t.length() > 18 ? -1 : Long.parseLong(t);
    if (seconds < 0 || seconds > MAX_KIALI_QUERY_TIME_SECONDS) {
      throw new BadParameterException("queryTime", "expected unix seconds between 0 and " + MAX_KIALI_QUERY_TIME_SECONDS
          + " (not milliseconds), got '" + v + "'");
    }
    return seconds * 1000;
  }

  private static Map<String, Object> envelope(FreshnessView fresh, QueryWindow window, Map<String, Object> body) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("freshness", fresh);
    if (window != null) {
      m.put("window", window.view());
    }
    m.putAll(body);
    return m;
  }

}
