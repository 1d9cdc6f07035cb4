package io.switchyard.extauthz.config;

import io.switchyard.extauthz.authn.RequestAuthentication;
import io.switchyard.extauthz.authn.RequestAuthenticationParser;
import io.switchyard.extauthz.policy.AuthorizationPolicy;
import io.switchyard.extauthz.policy.AuthorizationPolicyParser;
import io.switchyard.extauthz.policy.Resources;
import io.switchyard.extauthz.policy.TrustDomains;
import io.switchyard.extauthz.yaml.Doc;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigLoader;
import io.switchyard.serverkit.config.ConfigFiles;
import io.switchyard.serverkit.config.ConfigReloader;
import io.switchyard.serverkit.config.LocatedNode;
import io.switchyard.serverkit.config.YamlConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every {@code *.yaml}/{@code *.yml} file under a folder (or one file) of Istio resources into a
 * {@link PolicySet}. All-or-nothing: one bad document rejects the whole set with {@code file:line}.
 */
public final class PolicyLoader implements ConfigLoader<PolicySet> {
  public static final String DEFAULT_ROOT_NAMESPACE = "istio-system";
  private static final Logger LOG = LoggerFactory.getLogger(PolicyLoader.class);

  private final String rootNamespace;
  private final TrustDomains trustDomains;

  public PolicyLoader(String rootNamespace) {
    this(rootNamespace, TrustDomains.DEFAULT);
  }

  public PolicyLoader(String rootNamespace, TrustDomains trustDomains) {
    this.rootNamespace = rootNamespace;
    this.trustDomains = trustDomains;
  }

  @Override
  public PolicySet load(Path path) throws ConfigException {
    List<Path> files = files(path);
    List<AuthorizationPolicy> authz = new ArrayList<>();
    List<RequestAuthentication> authn = new ArrayList<>();
    Map<String, String> seen = new HashMap<>();
    MessageDigest digest = sha256();
    for (Path f : files) {
      try {
        digest.update(path.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        ConfigReloader.checkSize(f);
        digest.update(Files.readAllBytes(f));
      } catch (IOException e) {
        throw new ConfigException(f, 0, 0, "cannot read: " + ConfigFiles.why(e), e);
      } catch (IllegalArgumentException e) {
        digest.update(f.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      for (LocatedNode node : YamlConfig.readLocatedTrees(f)) {
        Doc doc = new Doc(node);
        if (node.node().isNull() || (node.node().isTextual() && node.node().asText().isBlank())) {
          continue;
        }
        if (!node.node().isObject()) {
          throw doc.error("", "expected a Kubernetes resource (a mapping with apiVersion, kind, metadata, spec)");
        }
        if ("PeerAuthentication".equals(node.node().path("kind").asText())) {
          LOG.info("{}:{}: PeerAuthentication ignored: mTLS is enforced by Envoy, not by ext_authz", f, doc.lineOf(""));
          continue;
        }
        Resources.Header h = Resources.header(doc);
        String key = h.kind() + " " + h.namespace() + "/" + h.name();
        String previous = seen.putIfAbsent(key, f + ":" + h.line());
        if (previous != null) {
          throw doc.error("/metadata/name", key + " is already defined at " + previous);
        }
        switch (h.kind()) {
          case "AuthorizationPolicy":
            authz.add(AuthorizationPolicyParser.parse(doc, h, trustDomains));
            break;
          case "RequestAuthentication":
            authn.add(RequestAuthenticationParser.parse(doc, h));
            break;
          default:
            throw doc.error("/kind", "unsupported kind '" + h.kind() + "' (expected AuthorizationPolicy or RequestAuthentication)");
        }
      }
    }
    String revision = HexFormat.of().formatHex(digest.digest()).substring(0, 12);
    return new PolicySet(revision, rootNamespace, authz, authn);
  }

  private static List<Path> files(Path path) throws ConfigException {
    if (!Files.exists(path)) {
      throw new ConfigException(path, 0, 0, "policy path does not exist");
    }
    if (Files.isRegularFile(path)) {
      return List.of(path);
    }
    try {
      // The files the reloader watches: links followed (a ConfigMap's keys and items subfolders), hidden names
      // (the kubelet's ..<timestamp> copies) skipped.
      return ConfigReloader.visibleFiles(path).stream()
          .filter(p -> p.getFileName().toString().endsWith(".yaml") || p.getFileName().toString().endsWith(".yml"))
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new ConfigException(path, 0, 0, "cannot list: " + ConfigFiles.why(e), e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
