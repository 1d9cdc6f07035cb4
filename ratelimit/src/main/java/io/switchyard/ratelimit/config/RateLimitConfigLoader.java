package io.switchyard.ratelimit.config;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Loads a folder of envoyproxy/ratelimit YAML files (one domain each) and compiles it. Every rule the
 * reference rejects at load time is rejected here with file:line and a reason; the extension keys
 * ({@code algorithm}, {@code rate_limits}) are validated as strictly.
 */
public final class RateLimitConfigLoader {
  private static final Set<String> ROOT_KEYS = Set.of("domain", "descriptors");
  private static final Set<String> DESCRIPTOR_KEYS = Set.of("key", "value", "rate_limit", "rate_limits",
      "descriptors", "shadow_mode", "quota_mode", "detailed_metric", "value_to_metric", "share_threshold",
      "metadata");
  private static final Set<String> LIMIT_KEYS =
      Set.of("unit", "requests_per_unit", "unlimited", "name", "replaces", "algorithm");
  private static final Set<String> REPLACES_KEYS = Set.of("name");

  private static final BigInteger MAX_RPU = BigInteger.valueOf(Limit.MAX_REQUESTS_PER_UNIT);

  private final boolean mergeDomains;

  /** @param mergeDomains like the reference's MERGE_DOMAIN_CONFIG: files naming one domain are merged. */
  public RateLimitConfigLoader(boolean mergeDomains) {
    this.mergeDomains = mergeDomains;
  }

  public RateLimitConfigLoader() {
    this(false);
  }

  /** Loads every {@code *.yaml}/{@code *.yml} directly in {@code dir} (hidden names skipped), by name. */
  public RateLimitConfig loadDirectory(Path dir) throws ConfigException {
    if (!Files.isDirectory(dir)) {
      throw new ConfigException(dir, 0, 0, "not a directory");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(RateLimitConfigLoader::isConfigFile).sorted().toList();
    } catch (IOException e) {
      throw new ConfigException(dir, 0, 0, "cannot list directory: " + ConfigFiles.why(e));
    }
    List<Source> sources = new ArrayList<>();
    for (Path f : files) {
      sources.add(new Source(f, YamlReader.read(f)));
    }
    return build(sources);
  }

  /** Loads YAML texts given directly (tests, the validate command on single files). */
  public RateLimitConfig loadTexts(Map<String, String> fileNameToYaml) throws ConfigException {
    List<Source> sources = new ArrayList<>();
    for (Map.Entry<String, String> e : fileNameToYaml.entrySet()) {
      Path p = Path.of(e.getKey());
      sources.add(new Source(p, YamlReader.read(p, e.getValue())));
    }
    return build(sources);
  }

  static boolean isConfigFile(Path p) {
    String name = p.getFileName().toString();
    return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"))
        && Files.isRegularFile(p);
  }

  private record Source(Path file, YamlNode root) {}

  private RateLimitConfig build(List<Source> sources) throws ConfigException {
    Map<String, List<Source>> byDomain = new LinkedHashMap<>();
    Map<String, List<YamlNode.ListNode>> descriptorsByDomain = new LinkedHashMap<>();
    for (Source s : sources) {
      if (s.root == null) {
        throw new ConfigException(s.file, 0, 0, "config file cannot have empty domain");
      }
      YamlNode.MapNode root = asMap(s.file, s.root, "config file");
      checkLeaves(s.file, root);
      checkKeys(s.file, root, ROOT_KEYS, "the top level");
      String domain = string(s.file, root, "domain");
      if (domain == null || domain.isEmpty()) {
        throw new ConfigException(s.file, root.line(), root.column(), "config file cannot have empty domain");
      }
      if (byDomain.containsKey(domain) && !mergeDomains) {
        YamlNode at = root.entries().get("domain");
        throw new ConfigException(s.file, at.line(), at.column(), "duplicate domain '" + domain
            + "' in config file (also in " + byDomain.get(domain).get(0).file.getFileName() + ")");
      }
      byDomain.computeIfAbsent(domain, d -> new ArrayList<>()).add(s);
      YamlNode list = root.entries().get("descriptors");
      List<YamlNode.ListNode> lists = descriptorsByDomain.computeIfAbsent(domain, d -> new ArrayList<>());
      if (list != null && !isNull(list)) {
        lists.add(asList(s.file, list, "descriptors"));
      } else {
        lists.add(new YamlNode.ListNode(List.of(), root.line(), root.column()));
      }
    }
    Map<String, DomainConfig> domains = new LinkedHashMap<>();
    for (Map.Entry<String, List<Source>> e : byDomain.entrySet()) {
      String domain = e.getKey();
      List<Source> files = e.getValue();
      LevelBuilder top = new LevelBuilder();
      List<YamlNode.ListNode> lists = descriptorsByDomain.get(domain);
      for (int i = 0; i < files.size(); i++) {
        parseLevel(files.get(i).file, lists.get(i), domain, domain, top);
      }
      domains.put(domain, new DomainConfig(domain, top.build(), files.get(0).file));
    }
    return new RateLimitConfig(domains);
  }

