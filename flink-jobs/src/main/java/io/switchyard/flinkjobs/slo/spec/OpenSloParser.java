package io.switchyard.flinkjobs.slo.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.switchyard.model.LatencyBuckets;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the OpenSLO v1 subset Switchyard evaluates exactly (see docs/flink-jobs.md). Anything outside
 * it is rejected with file:line and the reason rather than silently approximated.
 */
public final class OpenSloParser {
  public static final String API_VERSION = "openslo/v1";
  public static final String METRIC_SOURCE_TYPE = "switchyard";
  private static final Pattern NAME = Pattern.compile("^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$");
  private static final Set<String> SLO_SPEC_KEYS = Set.of("service", "description", "indicator", "indicatorRef", "timeWindow",
      "budgetingMethod", "objectives", "alertPolicies");
  private static final Set<String> TIME_WINDOW_KEYS = Set.of("duration", "isRolling", "calendar");
  private static final Set<String> CALENDAR_KEYS = Set.of("startTime", "timeZone");
  private static final Set<String> OBJECTIVE_KEYS = Set.of("displayName", "target", "targetPercent", "timeSliceTarget",
      "timeSliceWindow");
  private static final Set<String> COMPOSITE_KEYS = Set.of("indicator", "indicatorRef", "compositeWeight");
  private static final Set<String> POLICY_SPEC_KEYS = Set.of("description", "alertWhenNoData", "alertWhenResolved",
      "alertWhenBreaching", "conditions", "notificationTargets");
  private static final Set<String> CONDITION_SPEC_KEYS = Set.of("description", "severity", "condition");
  private static final Set<String> BURN_RATE_KEYS = Set.of("kind", "op", "threshold", "lookbackWindow", "alertAfter");
  private static final Set<String> TARGET_SPEC_KEYS = Set.of("description", "target");
  private static final Set<String> INLINE_KEYS = Set.of("kind", "metadata", "spec");
  private static final String ALERT_POLICY = "AlertPolicy";
  private static final String ALERT_CONDITION = "AlertCondition";
  private static final String NOTIFICATION_TARGET = "AlertNotificationTarget";
  private static final Set<String> TARGET_KEYS = Set.of("service", "client", "namespace", "source", "sli", "threshold");
  private static final ObjectMapper YAML_OUT =
      new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

  /** A validated SLO and the self-contained YAML (SLO plus its SLI) to publish for it. */
  public record SloDocument(SloSpec spec, String yaml) {}

  private OpenSloParser() {}

  /** The job's default aggregation window: time slices must be whole multiples of the window in use. */
  public static final Duration DEFAULT_AGGREGATION_WINDOW = Duration.ofMinutes(1);

  /** Parses one YAML text (one or more documents) whose indicatorRefs resolve within it. */
  public static List<SloSpec> parse(String text, String file) throws SloSpecException {
    return parse(text, file, DEFAULT_AGGREGATION_WINDOW);
  }

  /** As {@link #parse(String, String)} for a job aggregating over {@code aggregationWindow}. */
  public static List<SloSpec> parse(String text, String file, Duration aggregationWindow) throws SloSpecException {
    return parse(text, file, aggregationWindow, AlertPolicy.DEFAULT);
  }

  /** As {@link #parse(String, String, Duration)} for a job alerting with {@code alerts}. */
  public static List<SloSpec> parse(String text, String file, Duration aggregationWindow, AlertPolicy alerts) throws SloSpecException {
    return parseAll(Map.of(file, text), aggregationWindow, alerts).stream().map(SloDocument::spec).toList();
  }

  /**
   * As {@link #parse(String, String, Duration, AlertPolicy)} for a definition already published to the definitions
   * topic, which the job reads from its state and from the compacted topic: a window with neither isRolling nor a
   * calendar keeps the rolling meaning the builds that published it gave it (they accepted it so), instead of being
   * refused, which would silently stop evaluating that SLO after an upgrade. {@code slo check}, {@code slo apply} and
   * {@code up} refuse such a window in the files they read.
   */
  public static List<SloSpec> parsePublished(String text, String file, Duration aggregationWindow, AlertPolicy alerts)
      throws SloSpecException {
    return parseAll(Map.of(file, text), aggregationWindow, alerts, true).stream().map(SloDocument::spec).toList();
  }

  public static List<SloDocument> readDirectory(Path dir) throws SloSpecException {
    return readDirectory(dir, DEFAULT_AGGREGATION_WINDOW);
  }

  public static List<SloDocument> readDirectory(Path dir, Duration aggregationWindow) throws SloSpecException {
    return readDirectory(dir, aggregationWindow, AlertPolicy.DEFAULT);
  }

