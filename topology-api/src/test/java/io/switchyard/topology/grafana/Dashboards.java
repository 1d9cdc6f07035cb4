package io.switchyard.topology.grafana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.serverkit.config.YamlConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reads the repository's grafana/ folder: dashboards, their panels and queries, provisioned data sources. */
final class Dashboards {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\)");

  private static final Pattern TOKEN = Pattern.compile(
      "\"(?:[^\"\\\\]|\\\\.)*\"|\\[[^\\]]*\\]|\\{[^}]*\\}"
          + "|\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|[a-zA-Z_:][a-zA-Z0-9_:]*|\\S");
  private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN");
  private static final Set<String> LABEL_LISTS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

  private Dashboards() {}

  /** grafana/ at the repository root; tests run with the module folder as working directory. */
  static Path root() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("grafana/dashboards"))) {
        return p.resolve("grafana");
      }
    }
    throw new IllegalStateException("no grafana/dashboards above " + here);
  }

  static Map<String, JsonNode> all() throws IOException {
    Map<String, JsonNode> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(root().resolve("dashboards"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".json")).toList()) {
        out.put(f.getFileName().toString(), JSON.readTree(f.toFile()));
      }
    }
    return out;
  }

  /** Every panel, rows' nested panels included. */
  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      out.add(p);
      p.path("panels").forEach(out::add);
    }
    return out;
  }

  /** Provisioned data sources: uid -> type. */
  static Map<String, String> datasources() throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(root().resolve("provisioning/datasources"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        JsonNode doc = YamlConfig.mapper().readTree(f.toFile());
        for (JsonNode ds : doc.path("datasources")) {
          out.put(ds.path("uid").asText(), ds.path("type").asText());
        }
      }
    }
    return out;
  }

  /** A panel query, with Grafana's variables replaced by values that exist in the test data, and its legend. */
  record PromQuery(String dashboard, String panel, String expr, String legendFormat) {}

  static List<PromQuery> promQueries(Map<String, String> variables) throws IOException {
    List<PromQuery> out = new ArrayList<>();
    for (Map.Entry<String, JsonNode> d : all().entrySet()) {
      for (JsonNode p : panels(d.getValue())) {
        for (JsonNode t : p.path("targets")) {
          if (t.has("expr")) {
            out.add(new PromQuery(d.getKey(), p.path("title").asText(), substitute(t.get("expr").asText(), variables),
                t.path("legendFormat").asText()));
          }
        }
      }
      for (JsonNode v : d.getValue().path("templating").path("list")) {
        Matcher m = LABEL_VALUES.matcher(v.path("definition").asText());
        if (m.matches()) {
          // label_values(metric, label) is Grafana's; the series it reads must exist and carry the label.
          out.add(new PromQuery(d.getKey(), "variable " + v.path("name").asText(), "count by (" + m.group(2) + ") (" + m.group(1) + ")",
              ""));
        }
      }
    }
    return out;
  }

  static String substitute(String expr, Map<String, String> variables) {
    String out = expr;
    for (Map.Entry<String, String> v : variables.entrySet()) {
      out = out.replace("${" + v.getKey() + "}", v.getValue()).replace("$" + v.getKey(), v.getValue());
    }
    return out;
  }

  /** What one PromQL query refers to: the metric names, and the label names it selects, groups, joins and prints by. */
  record Refs(Set<String> metrics, Set<String> labels) {}

  /** The metrics and labels of {@code expr} and of the {@code {{label}}} references of its legend. */
  static Refs refs(String expr, String legendFormat) {
    Set<String> metrics = new LinkedHashSet<>();
    Set<String> labels = new LinkedHashSet<>();
    List<String> tokens = new ArrayList<>();
    Matcher m = TOKEN.matcher(expr);
    while (m.find()) {
      tokens.add(m.group());
    }
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (t.startsWith("{")) {
        Matcher l = MATCHER.matcher(t.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\""));
        while (l.find()) {
          labels.add(l.group(1));
        }
      } else if (LABEL_LISTS.contains(t) && i + 1 < tokens.size() && tokens.get(i + 1).equals("(")) {
        for (i += 2; i < tokens.size() && !tokens.get(i).equals(")"); i++) {
          if (!tokens.get(i).equals(",")) {
            labels.add(tokens.get(i));
          }
        }
      } else if (Character.isLetter(t.charAt(0)) || t.charAt(0) == '_' || t.charAt(0) == ':') {
        // A function, or an aggregation written with its grouping first: "max by (slo) (...)".
        String next = i + 1 < tokens.size() ? tokens.get(i + 1) : "";
        boolean call = next.equals("(") || next.equals("by") || next.equals("without");
        if (!call && !KEYWORDS.contains(t)) {
          metrics.add(t);
        }
      }
    }
    Matcher legend = Pattern.compile("\\{\\{\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\}\\}").matcher(legendFormat);
    while (legend.find()) {
      labels.add(legend.group(1));
    }
    return new Refs(metrics, labels);
  }
}