  private static final class LevelBuilder {
    final Map<String, DescriptorNode> byComposite = new LinkedHashMap<>();
    final List<DescriptorNode> wildcards = new ArrayList<>();
    final List<DescriptorNode> declared = new ArrayList<>();

    DescriptorLevel build() {
      return declared.isEmpty() ? DescriptorLevel.EMPTY : new DescriptorLevel(byComposite, wildcards, declared);
    }
  }

  private void parseLevel(Path file, YamlNode.ListNode list, String domain, String parentStatsKey,
      LevelBuilder level) throws ConfigException {
    for (YamlNode item : list.items()) {
      YamlNode.MapNode d = asMap(file, item, "descriptor");
      checkKeys(file, d, DESCRIPTOR_KEYS, "a descriptor");
      String key = string(file, d, "key");
      if (key == null || key.isEmpty()) {
        throw new ConfigException(file, d.line(), d.column(), "descriptor has empty key");
      }
      String value = string(file, d, "value");
      if (value != null && value.isEmpty()) {
        value = null;
      }
      String composite = value == null ? key : key + "_" + value;
      if (level.byComposite.containsKey(composite)) {
        throw new ConfigException(file, d.line(), d.column(),
            "duplicate descriptor composite key '" + parentStatsKey + "." + composite + "'");
      }
      boolean shareThreshold = bool(file, d, "share_threshold");
      if (shareThreshold && composite.indexOf('*') < 0) {
        throw new ConfigException(file, d.line(), d.column(), "share_threshold can only be used with wildcard"
            + " values (containing '*'), but found key '" + composite + "'");
      }
      List<Limit> limits = parseLimits(file, d);
      LevelBuilder children = new LevelBuilder();
      YamlNode childList = d.entries().get("descriptors");
      String statsKey = parentStatsKey + "." + composite;
      if (childList != null && !isNull(childList)) {
        parseLevel(file, asList(file, childList, "descriptors"), domain, statsKey, children);
      }
      DescriptorNode node = new DescriptorNode(key, value, limits, bool(file, d, "shadow_mode"),
          bool(file, d, "quota_mode"), bool(file, d, "detailed_metric"), bool(file, d, "value_to_metric"),
          shareThreshold, metadata(file, d), children.build(), parentStatsKey, d.line());
      level.byComposite.put(composite, node);
      level.declared.add(node);
      if (node.kind() == DescriptorNode.Kind.WILDCARD) {
        level.wildcards.add(node);
      }
    }
  }

  private List<Limit> parseLimits(Path file, YamlNode.MapNode d) throws ConfigException {
    YamlNode single = d.entries().get("rate_limit");
    YamlNode several = d.entries().get("rate_limits");
    if (single != null && several != null && !isNull(single) && !isNull(several)) {
      throw new ConfigException(file, several.line(), several.column(),
          "use either rate_limit or rate_limits on one descriptor, not both");
    }
    List<Limit> limits = new ArrayList<>();
    if (single != null && !isNull(single)) {
      limits.add(parseLimit(file, asMap(file, single, "rate_limit"), 0));
    } else if (several != null && !isNull(several)) {
      YamlNode.ListNode list = asList(file, several, "rate_limits");
      if (list.items().isEmpty()) {
        throw new ConfigException(file, list.line(), list.column(), "rate_limits must not be empty");
      }
      for (YamlNode item : list.items()) {
        Limit l = parseLimit(file, asMap(file, item, "rate_limits entry"), limits.size());
        if (l.unlimited() && list.items().size() > 1) {
          throw new ConfigException(file, item.line(), item.column(),
              "an unlimited entry cannot be combined with other limits in rate_limits");
        }
        limits.add(l);
      }
    }
    return limits;
  }

