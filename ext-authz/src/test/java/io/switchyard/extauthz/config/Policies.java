package io.switchyard.extauthz.config;

import io.switchyard.extauthz.policy.AuthzEvaluator;
import io.switchyard.extauthz.policy.AuthzInput;
import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.policy.TrustDomains;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.RequestIdentity;
import io.switchyard.serverkit.config.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helper: policies from inline YAML, evaluated the way the server does. */
public final class Policies {
  private Policies() {}

  public static PolicySet load(String yaml) throws ConfigException {
    return load(yaml, TrustDomains.DEFAULT);
  }

  public static PolicySet load(String yaml, TrustDomains trustDomains) throws ConfigException {
    return load(yaml, new PolicyLoader(PolicyLoader.DEFAULT_ROOT_NAMESPACE, trustDomains));
  }

  /** Writes the YAML to a folder of its own, loads it, and deletes the folder (thousands of tests call this). */
  public static PolicySet load(String yaml, PolicyLoader loader) throws ConfigException {
    Path dir = null;
    Path file = null;
    try {
      dir = Files.createTempDirectory("authz");
      file = Files.writeString(dir.resolve("policies.yaml"), yaml);
      return loader.load(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteIfThere(file);
      deleteIfThere(dir);
    }
  }

  private static void deleteIfThere(Path p) {
    if (p == null) return;
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + p, e);
    }
  }

  public static AuthzOutcome evaluate(PolicySet set, RequestAttributes r, RequestIdentity id) {
    return AuthzEvaluator.evaluate(set.forWorkload(r.workload()).authorizationPolicies(), new AuthzInput(r, id));
  }

  public static AuthzOutcome evaluate(PolicySet set, RequestAttributes r) {
    return evaluate(set, r, RequestIdentity.NONE);
  }
}