  /**
   * Every *.yaml / *.yml file of a folder (not recursive), SLI references resolved across files. Hidden names are
   * skipped, as the reloader that watches the folder skips them: drafts, editors' lock files, and a mounted
   * ConfigMap's {@code ..<timestamp>} folder.
   */
  public static List<SloDocument> readDirectory(Path dir, Duration aggregationWindow, AlertPolicy alerts) throws SloSpecException {
    Map<String, String> texts = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> !f.getFileName().toString().startsWith("."))
          .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).sorted().toList()) {
        texts.put(f.toString(), Files.readString(f, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new SloSpecException(dir.toString(), 0, "cannot read: " + e.getMessage());
    }
    return parseAll(texts, aggregationWindow, alerts);
  }

  public static List<SloDocument> parseAll(Map<String, String> textsByFile) throws SloSpecException {
    return parseAll(textsByFile, DEFAULT_AGGREGATION_WINDOW);
  }

  public static List<SloDocument> parseAll(Map<String, String> textsByFile, Duration aggregationWindow) throws SloSpecException {
    return parseAll(textsByFile, aggregationWindow, AlertPolicy.DEFAULT);
  }

  /**
   * Parses SLO and SLI documents; an SLO whose window cannot take one of {@code alerts} (a threshold below 1x,
   * a long window beyond the SLO window) is refused at its timeWindow duration.
   */
  public static List<SloDocument> parseAll(Map<String, String> textsByFile, Duration aggregationWindow, AlertPolicy alerts)
      throws SloSpecException {
    return parseAll(textsByFile, aggregationWindow, alerts, false);
  }

  private static List<SloDocument> parseAll(Map<String, String> textsByFile, Duration aggregationWindow, AlertPolicy alerts,
      boolean published) throws SloSpecException {
    List<LocatedYaml.Doc> slos = new ArrayList<>();
    Library lib = new Library(new HashMap<>(), new LinkedHashMap<>(), new HashMap<>(), new HashMap<>());
    for (Map.Entry<String, String> e : textsByFile.entrySet()) {
      for (LocatedYaml.Doc doc : LocatedYaml.read(e.getValue(), e.getKey())) {
        if (doc.node().isArray()) {
          // The form OpenSLO's Go SDK also decodes; the spec's objects are documents of their own.
          throw doc.error("", "a YAML list of objects is not read: write each object as a YAML document of its own "
              + "(apiVersion, kind, metadata, spec), separated by ---");
        }
        if (!doc.node().isObject()) {
          throw doc.error("", "a document must be a mapping with apiVersion, kind, metadata and spec");
        }
        String api = text(doc, "/apiVersion", true);
        if (!API_VERSION.equals(api)) {
          throw doc.error("/apiVersion", "apiVersion must be " + API_VERSION + ", got '" + api + "'");
        }
        String kind = text(doc, "/kind", true);
        String name = name(doc, "/metadata/name");
        Map<String, LocatedYaml.Doc> named = switch (kind) {
          case "SLO" -> null;
          case "SLI" -> lib.slis();
          case ALERT_POLICY -> lib.policies();
          case ALERT_CONDITION -> lib.conditions();
          case NOTIFICATION_TARGET -> lib.targets();
          default -> throw doc.error("/kind", "kind " + kind + " is not supported; accepted kinds: SLO, SLI, AlertPolicy, "
              + "AlertCondition, AlertNotificationTarget");
        };
        if (named == null) {
          slos.add(doc);
        } else if (named.put(name, doc) != null) {
          throw doc.error("/metadata/name", kind + " '" + name + "' is defined twice");
        }
      }
    }
    // Every AlertPolicy document is checked, referenced or not: a broken one must not wait for its first SLO.
    for (LocatedYaml.Doc policy : lib.policies().values()) {
      policy(policy, "", lib, new LinkedHashMap<>(), aggregationWindow);
    }
    // And every SLI: one no SLO names yet is still part of the folder, and must not wait for an SLO to be found wrong.
    for (LocatedYaml.Doc sli : lib.slis().values()) {
      indicator(sli, "");
    }
    // So are AlertCondition and AlertNotificationTarget documents: OpenSLO's schema refuses them on their own (no
    // severity, no condition, no target), so a folder holding one is not valid whether or not a policy names it.
    for (LocatedYaml.Doc condition : lib.conditions().values()) {
      condition(new Located(condition, ""), aggregationWindow);
    }
    for (LocatedYaml.Doc target : lib.targets().values()) {
      notificationTarget(new Located(target, ""));
    }
    List<SloDocument> out = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    for (LocatedYaml.Doc slo : slos) {
      SloDocument d = slo(slo, lib, aggregationWindow, published);
      String problem = alerts.problem(d.spec(), aggregationWindow);
      if (problem != null) {
        throw slo.error("/spec/timeWindow/0/duration", "SLO '" + d.spec().name() + "': " + problem);
      }
      if (!names.add(d.spec().name())) {
        throw slo.error("/metadata/name", "SLO '" + d.spec().name() + "' is defined twice");
      }
      out.add(d);
    }
    return out;
  }

  /** The named documents of the files read: SLIs, AlertPolicies, AlertConditions, AlertNotificationTargets. */
  private record Library(Map<String, LocatedYaml.Doc> slis, Map<String, LocatedYaml.Doc> policies,
      Map<String, LocatedYaml.Doc> conditions, Map<String, LocatedYaml.Doc> targets) {}

  /** An object in a document: a document of its own ({@code base} ""), or one inlined at {@code base}. */
  private record Located(LocatedYaml.Doc doc, String base) {}

  private static SloDocument slo(LocatedYaml.Doc doc, Library lib, Duration aggregationWindow, boolean published)
      throws SloSpecException {
    Map<String, LocatedYaml.Doc> slis = lib.slis();
    String name = name(doc, "/metadata/name");
    JsonNode spec = doc.node().at("/spec");
    if (!spec.isObject()) {
      throw doc.error("/spec", "spec must be a mapping");
    }
    for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!SLO_SPEC_KEYS.contains(key)) {
        throw doc.error("/spec/" + key, "unsupported field spec." + key + "; accepted: " + sorted(SLO_SPEC_KEYS));
      }
    }
    String service = text(doc, "/spec/service", true);
    description(doc, "/spec/description");
    // The SLI: inline, or a reference to an SLI document.
    LocatedYaml.Doc sliDoc;
    String sliBase;
    boolean inline = spec.has("indicator");
    if (inline == spec.has("indicatorRef")) {
      throw doc.error("/spec", "exactly one of spec.indicator and spec.indicatorRef is required");
    }
    if (inline) {
      sliDoc = doc;
      sliBase = "/spec/indicator";
    } else {
      String ref = text(doc, "/spec/indicatorRef", true);
      sliDoc = slis.get(ref);
      if (sliDoc == null) {
        throw doc.error("/spec/indicatorRef", "no SLI named '" + ref + "' in the files read");
      }
      sliBase = "";
    }
    Indicator indicator = indicator(sliDoc, sliBase);

    JsonNode windows = spec.get("timeWindow");
    if (windows == null || !windows.isArray() || windows.size() != 1) {
      throw doc.error("/spec/timeWindow", "timeWindow must list exactly one window");
    }
    JsonNode timeWindow = windows.get(0);
    if (!timeWindow.isObject()) {
      throw doc.error("/spec/timeWindow/0", "a timeWindow must be a mapping with duration (and isRolling or calendar)");
    }
    keys(doc, "/spec/timeWindow/0", TIME_WINDOW_KEYS, "a timeWindow");
    if (timeWindow.has("calendar")) {
      keys(doc, "/spec/timeWindow/0/calendar", CALENDAR_KEYS, "a calendar");
    }
    // OpenSLO: isRolling defaults to false when a calendar is given, and its schema wants a calendar for every window
    // not marked isRolling: true; so a bare duration is neither, not a rolling window by default.
    boolean neither = !timeWindow.has("isRolling") && !timeWindow.has("calendar");
    if (neither && !published) {
      throw doc.error("/spec/timeWindow/0", "a timeWindow needs isRolling: true (a rolling window) or a calendar (calendar "
          + "periods): OpenSLO reads a window without isRolling as calendar-aligned, which needs calendar.startTime and timeZone");
    }
    boolean rolling = neither || bool(doc, "/spec/timeWindow/0/isRolling", false);
    CalendarWindow calendar = null;
    Duration window;
    if (rolling) {
      if (timeWindow.has("calendar")) {
        throw doc.error("/spec/timeWindow/0/calendar", "a rolling window (isRolling: true) has no calendar; for calendar periods "
            + "set isRolling: false");
      }
      String written = text(doc, "/spec/timeWindow/0/duration", true).trim();
      if (written.matches("\\d+[MQY]")) {
        // OpenSLO's shorthand, but a month's, quarter's or year's length depends on where it falls in the calendar.
        throw doc.error("/spec/timeWindow/0/duration", "'" + written + "' is a calendar length (M months, Q quarters, Y years): a "
            + "rolling window is written in h, d or w, e.g. 30d; for calendar periods set isRolling: false and a calendar");
      }
      window = duration(doc, "/spec/timeWindow/0/duration");
      if (window.compareTo(Duration.ofHours(1)) < 0 || window.compareTo(Duration.ofDays(90)) > 0) {
        throw doc.error("/spec/timeWindow/0/duration", "the SLO window must be between 1h and 90d");
      }
    } else {
      calendar = calendar(doc, timeWindow);
      window = calendar.nominal();
    }
    String method = text(doc, "/spec/budgetingMethod", true);
    SloSpec.Budgeting.Method budgetingMethod = SloSpec.Budgeting.Method.of(method);
    if (budgetingMethod == null) {
      throw doc.error("/spec/budgetingMethod", "budgetingMethod " + method + " is not supported; accepted: Occurrences (exact "
          + "event counts), Timeslices (exact slice counts) and RatioTimeslices (the mean of exact slice ratios)");
    }
    JsonNode objectives = spec.get("objectives");
    if (objectives == null || !objectives.isArray() || objectives.size() != 1) {
      throw doc.error("/spec/objectives", "objectives must list exactly one objective");
    }
    JsonNode objective = objectives.get(0);
    if (!objective.isObject()) {
      throw doc.error("/spec/objectives/0", "an objective must be a mapping with target or targetPercent");
    }
    for (Iterator<String> it = objective.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (k.equals("op") || k.equals("value")) {
        throw doc.error("/spec/objectives/0/" + k, "objective field " + k + " is not supported (ratio SLIs only)");
      }
      if (COMPOSITE_KEYS.contains(k)) {
        throw doc.error("/spec/objectives/0/" + k, "composite SLOs (an objective with its own indicator, indicatorRef or "
            + "compositeWeight) are not supported: give each objective an SLO of its own with spec.indicator or spec.indicatorRef");
      }
      if (!OBJECTIVE_KEYS.contains(k)) {
        throw doc.error("/spec/objectives/0/" + k, "unsupported field " + k + " in an objective; accepted: " + sorted(OBJECTIVE_KEYS));
      }
    }
    SloSpec.Budgeting budgeting = budgetingMethod == SloSpec.Budgeting.Method.OCCURRENCES
        ? occurrences(doc)
        : timeslices(doc, budgetingMethod == SloSpec.Budgeting.Method.RATIO_TIMESLICES, calendar == null ? window : null,
            aggregationWindow);
    if (calendar != null) {
      aligned(doc, calendar, budgeting.sliced() ? budgeting.sliceWindow() : aggregationWindow,
          budgeting.sliced() ? "timeSliceWindow" : "aggregation window of the job");
    }
    double target;
    if (objective.has("target") == objective.has("targetPercent")) {
      throw doc.error("/spec/objectives/0", "an objective needs exactly one of target (0..1) and targetPercent (0..100)");
    } else if (objective.has("target")) {
      target = number(doc, "/spec/objectives/0/target");
    } else {
      // In decimal: 99.9 / 100 in binary is 0.9990000000000001, whose budget burns at 1.0000000000001x for 1x.
      target = BigDecimal.valueOf(number(doc, "/spec/objectives/0/targetPercent")).movePointLeft(2).doubleValue();
    }
    // OpenSLO's ranges: target [0.0, 1.0), targetPercent [0.0, 100). 1 would leave no budget to divide by.
    if (!(target >= 0 && target < 1)) {
      throw doc.error("/spec/objectives/0", "the objective must be from 0 up to but not including 1 (target [0, 1), "
          + "targetPercent [0, 100)), got " + target);
    }
    // The documents the published YAML must carry for the job to read it alone: the SLI, the referenced policies,
    // conditions and targets.
    Map<String, LocatedYaml.Doc> attached = new LinkedHashMap<>();
    if (!inline) {
      attached.put("SLI/" + sliDoc.node().at("/metadata/name").asText(), sliDoc);
    }
    List<PolicyAlert> policies = alertPolicies(doc, lib, attached, aggregationWindow);
    SloSpec parsed = new SloSpec(name, service, indicator.target(), indicator.kind(), indicator.threshold(), target, window, doc.file(),
        budgeting, calendar, policies);
    StringBuilder yaml = new StringBuilder();
    try {
      yaml.append(YAML_OUT.writeValueAsString(doc.node()));
      for (LocatedYaml.Doc d : attached.values()) {
        yaml.append("---\n").append(YAML_OUT.writeValueAsString(d.node()));
      }
    } catch (IOException e) {
      throw doc.error("", "cannot re-serialise: " + e.getMessage());
    }
    return new SloDocument(parsed, yaml.toString());
  }

  /** The SLO's {@code alertPolicies}: each an {@code alertPolicyRef} or an inline AlertPolicy. */
  private static List<PolicyAlert> alertPolicies(LocatedYaml.Doc doc, Library lib, Map<String, LocatedYaml.Doc> attached,
      Duration aggregationWindow) throws SloSpecException {
    JsonNode list = doc.node().at("/spec/alertPolicies");
    if (list.isMissingNode() || list.isNull()) {
      return List.of();
    }
    if (!list.isArray() || list.isEmpty()) {
      throw doc.error("/spec/alertPolicies", "alertPolicies must list alertPolicyRef names or inline AlertPolicy objects");
    }
    List<PolicyAlert> out = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String at = "/spec/alertPolicies/" + i;
      Located p = inlineOrRef(doc, at, "alertPolicyRef", ALERT_POLICY, lib.policies(), attached);
      PolicyAlert a = policy(p.doc(), p.base(), lib, attached, aggregationWindow);
      if (!names.add(a.name())) {
        throw doc.error(at, "AlertPolicy '" + a.name() + "' is listed twice");
      }
      out.add(a);
    }
    return out;
  }

  /**
   * The object at {@code pointer}: {@code {refKey: name}} naming a document of {@code kind} (attached to the published
   * YAML), or an inline object {@code {kind, metadata, spec}}.
   */
  private static Located inlineOrRef(LocatedYaml.Doc doc, String pointer, String refKey, String kind, Map<String, LocatedYaml.Doc> named,
      Map<String, LocatedYaml.Doc> attached) throws SloSpecException {
    JsonNode node = doc.node().at(pointer);
    if (!node.isObject()) {
      throw doc.error(pointer, "each item must be {" + refKey + ": NAME} or an inline " + kind + " (kind, metadata, spec)");
    }
    if (node.has(refKey)) {
      if (node.size() != 1) {
        throw doc.error(pointer, "an item with " + refKey + " has nothing else: the " + kind + " is the document it names");
      }
      String ref = text(doc, pointer + "/" + refKey, true);
      LocatedYaml.Doc target = named.get(ref);
      if (target == null) {
        throw doc.error(pointer + "/" + refKey, "no " + kind + " named '" + ref + "' in the files read");
      }
      attached.put(kind + "/" + ref, target);
      return new Located(target, "");
    }
    String k = text(doc, pointer + "/kind", false);
    if (!k.equals(kind)) {
      throw doc.error(pointer, "each item must be {" + refKey + ": NAME} or an inline " + kind + " with kind: " + kind
          + (k.isEmpty() ? "" : ", got kind " + k));
    }
    keys(doc, pointer, INLINE_KEYS, "an inline " + kind);
    name(doc, pointer + "/metadata/name");
    return new Located(doc, pointer);
  }

  /**
   * An AlertPolicy (a document of its own at {@code base} "", or inline) with its one AlertCondition of kind burnrate
   * and its AlertNotificationTargets.
   */
  private static PolicyAlert policy(LocatedYaml.Doc doc, String base, Library lib, Map<String, LocatedYaml.Doc> attached,
      Duration aggregationWindow) throws SloSpecException {
    String name = name(doc, base + "/metadata/name");
    String spec = base + "/spec";
    keys(doc, spec, POLICY_SPEC_KEYS, "an AlertPolicy");
    // OpenSLO gives these no default: an alert is for breaching unless it says otherwise, the rest is opt-in.
    boolean breaching = bool(doc, spec + "/alertWhenBreaching", true);
    boolean noData = bool(doc, spec + "/alertWhenNoData", false);
    if (!breaching && !noData) {
      throw doc.error(spec + "/alertWhenBreaching", "alertWhenBreaching: false with alertWhenNoData false never fires, and an "
          + "alert that never fires has no resolution to notify either; set alertWhenNoData: true for an alert on a quiet feed");
    }
    boolean resolved = bool(doc, spec + "/alertWhenResolved", false);
    JsonNode conditions = doc.node().at(spec + "/conditions");
    if (!conditions.isArray() || conditions.size() != 1) {
      throw doc.error(conditions.isMissingNode() ? spec : spec + "/conditions", "conditions must list exactly one condition "
          + "(OpenSLO v1 allows one): a conditionRef or an inline AlertCondition");
    }
    Located c = inlineOrRef(doc, spec + "/conditions/0", "conditionRef", ALERT_CONDITION, lib.conditions(), attached);
    Condition condition = condition(c, aggregationWindow);
    JsonNode targets = doc.node().at(spec + "/notificationTargets");
    if (!targets.isArray() || targets.isEmpty()) {
      throw doc.error(targets.isMissingNode() ? spec : spec + "/notificationTargets", "notificationTargets must list at least one "
          + "targetRef or inline AlertNotificationTarget (OpenSLO requires it)");
    }
    List<String> targetNames = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      Located t = inlineOrRef(doc, spec + "/notificationTargets/" + i, "targetRef", NOTIFICATION_TARGET, lib.targets(), attached);
      targetNames.add(notificationTarget(t));
    }
    String description = description(doc, spec + "/description");
    if (description.isEmpty()) {
      description = condition.description();
    }
    return new PolicyAlert(name, condition.name(), condition.severity(), condition.op(), condition.threshold(), condition.lookback(),
        condition.alertAfter(), breaching, noData, resolved, targetNames, description);
  }

  private record Condition(String name, String severity, PolicyAlert.Op op, double threshold, Duration lookback, Duration alertAfter,
      String description) {}

  /** An AlertCondition (a document of its own, or inline in a policy): one burnrate condition. */
  private static Condition condition(Located c, Duration aggregationWindow) throws SloSpecException {
    String conditionName = name(c.doc(), c.base() + "/metadata/name");
    String cspec = c.base() + "/spec";
    keys(c.doc(), cspec, CONDITION_SPEC_KEYS, "an AlertCondition");
    String severity = text(c.doc(), cspec + "/severity", true).trim();
    if (severity.isEmpty()) {
      throw c.doc().error(cspec + "/severity", "severity must name the alert's severity, e.g. page or ticket");
    }
    String cond = cspec + "/condition";
    keys(c.doc(), cond, BURN_RATE_KEYS, "a condition");
    String kind = text(c.doc(), cond + "/kind", false);
    if (!kind.isEmpty() && !kind.equals("burnrate")) {
      throw c.doc().error(cond + "/kind", "condition kind " + kind + " is not supported; accepted: burnrate");
    }
    String opText = text(c.doc(), cond + "/op", false);
    PolicyAlert.Op op = opText.isEmpty() ? PolicyAlert.Op.GTE : PolicyAlert.Op.of(opText);
    if (op == null) {
      throw c.doc().error(cond + "/op", "op must be one of gt, gte, lt, lte, got '" + opText + "'");
    }
    if (!c.doc().node().at(cond).has("threshold")) {
      throw c.doc().error(cond, "a burnrate condition needs threshold (the burn-rate factor, e.g. 14.4)");
    }
    double threshold = number(c.doc(), cond + "/threshold");
    if (!(threshold > 0) || Double.isInfinite(threshold)) {
      throw c.doc().error(cond + "/threshold", "threshold must be a burn-rate factor above 0, got " + threshold);
    }
    if (!c.doc().node().at(cond).has("lookbackWindow")) {
      throw c.doc().error(cond, "a burnrate condition needs lookbackWindow (the window of the burn rate, e.g. 1h)");
    }
    Duration lookback = duration(c.doc(), cond + "/lookbackWindow");
    if (lookback.isZero()) {
      throw c.doc().error(cond + "/lookbackWindow", "lookbackWindow must be longer than 0 (the window of the burn rate, e.g. 1h)");
    }
    if (lookback.toMillis() % aggregationWindow.toMillis() != 0) {
      throw c.doc().error(cond + "/lookbackWindow", "lookbackWindow " + Durations.format(lookback) + " is not a whole multiple of "
          + "the job's aggregation window " + Durations.format(aggregationWindow) + ": the job counts whole windows");
    }
    Duration alertAfter = c.doc().node().at(cond).has("alertAfter") ? duration(c.doc(), cond + "/alertAfter") : Duration.ZERO;
    return new Condition(conditionName, severity, op, threshold, lookback, alertAfter,
        description(c.doc(), cspec + "/description"));
  }

  /** An AlertNotificationTarget (a document of its own, or inline in a policy); its name. */
  private static String notificationTarget(Located t) throws SloSpecException {
    keys(t.doc(), t.base() + "/spec", TARGET_SPEC_KEYS, "an AlertNotificationTarget");
    description(t.doc(), t.base() + "/spec/description");
    text(t.doc(), t.base() + "/spec/target", true);
    return name(t.doc(), t.base() + "/metadata/name");
  }

  /** {@code pointer} must be a mapping whose keys are all in {@code accepted}. */
  private static void keys(LocatedYaml.Doc doc, String pointer, Set<String> accepted, String what) throws SloSpecException {
    JsonNode node = doc.node().at(pointer);
    if (!node.isObject()) {
      throw doc.error(pointer, what + " needs " + pointer.substring(pointer.lastIndexOf('/') + 1) + " as a mapping");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!accepted.contains(key)) {
        throw doc.error(pointer + "/" + key, "unsupported field " + key + " in " + what + "; accepted: " + sorted(accepted));
      }
    }
  }

  private static boolean bool(LocatedYaml.Doc doc, String pointer, boolean absent) throws SloSpecException {
    JsonNode n = doc.node().at(pointer);
    if (n.isMissingNode() || n.isNull()) {
      return absent;
    }
    if (!n.isBoolean()) {
      throw doc.error(pointer, pointer.substring(pointer.lastIndexOf('/') + 1) + " must be true or false");
    }
    return n.asBoolean();
  }

  private static SloSpec.Budgeting occurrences(LocatedYaml.Doc doc) throws SloSpecException {
    for (String k : List.of("timeSliceTarget", "timeSliceWindow")) {
      if (doc.node().at("/spec/objectives/0").has(k)) {
        throw doc.error("/spec/objectives/0/" + k, k + " belongs to budgetingMethod Timeslices (or RatioTimeslices), not Occurrences");
      }
    }
    return SloSpec.Budgeting.OCCURRENCES;
  }

  /**
   * Timeslices and RatioTimeslices are counted exactly only when every slice is made of whole aggregation windows
   * (the job never sees anything finer), and the rolling window of whole slices. RatioTimeslices has no slice
   * target: a slice counts with its ratio.
   */
  private static SloSpec.Budgeting timeslices(LocatedYaml.Doc doc, boolean ratio, Duration window, Duration aggregationWindow)
      throws SloSpecException {
    String base = "/spec/objectives/0/";
    String method = (ratio ? SloSpec.Budgeting.Method.RATIO_TIMESLICES : SloSpec.Budgeting.Method.TIMESLICES).openSlo();
    JsonNode objective = doc.node().at("/spec/objectives/0");
    if (ratio && objective.has("timeSliceTarget")) {
      throw doc.error(base + "timeSliceTarget", "budgetingMethod RatioTimeslices has no timeSliceTarget: the SLI is the mean of the "
          + "slices' good/total ratios; for slices judged good or bad against a target use budgetingMethod Timeslices");
    }
    if (!ratio && !objective.has("timeSliceTarget")) {
      throw doc.error("/spec/objectives/0", "budgetingMethod Timeslices needs timeSliceTarget (the good/total ratio a slice must meet)");
    }
    if (!objective.has("timeSliceWindow")) {
      throw doc.error("/spec/objectives/0", "budgetingMethod " + method + " needs timeSliceWindow (the slice length, e.g. 5m)");
    }
    double sliceTarget = ratio ? 0 : number(doc, base + "timeSliceTarget");
    if (!ratio && !(sliceTarget > 0 && sliceTarget <= 1)) {
      throw doc.error(base + "timeSliceTarget", "timeSliceTarget must be in (0, 1], got " + sliceTarget);
    }
    JsonNode sliceNode = objective.get("timeSliceWindow");
    Duration slice;
    if (sliceNode.isIntegralNumber()) {
      slice = Duration.ofMinutes(sliceNode.asLong()); // OpenSLO: a bare number is minutes
    } else if (sliceNode.isTextual()) {
      slice = duration(doc, base + "timeSliceWindow");
    } else {
      throw doc.error(base + "timeSliceWindow", "timeSliceWindow must be a whole number of minutes or a duration like 5m");
    }
    if (slice.isNegative() || slice.isZero()) {
      throw doc.error(base + "timeSliceWindow", "timeSliceWindow must be longer than 0 (the slice length, e.g. 5m)");
    }
    if (slice.toMillis() % aggregationWindow.toMillis() != 0) {
      throw doc.error(base + "timeSliceWindow", "timeSliceWindow " + Durations.format(slice) + " is not a whole multiple of the "
          + "job's aggregation window " + Durations.format(aggregationWindow) + ": the job counts whole windows, so only such a "
          + "slice is counted exactly");
    }
    if (window != null && (slice.compareTo(window) >= 0 || window.toMillis() % slice.toMillis() != 0)) {
      throw doc.error("/spec/timeWindow/0/duration", "the SLO window " + Durations.format(window) + " must be a whole multiple "
          + "(more than one) of timeSliceWindow " + Durations.format(slice) + " so that it holds a whole number of slices");
    }
    return ratio ? SloSpec.Budgeting.ratioTimeslices(slice) : SloSpec.Budgeting.timeslices(sliceTarget, slice);
  }

  private static final Pattern CALENDAR_DURATION = Pattern.compile("^(\\d+)([hdwMQY])$");
  private static final DateTimeFormatter START_TIME = new DateTimeFormatterBuilder()
      .appendPattern("uuuu-MM-dd").optionalStart().appendLiteral(' ').optionalEnd().optionalStart().appendLiteral('T')
      .optionalEnd().appendPattern("HH:mm:ss").toFormatter(Locale.ROOT)
      .withResolverStyle(ResolverStyle.STRICT);

  /** A calendar window: {@code duration} in whole hours to quarters, and {@code calendar: {startTime, timeZone}}. */
  private static CalendarWindow calendar(LocatedYaml.Doc doc, JsonNode timeWindow) throws SloSpecException {
    String base = "/spec/timeWindow/0";
    if (!timeWindow.has("calendar")) {
      throw doc.error(base, "a calendar window (isRolling: false) needs calendar.startTime and calendar.timeZone");
    }
    String text = text(doc, base + "/duration", true);
    Matcher m = CALENDAR_DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw doc.error(base + "/duration", "'" + text + "' is not a calendar window length like 1d, 1w, 1M, 1Q or 1Y");
    }
    CalendarWindow.Unit unit = CalendarWindow.Unit.of(m.group(2));
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      amount = Long.MAX_VALUE;
    }
    if (unit == null || !CalendarWindow.supported(amount, unit)) {
      throw doc.error(base + "/duration", "calendar windows from 1h to a year (1Y, 4Q, 12M, 52w or 366d) are supported, got "
          + text);
    }
    String startText = text(doc, base + "/calendar/startTime", true);
    LocalDateTime start;
    try {
      start = LocalDateTime.parse(startText.trim(), START_TIME);
    } catch (DateTimeParseException e) {
      throw doc.error(base + "/calendar/startTime", "startTime '" + startText + "' is not a local date and time like "
          + "2024-01-01 00:00:00 (OpenSLO: no zone in it, the zone is timeZone)");
    }
    String zoneText = text(doc, base + "/calendar/timeZone", true);
    ZoneId zone;
    try {
      zone = ZoneId.of(zoneText.trim());
    } catch (DateTimeException e) {
      throw doc.error(base + "/calendar/timeZone", "timeZone '" + zoneText + "' is not a time zone of the IANA database, e.g. "
          + "Europe/Berlin or UTC");
    }
    return new CalendarWindow((int) amount, unit, start, zone, text.trim());
  }

  /**
   * Every period must start on a whole {@code unit} (an aggregation window, or a time slice), as the job only sees
   * whole windows: checked for the periods from a year before the calendar's start to ten years after it, through
   * every change of the zone's clock in between.
   */
  private static void aligned(LocatedYaml.Doc doc, CalendarWindow calendar, Duration unit, String what) throws SloSpecException {
    long u = unit.toMillis();
    long from = calendar.start().atZone(calendar.zone()).minusYears(1).toInstant().toEpochMilli();
    // Hours are counted on the instant line, which no clock change moves: the first period tells for all.
    long to = calendar.unit() == CalendarWindow.Unit.HOUR ? from + 1
        : calendar.start().atZone(calendar.zone()).plusYears(10).toInstant().toEpochMilli();
    for (long end = from + 1; end <= to; ) {
      long[] p = calendar.period(end);
      if (Math.floorMod(p[0], u) != 0) {
        throw doc.error("/spec/timeWindow/0/calendar/startTime", "the calendar period starting "
            + Instant.ofEpochMilli(p[0]).atZone(calendar.zone()) + " does not start on a whole " + what + " ("
            + Durations.format(unit) + "): the job counts whole windows, so a period must start and end on one");
      }
      end = p[1] + 1;
    }
  }

  private record Indicator(SloSpec.Target target, SloSpec.SliKind kind, Duration threshold) {}

  private static Indicator indicator(LocatedYaml.Doc doc, String base) throws SloSpecException {
    JsonNode spec = doc.node().at(base + "/spec");
    if (!spec.isObject()) {
      throw doc.error(base + "/spec", "the SLI needs a spec");
    }
    for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!key.equals("ratioMetric") && !key.equals("description")) {
        throw doc.error(base + "/spec/" + key, "SLI " + key + " is not supported; use ratioMetric with good and total");
      }
    }
    description(doc, base + "/spec/description");
    String ratio = base + "/spec/ratioMetric";
    JsonNode ratioNode = doc.node().at(ratio);
    if (!ratioNode.isObject()) {
      throw doc.error(base + "/spec", "the SLI needs spec.ratioMetric");
    }
    for (String k : List.of("bad", "raw", "rawType")) {
      if (ratioNode.has(k)) {
        throw doc.error(ratio + "/" + k, "ratioMetric." + k + " is not supported; use good and total");
      }
    }
    if (!ratioNode.has("good") || !ratioNode.has("total")) {
      throw doc.error(ratio, "ratioMetric needs good and total");
    }
    JsonNode good = metricSpec(doc, ratio + "/good");
    JsonNode total = metricSpec(doc, ratio + "/total");
    String goodPtr = ratio + "/good/metricSource/spec";
    String totalPtr = ratio + "/total/metricSource/spec";
    SloSpec.Target target = target(doc, goodPtr, good);
    SloSpec.Target totalTarget = target(doc, totalPtr, total);
    if (!target.equals(totalTarget)) {
      throw doc.error(totalPtr, "good and total must name the same service/edge and source");
    }
    if (total.has("sli") || total.has("threshold")) {
      throw doc.error(totalPtr, "total counts every request: sli and threshold belong to good");
    }
    String sli = good.path("sli").asText("");
    Duration threshold = null;
    SloSpec.SliKind kind;
    switch (sli) {
      case "availability" -> kind = SloSpec.SliKind.AVAILABILITY;
      case "latency" -> {
        kind = SloSpec.SliKind.LATENCY;
        Duration asked = duration(doc, goodPtr + "/threshold");
        threshold = bucketFloor(doc, goodPtr + "/threshold", asked);
      }
      default -> throw doc.error(goodPtr + "/sli", "good needs sli: availability or latency, got '" + sli + "'");
    }
    if (kind == SloSpec.SliKind.AVAILABILITY && good.has("threshold")) {
      throw doc.error(goodPtr + "/threshold", "threshold applies to latency SLIs only");
    }
    return new Indicator(target, kind, threshold);
  }

  /** Latency SLIs count whole histogram buckets: the threshold used is the largest bucket bound at or below it. */
  private static Duration bucketFloor(LocatedYaml.Doc doc, String pointer, Duration asked) throws SloSpecException {
    Duration largest = Duration.ofNanos(Math.round(LatencyBuckets.upperBoundSeconds(LatencyBuckets.FINITE - 1) * 1e9));
    if (asked.compareTo(largest) > 0) {
      throw doc.error(pointer, "latency threshold " + Durations.format(asked) + " is above the largest histogram bucket ("
          + Durations.format(largest.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)) + ")");
    }
    double seconds = asked.toNanos() / 1e9;
    double best = -1;
    for (int i = 0; i < LatencyBuckets.FINITE; i++) {
      double bound = LatencyBuckets.upperBoundSeconds(i);
      if (bound <= seconds * (1 + 1e-9)) {
        best = bound;
      }
    }
    if (best < 0) {
      throw doc.error(pointer, "latency threshold " + Durations.format(asked) + " is below the smallest histogram bucket (100us)");
    }
    return Duration.ofNanos(Math.round(best * 1e9));
  }

  private static JsonNode metricSpec(LocatedYaml.Doc doc, String pointer) throws SloSpecException {
    JsonNode source = doc.node().at(pointer + "/metricSource");
    if (!source.isObject()) {
      throw doc.error(pointer, "needs metricSource");
    }
    if (source.has("metricSourceRef")) {
      throw doc.error(pointer + "/metricSource/metricSourceRef", "metricSourceRef (DataSource documents) is not supported");
    }
    String type = source.path("type").asText("");
    if (!type.equals(METRIC_SOURCE_TYPE)) {
      throw doc.error(pointer + "/metricSource/type", "metricSource.type must be '" + METRIC_SOURCE_TYPE + "', got '" + type + "'");
    }
    JsonNode spec = source.get("spec");
    if (spec == null || !spec.isObject()) {
      throw doc.error(pointer + "/metricSource", "metricSource needs a spec naming a service (and a client for an edge)");
    }
    for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!TARGET_KEYS.contains(key)) {
        throw doc.error(pointer + "/metricSource/spec/" + key, "unsupported field " + key + "; accepted: " + sorted(TARGET_KEYS));
      }
    }
    return spec;
  }

  private static SloSpec.Target target(LocatedYaml.Doc doc, String pointer, JsonNode spec) throws SloSpecException {
    String service = spec.path("service").asText("");
    if (service.isEmpty()) {
      throw doc.error(pointer, "metricSource.spec.service is required");
    }
    String source = spec.path("source").asText("trace");
    if (!source.equals("trace") && !source.equals("mesh")) {
      throw doc.error(pointer + "/source", "source must be trace or mesh, got '" + source + "'");
    }
    return new SloSpec.Target(service, spec.path("client").asText(""), spec.path("namespace").asText(""), source);
  }

  private static String name(LocatedYaml.Doc doc, String pointer) throws SloSpecException {
    String name = text(doc, pointer, true);
    if (!NAME.matcher(name).matches()) {
      throw doc.error(pointer, "name '" + name + "' must be lower-case letters, digits, '-' or '.', at most 63 characters");
    }
    return name;
  }

  /** OpenSLO v1 limits every description to 1050 characters. */
  private static final int MAX_DESCRIPTION = 1050;

  /** An optional description: "" when absent. */
  private static String description(LocatedYaml.Doc doc, String pointer) throws SloSpecException {
    String d = text(doc, pointer, false);
    int length = d.codePointCount(0, d.length());
    if (length > MAX_DESCRIPTION) {
      throw doc.error(pointer, "description holds " + length + " characters, more than OpenSLO's " + MAX_DESCRIPTION);
    }
    return d;
  }

  private static String text(LocatedYaml.Doc doc, String pointer, boolean required) throws SloSpecException {
    JsonNode n = doc.node().at(pointer);
    if (n.isMissingNode() || n.isNull()) {
      if (required) {
        throw doc.error(pointer, pointer.substring(1).replace('/', '.') + " is required");
      }
      return "";
    }
    if (!n.isValueNode()) {
      throw doc.error(pointer, pointer.substring(1).replace('/', '.') + " must be a string");
    }
    return n.asText();
  }

  private static double number(LocatedYaml.Doc doc, String pointer) throws SloSpecException {
    JsonNode n = doc.node().at(pointer);
    if (!n.isNumber()) {
      throw doc.error(pointer, pointer.substring(1).replace('/', '.') + " must be a number");
    }
    return n.asDouble();
  }

  private static Duration duration(LocatedYaml.Doc doc, String pointer) throws SloSpecException {
    String text = text(doc, pointer, true);
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw doc.error(pointer, e.getMessage());
    }
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }
}