  private Limit parseLimit(Path file, YamlNode.MapNode m, int index) throws ConfigException {
    checkKeys(file, m, LIMIT_KEYS, "rate_limit");
    boolean unlimited = bool(file, m, "unlimited");
    String unitText = string(file, m, "unit");
    RateLimitUnit unit = RateLimitUnit.parse(unitText);
    YamlNode unitNode = m.entries().get("unit");
    int uLine = unitNode == null ? m.line() : unitNode.line();
    int uCol = unitNode == null ? m.column() : unitNode.column();
    if (unlimited) {
      if (unit != null) {
        throw new ConfigException(file, uLine, uCol, "should not specify rate limit unit when unlimited");
      }
    } else if (unit == null) {
      throw new ConfigException(file, uLine, uCol,
          "invalid rate limit unit '" + (unitText == null ? "" : unitText) + "'");
    }
    long rpu = 0;
    YamlNode rpuNode = m.entries().get("requests_per_unit");
    if (rpuNode != null && !isNull(rpuNode)) {
      // yaml.v2 decodes into the reference's uint32 any integer form it reads (0x10, 0o17, 017, 1_000, +5) that
      // fits, and refuses the others ("cannot unmarshal !!int `-1` into uint32"); floats never get here.
      YamlNode.Scalar s = rpuNode instanceof YamlNode.Scalar sc ? sc : null;
      Number n = s != null && s.type().equals("int") ? YamlV2Scalars.number(s.text()) : null;
      if (!(n instanceof BigInteger v) || v.signum() < 0 || v.compareTo(MAX_RPU) > 0) {
        String found = n != null ? (s.text().equals(n.toString()) ? "found " : "`" + s.text() + "` is ") + n
            : s != null ? "found a " + s.kind() + " `" + s.text() + "`" : "found a " + rpuNode.kind();
        throw new ConfigException(file, rpuNode.line(), rpuNode.column(),
            "requests_per_unit must be an integer from 0 to 4294967295 (" + found + ")");
      }
      rpu = v.longValue();
    }
    String name = string(file, m, "name");
    Set<String> replaces = new HashSet<>();
    YamlNode rep = m.entries().get("replaces");
    if (rep != null && !isNull(rep)) {
      for (YamlNode r : asList(file, rep, "replaces").items()) {
        YamlNode.MapNode rm = asMap(file, r, "replaces entry");
        checkKeys(file, rm, REPLACES_KEYS, "a replaces entry");
        String rn = string(file, rm, "name");
        if (rn == null || rn.isEmpty()) {
          throw new ConfigException(file, rm.line(), rm.column(), "should not have an empty replaces entry");
        }
        if (rn.equals(name)) {
          throw new ConfigException(file, rm.line(), rm.column(),
              "replaces should not contain name of same descriptor");
        }
        replaces.add(rn);
      }
    }
    Algorithm algorithm = Algorithm.FIXED_WINDOW;
    String algo = string(file, m, "algorithm");
    if (algo != null) {
      algorithm = Algorithm.parse(algo);
      if (algorithm == null) {
        YamlNode a = m.entries().get("algorithm");
        throw new ConfigException(file, a.line(), a.column(),
            "unknown algorithm '" + algo + "' (expected fixed_window, sliding_window or token_bucket)");
      }
    }
    return Limit.of(name, rpu, unit, unlimited, replaces, algorithm, index);
  }

  private static void checkKeys(Path file, YamlNode.MapNode m, Set<String> allowed, String where)
      throws ConfigException {
    for (Map.Entry<String, YamlNode> e : m.entries().entrySet()) {
      if (!allowed.contains(e.getKey())) {
        int[] pos = m.keyPositions().get(e.getKey());
        throw new ConfigException(file, pos[0], pos[1],
            "config error, unknown key '" + e.getKey() + "' in " + where + " (allowed: "
                + allowed.stream().sorted().toList() + ")");
      }
    }
  }

