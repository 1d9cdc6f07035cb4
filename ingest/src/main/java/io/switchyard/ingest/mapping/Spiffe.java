package io.switchyard.ingest.mapping;

import java.util.List;

/** SPIFFE ids in Istio's form {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>}. */
final class Spiffe {
  private Spiffe() {}

  /** The first SPIFFE URI among certificate SANs, or "". */
  static String first(List<String> uriSans) {
    for (String san : uriSans) {
      if (san.startsWith("spiffe://")) {
        return san;
      }
    }
    return "";
  }

  /** The namespace part of an Istio SPIFFE id, or "". */
  static String namespace(String spiffeId) {
    int ns = spiffeId.indexOf("/ns/");
    if (!spiffeId.startsWith("spiffe://") || ns < 0) {
      return "";
    }
    int end = spiffeId.indexOf('/', ns + 4);
    return end < 0 ? spiffeId.substring(ns + 4) : spiffeId.substring(ns + 4, end);
  }

  /** The service account part of an Istio SPIFFE id, or "". */
  static String serviceAccount(String spiffeId) {
    int sa = spiffeId.indexOf("/sa/");
    if (!spiffeId.startsWith("spiffe://") || sa < 0) {
      return "";
    }
    return spiffeId.substring(sa + 4);
  }
}
