package io.switchyard.extauthz.policy;

import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.yaml.Doc;
import io.switchyard.serverkit.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Parses and validates {@code kind: AuthorizationPolicy} documents as Istio's validation would. */
public final class AuthorizationPolicyParser {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizationPolicyParser.class);
  public static final String DRY_RUN_ANNOTATION = "istio.io/dry-run";
  private static final Set<String> SPEC_KEYS = Set.of("selector", "targetRef", "targetRefs", "action", "provider", "rules");
  private static final Set<String> RULE_KEYS = Set.of("from", "to", "when");
  /** What Go's strconv.ParseBool reads as true and false; anything else is an error. */
  private static final Set<String> TRUE = Set.of("1", "t", "T", "TRUE", "true", "True");
  private static final Set<String> FALSE = Set.of("0", "f", "F", "FALSE", "false", "False");
  private static final Set<String> SOURCE_KEYS = Set.of("principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals",
      "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks");
  private static final Set<String> OPERATION_KEYS = Set.of("hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths");
  private static final Set<String> CONDITION_KEYS = Set.of("key", "values", "notValues");
  private static final String HEADERS_PREFIX = "request.headers";
  private static final String CLAIMS_PREFIX = "request.auth.claims";
  private static final String ENVOY_FILTER_PREFIX = "experimental.envoy.filters.";

  private AuthorizationPolicyParser() {}

  public static AuthorizationPolicy parse(Doc doc, Resources.Header h) throws ConfigException {
    return parse(doc, h, TrustDomains.DEFAULT);
  }

  public static AuthorizationPolicy parse(Doc doc, Resources.Header h, TrustDomains trustDomains) throws ConfigException {
    doc.onlyKeys("/spec", "AuthorizationPolicy spec", SPEC_KEYS);
    String dry = h.annotations().get(DRY_RUN_ANNOTATION);
    String actionText = doc.string("/spec/action", "action", false);
    Action action;
    if (actionText == null) {
      action = Action.ALLOW;
    } else if (actionText.equals("CUSTOM")) {
      throw doc.error("/spec/action", "action CUSTOM is not supported: Switchyard is itself the ext_authz provider; "
          + "express the policy as ALLOW/DENY rules or call the other provider from Envoy directly");
    } else {
      try {
        action = Action.valueOf(actionText);
      } catch (IllegalArgumentException e) {
        throw doc.error("/spec/action", "unknown action '" + actionText + "' (expected ALLOW, DENY or AUDIT)");
      }
    }
    // Istio's checkDryRunAnnotation: only ALLOW and DENY take it, its value read by Go's strconv.ParseBool.
    boolean dryRun = false;
    if (dry != null) {
      String at = "/metadata/annotations/" + Doc.escape(DRY_RUN_ANNOTATION);
      if (action == Action.AUDIT) {
        throw doc.error(at, DRY_RUN_ANNOTATION + " is only supported with action ALLOW or DENY, not AUDIT");
      }
      if (TRUE.contains(dry)) {
        dryRun = true;
      } else if (!FALSE.contains(dry)) {
        throw doc.error(at, DRY_RUN_ANNOTATION + " must be a boolean (true/false, True/False, TRUE/FALSE, t/f, T/F, 1/0), not '" + dry + "'");
      }
    }
    if (doc.has("/spec/provider")) {
      throw doc.error("/spec/provider", "provider is only valid with action CUSTOM, which Switchyard does not support");
    }
    Scope scope = Resources.scope(doc, h.namespace());
    int n = doc.listSize("/spec/rules", "rules");
    if (n == 0 && action == Action.DENY) {
      throw doc.error("/spec", "a DENY policy must have rules (Istio rejects it; an ALLOW policy without rules denies everything)");
    }
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rules.add(rule(doc, "/spec/rules/" + i, h.namespace(), trustDomains));
    }
    return new AuthorizationPolicy(h.name(), h.namespace(), action, dryRun, scope, rules, doc.file() + ":" + h.line());
  }

  private static Rule rule(Doc doc, String p, String ns, TrustDomains td) throws ConfigException {
    if (doc.at(p).isNull()) {
      // A bare '-' under rules. Istio's validation rejects it ("`rule` must not be nil"); taken as {} it
      // would make an ALLOW policy allow, or a DENY policy deny, every request.
      throw doc.error(p, "a rule must not be empty (null); write {} for a rule that matches every request");
    }
    doc.onlyKeys(p, "rule", RULE_KEYS);
    List<List<Field>> from = new ArrayList<>();
    int nf = doc.listSize(p + "/from", "from");
    for (int i = 0; i < nf; i++) {
      String fp = p + "/from/" + i;
      doc.onlyKeys(fp, "from", Set.of("source"));
      if (!doc.has(fp + "/source") || doc.at(fp + "/source").isEmpty()) {
        throw doc.error(fp, "from.source must not be empty");
      }
      List<Field> source = source(doc, fp + "/source", ns, td);
      if (source.isEmpty()) {
        // Istio counts values: a source whose fields are all empty lists is as empty as {}.
        throw doc.error(fp, "from.source must not be empty");
      }
      from.add(source);
    }
    List<List<Field>> to = new ArrayList<>();
    int nt = doc.listSize(p + "/to", "to");
    for (int i = 0; i < nt; i++) {
      String tp = p + "/to/" + i;
      doc.onlyKeys(tp, "to", Set.of("operation"));
      if (!doc.has(tp + "/operation") || doc.at(tp + "/operation").isEmpty()) {
        throw doc.error(tp, "to.operation must not be empty");
      }
      List<Field> operation = operation(doc, tp + "/operation");
      if (operation.isEmpty()) {
        throw doc.error(tp, "to.operation must not be empty");
      }
      to.add(operation);
    }
    List<Field> when = new ArrayList<>();
    int nw = doc.listSize(p + "/when", "when");
    for (int i = 0; i < nw; i++) {
      when.add(condition(doc, p + "/when/" + i, ns, td));
    }
    return new Rule(from, to, when);
  }

  private static List<Field> source(Doc doc, String p, String ns, TrustDomains td) throws ConfigException {
    doc.onlyKeys(p, "source", SOURCE_KEYS);
    boolean sa = doc.has(p + "/serviceAccounts") || doc.has(p + "/notServiceAccounts");
    if (sa && (doc.has(p + "/principals") || doc.has(p + "/notPrincipals") || doc.has(p + "/namespaces") || doc.has(p + "/notNamespaces"))) {
      throw doc.error(p, "cannot set serviceAccounts with namespaces or principals");
    }
    List<Field> out = new ArrayList<>();
    AttributeRef principal = AttributeRef.of(AttributeRef.Kind.SOURCE_PRINCIPAL);
    add(out, doc, p, "principals", principal, false, v -> principalIn(td, v));
    add(out, doc, p, "namespaces", principal, false, Matchers::namespace);
    for (String key : List.of("serviceAccounts", "notServiceAccounts")) {
      for (String v : doc.strings(p + "/" + key, key)) {
        checkServiceAccount(doc, p + "/" + key, key, v);
      }
    }
    add(out, doc, p, "serviceAccounts", principal, false, v -> Matchers.serviceAccount(v, ns));
    for (String key : List.of("trustDomains", "notTrustDomains")) {
      List<String> values = doc.strings(p + "/" + key, key);
      for (int i = 0; i < values.size(); i++) {
        checkTrustDomain(doc, p + "/" + key + "/" + i, key, values.get(i), true);
      }
    }
    add(out, doc, p, "trustDomains", principal, false, v -> trustDomainIn(td, v));
    add(out, doc, p, "requestPrincipals", AttributeRef.of(AttributeRef.Kind.IDENTITY), true, Matchers::requestPrincipal);
    addIp(out, doc, p, "ipBlocks", AttributeRef.Kind.SOURCE_IP, Matchers::sourceIp);
    addIp(out, doc, p, "remoteIpBlocks", AttributeRef.Kind.REMOTE_IP, Matchers::remoteIp);
    return out;
  }

  private static List<Field> operation(Doc doc, String p) throws ConfigException {
    doc.onlyKeys(p, "operation", OPERATION_KEYS);
    List<Field> out = new ArrayList<>();
    add(out, doc, p, "hosts", AttributeRef.of(AttributeRef.Kind.HOST), true, Matchers::host);
    for (String key : List.of("ports", "notPorts")) {
      for (String v : doc.strings(p + "/" + key, key)) {
        port(doc, p + "/" + key, v);
      }
    }
    add(out, doc, p, "ports", AttributeRef.of(AttributeRef.Kind.DESTINATION_PORT), false, v -> Matchers.destinationPort(parsePort(v)));
    add(out, doc, p, "methods", AttributeRef.of(AttributeRef.Kind.METHOD), true, Matchers::method);
    for (String key : List.of("paths", "notPaths")) {
      List<String> values = doc.strings(p + "/" + key, key);
      for (int i = 0; i < values.size(); i++) {
        try {
          PathMatch.parse(values.get(i));
        } catch (IllegalArgumentException e) {
          throw doc.error(p + "/" + key + "/" + i, key + " value '" + values.get(i) + "' is not valid: " + e.getMessage());
        }
      }
    }
    add(out, doc, p, "paths", AttributeRef.of(AttributeRef.Kind.PATH), true, v -> Matchers.path(PathMatch.parse(v)));
    return out;
  }

  private static Field condition(Doc doc, String p, String ns, TrustDomains td) throws ConfigException {
    doc.onlyKeys(p, "condition", CONDITION_KEYS);
    String key = doc.string(p + "/key", "when.key", true);
    List<String> values = doc.strings(p + "/values", "values");
    List<String> notValues = doc.strings(p + "/notValues", "notValues");
    if (values.isEmpty() && notValues.isEmpty()) {
      throw doc.error(p, "condition '" + key + "' needs values or notValues");
    }
    Function<String, Predicate<AuthzInput>> f;
    AttributeRef ref;
    boolean http = false;
    boolean headers = key.startsWith(HEADERS_PREFIX);
    boolean claims = key.startsWith(CLAIMS_PREFIX);
    boolean envoyFilter = key.startsWith(ENVOY_FILTER_PREFIX);
    if (headers || claims || envoyFilter) {
      checkMapKey(doc, p + "/key", key, envoyFilter ? ENVOY_FILTER_PREFIX + "<filter>[<key>]"
          : headers ? HEADERS_PREFIX + "[<name>]" : CLAIMS_PREFIX + "[<name>][<nested>]...");
    }
    if (headers) {
      String name = nameInBrackets(key.substring(HEADERS_PREFIX.length()));
      if (name == null) {
        return dropped(doc, p, key);
      }
      // Envoy's header matcher lower-cases its name as absl::AsciiStrToLower does: A-Z only.
      String lowered = StringMatch.asciiLower(name);
      // Envoy's request header map has no "host": Host is stored as :authority, and looking "host" up finds it.
      String lower = lowered.equals("host") ? RequestAttributes.AUTHORITY : lowered;
      ref = new AttributeRef(AttributeRef.Kind.HEADER, lower);
      f = v -> Matchers.header(lower, v);
      http = true;
    } else if (envoyFilter) {
      // Istio's envoyFilterGenerator: drop "experimental." and one trailing ']', split at the first '['.
      String rest = key.substring("experimental.".length(), key.length() - 1);
      int open = rest.indexOf('[');
      String filter = rest.substring(0, open);
      String metaKey = rest.substring(open + 1);
      ref = new AttributeRef(AttributeRef.Kind.METADATA, filter + "[" + metaKey + "]");
      f = v -> Matchers.metadata(filter, metaKey, v);
    } else if (claims) {
      List<String> path = namesInNestedBrackets(key.substring(CLAIMS_PREFIX.length()));
      if (path == null) {
        return dropped(doc, p, key);
      }
      ref = AttributeRef.of(AttributeRef.Kind.IDENTITY);
      f = v -> Matchers.claim(path, v);
      http = true;
    } else {
      switch (key) {
        case "source.ip":
        case "remote.ip":
        case "destination.ip":
          for (String v : concat(values, notValues)) {
            if (IpBlock.parse(v) == null) {
              throw doc.error(p, key + " value '" + v + "' is not an IP address or CIDR block");
            }
          }
          ref = AttributeRef.of(key.equals("source.ip") ? AttributeRef.Kind.SOURCE_IP
              : key.equals("remote.ip") ? AttributeRef.Kind.REMOTE_IP : AttributeRef.Kind.DESTINATION_IP);
          f = key.equals("source.ip") ? v -> Matchers.sourceIp(IpBlock.parse(v))
              : key.equals("remote.ip") ? v -> Matchers.remoteIp(IpBlock.parse(v)) : v -> Matchers.destinationIp(IpBlock.parse(v));
          break;
        case "source.namespace":
          ref = AttributeRef.of(AttributeRef.Kind.SOURCE_PRINCIPAL);
          f = Matchers::namespace;
          break;
        case "source.serviceAccount":
          for (String v : concat(values, notValues)) {
            checkServiceAccount(doc, p, key, v);
          }
          ref = AttributeRef.of(AttributeRef.Kind.SOURCE_PRINCIPAL);
          f = v -> Matchers.serviceAccount(v, ns);
          break;
        case "source.principal":
          ref = AttributeRef.of(AttributeRef.Kind.SOURCE_PRINCIPAL);
          f = v -> principalIn(td, v);
          break;
        case "source.trustDomain":
          // Istio's ValidateAttribute checks this key with CheckWildcardValues only: unlike the trustDomains field, a '/' is accepted.
          for (String list : List.of("values", "notValues")) {
            List<String> vs = list.equals("values") ? values : notValues;
            for (int i = 0; i < vs.size(); i++) {
              checkTrustDomain(doc, p + "/" + list + "/" + i, key, vs.get(i), false);
            }
          }
          ref = AttributeRef.of(AttributeRef.Kind.SOURCE_PRINCIPAL);
          f = v -> trustDomainIn(td, v);
          break;
        case "request.auth.principal":
          ref = AttributeRef.of(AttributeRef.Kind.IDENTITY);
          f = Matchers::requestPrincipal;
          http = true;
          break;
        case "request.auth.audiences":
          ref = AttributeRef.of(AttributeRef.Kind.IDENTITY);
          f = Matchers::audience;
          http = true;
          break;
        case "request.auth.presenter":
          ref = AttributeRef.of(AttributeRef.Kind.IDENTITY);
          f = Matchers::presenter;
          http = true;
          break;
        case "destination.port":
          for (String v : concat(values, notValues)) {
            port(doc, p, v);
          }
          ref = AttributeRef.of(AttributeRef.Kind.DESTINATION_PORT);
          f = v -> Matchers.destinationPort(parsePort(v));
          break;
        case "connection.sni":
          ref = AttributeRef.of(AttributeRef.Kind.SNI);
          f = Matchers::sni;
          break;
        default:
          throw doc.error(p + "/key", "unknown condition key '" + key + "' (supported: request.headers[<name>], source.ip, remote.ip, "
              + "source.namespace, source.serviceAccount, source.trustDomain, source.principal, request.auth.principal, request.auth.audiences, request.auth.presenter, "
              + "request.auth.claims[<name>]..., destination.ip, destination.port, connection.sni, "
              + "experimental.envoy.filters.<filter>[<key>])");
      }
    }
    List<Predicate<AuthzInput>> pos = new ArrayList<>();
    for (String v : values) {
      pos.add(f.apply(v));
    }
    List<Predicate<AuthzInput>> neg = new ArrayList<>();
    for (String v : notValues) {
      neg.add(f.apply(v));
    }
    return new Field(key, ref, http, pos, neg);
  }

  /**
   * Istio's validateMapKey: the key ends with ']', has a '[' after its first character, and the first '[' is not
   * right before that last ']'. Brackets are not checked for balance (the generator reads what is there).
   */
  private static void checkMapKey(Doc doc, String p, String key, String form) throws ConfigException {
    int open = key.indexOf('[');
    if (!(key.endsWith("]") && open > 0 && open < key.length() - 2)) {
      throw doc.error(p, "condition key '" + key + "' must look like " + form
          + " (a name in brackets, nothing after the last ']')");
    }
  }

  /** Istio's extractNameInBrackets: {@code [name]}, the name being everything between the outer brackets; else null. */
  private static String nameInBrackets(String s) {
    if (!s.startsWith("[") || !s.endsWith("]") || s.length() < 2) {
      return null;
    }
    return s.substring(1, s.length() - 1);
  }

  /**
   * Istio's extractNameInNestedBrackets: {@code [a][b]…} read left to right, each name up to the next ']' and
   * without a '['; when that fails anywhere, the whole text is one {@code [name]} (so {@code [a[b]]} is the claim
   * {@code a[b]}). Null when it is not even that.
   */
  private static List<String> namesInNestedBrackets(String s) {
    List<String> names = new ArrayList<>();
    int begin = 0;
    while (begin < s.length()) {
      int end = -1;
      if (s.charAt(begin) == '[') {
        for (int i = begin + 1; i < s.length(); i++) {
          char c = s.charAt(i);
          if (c == '[') {
            break;
          }
          if (c == ']') {
            end = i;
            break;
          }
        }
      }
      if (end < 0) {
        String one = nameInBrackets(s);
        return one == null ? null : List.of(one);
      }
      names.add(s.substring(begin + 1, end));
      begin = end + 1;
    }
    return names;
  }

  /**
   * A key that passes Istio's validation but that its generator cannot read ({@code request.headersX[a]}):
   * Istio logs it and skips the rule (ALLOW) or leaves out just this condition (DENY, AUDIT); so do we.
   */
  private static Field dropped(Doc doc, String p, String key) {
    LOG.warn("{}: condition key '{}' cannot be matched (Istio accepts it but generates nothing for it): an ALLOW rule "
        + "holding it never matches, a DENY or AUDIT rule ignores this condition", doc.file() + ":" + doc.lineOf(p + "/key"), key);
    return Field.dropped(key);
  }

  /** Istio's CheckServiceAccount: {@code name} or {@code namespace/name}, both parts non-empty, no wildcard. */
  private static void checkServiceAccount(Doc doc, String p, String key, String v) throws ConfigException {
    int slash = v.indexOf('/');
    if (v.contains("*") || (slash >= 0 && (slash == 0 || slash == v.length() - 1 || v.indexOf('/', slash + 1) >= 0))) {
      throw doc.error(p, key + " value '" + v + "' must be 'namespace/name' or 'name', without wildcards");
    }
  }

  /**
   * Istio's CheckTrustDomainValues ({@code slashForbidden}, the trustDomains fields) or CheckWildcardValues
   * (the source.trustDomain key): at most one '*', only at the start or end, and for the fields no '/'.
   */
  private static void checkTrustDomain(Doc doc, String p, String key, String v, boolean slashForbidden) throws ConfigException {
    int stars = 0;
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) == '*') {
        stars++;
      }
    }
    if (stars > 1) {
      throw doc.error(p, key + " value '" + v + "': at most one wildcard is allowed");
    }
    if (stars == 1 && !v.startsWith("*") && !v.endsWith("*")) {
      throw doc.error(p, key + " value '" + v + "': wildcard is only allowed at the start or end");
    }
    if (slashForbidden && v.indexOf('/') >= 0) {
      throw doc.error(p, key + " value '" + v + "': a trust domain must not contain '/' (write the trust domain alone, without spiffe:// or a path)");
    }
  }

  /**
   * A trust domain value widened as Istio's MigrateTrustDomain does (ExpandTrustDomainAliases): a value
   * equal to the mesh trust domain or one of its aliases stands for all of them; any other value as written.
   */
  private static Predicate<AuthzInput> trustDomainIn(TrustDomains td, String v) {
    return anyOf(td.expandTrustDomain(v), Matchers::trustDomain);
  }

  /** A principal value widened to the mesh's trust domain aliases: matches if any alias form matches. */
  private static Predicate<AuthzInput> principalIn(TrustDomains td, String v) {
    return anyOf(td.expand(v), Matchers::principal);
  }

  /** Matches when the matcher of any of {@code forms} does (built once, at load). */
  private static Predicate<AuthzInput> anyOf(List<String> forms, Function<String, Predicate<AuthzInput>> matcher) {
    if (forms.size() == 1) {
      return matcher.apply(forms.get(0));
    }
    @SuppressWarnings("unchecked")
    Predicate<AuthzInput>[] any = new Predicate[forms.size()];
    for (int i = 0; i < any.length; i++) {
      any[i] = matcher.apply(forms.get(i));
    }
    return in -> {
      for (Predicate<AuthzInput> m : any) {
        if (m.test(in)) {
          return true;
        }
      }
      return false;
    };
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static void port(Doc doc, String p, String v) throws ConfigException {
    if (parsePort(v) < 0) {
      throw doc.error(p, "port '" + v + "' is not a number between 0 and 65535");
    }
  }

  /**
   * A port as Istio reads it (strconv.ParseUint, base 10, then at most 65535): ASCII digits only, no sign
   * or spaces; leading zeros are fine. -1 when invalid. (Integer.parseInt would take "+80" and non-ASCII digits.)
   */
  static int parsePort(String v) {
    if (v.isEmpty()) {
      return -1;
    }
    int port = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      port = port * 10 + (c - '0');
      if (port > 65535) {
        return -1;
      }
    }
    return port;
  }

  private interface IpPredicate {
    Predicate<AuthzInput> of(IpBlock b);
  }

  private static void addIp(List<Field> out, Doc doc, String p, String key, AttributeRef.Kind kind, IpPredicate f) throws ConfigException {
    String notKey = "not" + Character.toUpperCase(key.charAt(0)) + key.substring(1);
    for (String k : List.of(key, notKey)) {
      for (String v : doc.strings(p + "/" + k, k)) {
        if (IpBlock.parse(v) == null) {
          throw doc.error(p + "/" + k, k + " value '" + v + "' is not an IP address or CIDR block");
        }
      }
    }
    add(out, doc, p, key, AttributeRef.of(kind), false, v -> f.of(IpBlock.parse(v)));
  }

  /** Adds the field {@code key} with its {@code notKey} counterpart when either is set. */
  private static void add(List<Field> out, Doc doc, String p, String key, AttributeRef ref, boolean http,
      Function<String, Predicate<AuthzInput>> f) throws ConfigException {
    String notKey = "not" + Character.toUpperCase(key.charAt(0)) + key.substring(1);
    List<String> values = doc.strings(p + "/" + key, key);
    List<String> notValues = doc.strings(p + "/" + notKey, notKey);
    if (values.isEmpty() && notValues.isEmpty()) {
      return;
    }
    List<Predicate<AuthzInput>> pos = new ArrayList<>();
    for (String v : values) {
      pos.add(f.apply(v));
    }
    List<Predicate<AuthzInput>> neg = new ArrayList<>();
    for (String v : notValues) {
      neg.add(f.apply(v));
    }
    out.add(new Field(key, ref, http, pos, neg));
  }
}