  /**
   * The reference's validateYamlKeys (src/config/config_impl.go) takes only strings, ints, bools and nulls as values
   * outside {@code metadata} and refuses the file otherwise ("error checking config"): a float ({@code 1.5},
   * {@code 1e3}, {@code 10.0}, {@code 08}) or an integer only Go's uint64 holds, even where text is expected.
   */
  private static void checkLeaves(Path file, YamlNode n) throws ConfigException {
    if (n instanceof YamlNode.MapNode m) {
      for (Map.Entry<String, YamlNode> e : m.entries().entrySet()) {
        if (!e.getKey().equals("metadata")) {
          checkLeaves(file, e.getValue());
        }
      }
    } else if (n instanceof YamlNode.ListNode l) {
      for (YamlNode item : l.items()) {
        checkLeaves(file, item);
      }
    } else if (n instanceof YamlNode.Scalar s && s.text() != null) {
      String what = null;
      if (s.type().equals("float")) {
        what = "a YAML float";
      } else if (s.type().equals("int") && YamlV2Scalars.number(s.text()) instanceof BigInteger v
          && v.bitLength() > 63) {
        what = "an integer above 9223372036854775807";
      }
      if (what != null) {
        throw new ConfigException(file, s.line(), s.column(), "`" + s.text() + "` reads as " + what + ", which"
            + " envoyproxy/ratelimit refuses outside metadata (\"error checking config\"); quote it where text is"
            + " meant, write an integer where a number is");
      }
    }
  }

  private static boolean isNull(YamlNode n) {
    return n instanceof YamlNode.Scalar s && s.text() == null;
  }

  private static YamlNode.MapNode asMap(Path file, YamlNode n, String what) throws ConfigException {
    if (n instanceof YamlNode.MapNode m) {
      return m;
    }
    throw new ConfigException(file, n.line(), n.column(), what + " must be a map, found " + n.kind());
  }

  private static YamlNode.ListNode asList(Path file, YamlNode n, String what) throws ConfigException {
    if (n instanceof YamlNode.ListNode l) {
      return l;
    }
    throw new ConfigException(file, n.line(), n.column(), what + " must be a list, found " + n.kind());
  }

  private static String string(Path file, YamlNode.MapNode m, String key) throws ConfigException {
    YamlNode n = m.entries().get(key);
    if (n == null) {
      return null;
    }
    if (n instanceof YamlNode.Scalar s) {
      return s.text();
    }
    throw new ConfigException(file, n.line(), n.column(), key + " must be a scalar, found " + n.kind());
  }

  private static boolean bool(Path file, YamlNode.MapNode m, String key) throws ConfigException {
    YamlNode n = m.entries().get(key);
    if (n == null || isNull(n)) {
      return false;
    }
    if (n instanceof YamlNode.Scalar s && s.type().equals("bool")) {
      return isTrue(s);
    }
    throw new ConfigException(file, n.line(), n.column(), key + " must be true or false");
  }

  /** A bool scalar keeps its written text ({@code yes}, {@code On}) for string fields; this is its value. */
  private static boolean isTrue(YamlNode.Scalar s) {
    return Boolean.parseBoolean(s.text()) || s.text().equalsIgnoreCase("yes") || s.text().equalsIgnoreCase("on")
        || s.text().equalsIgnoreCase("y");
  }

  private static Struct metadata(Path file, YamlNode.MapNode d) throws ConfigException {
    YamlNode n = d.entries().get("metadata");
    if (n == null || isNull(n)) {
      return null;
    }
    return toValue(asMap(file, n, "metadata")).getStructValue();
  }

  private static Value toValue(YamlNode n) {
    if (n instanceof YamlNode.MapNode m) {
      Struct.Builder b = Struct.newBuilder();
      m.entries().forEach((k, v) -> b.putFields(k, toValue(v)));
      return Value.newBuilder().setStructValue(b).build();
    }
    if (n instanceof YamlNode.ListNode l) {
      ListValue.Builder b = ListValue.newBuilder();
      l.items().forEach(i -> b.addValues(toValue(i)));
      return Value.newBuilder().setListValue(b).build();
    }
    YamlNode.Scalar s = (YamlNode.Scalar) n;
    switch (s.type()) {
      case "null":
        return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
      case "bool":
        return Value.newBuilder().setBoolValue(isTrue(s)).build();
      case "int":
      case "float":
        Number number = YamlV2Scalars.number(s.text());
        return number == null ? Value.newBuilder().setStringValue(s.text()).build()
            : Value.newBuilder().setNumberValue(number.doubleValue()).build();
      default:
        return Value.newBuilder().setStringValue(s.text()).build();
    }
  }
}
