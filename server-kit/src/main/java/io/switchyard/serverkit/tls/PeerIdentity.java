package io.switchyard.serverkit.tls;

import io.grpc.Grpc;
import io.grpc.ServerCall;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** The identities a verified TLS peer presented: its URI SANs (SPIFFE ids) and DNS SANs. */
public final class PeerIdentity {
  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;

  private PeerIdentity() {}

  /** URI and DNS subject alternative names of the call's peer certificate; empty when not mTLS. */
  public static List<String> subjectAltNames(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    return session == null ? List.of() : subjectAltNames(session);
  }

  public static List<String> subjectAltNames(SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        return List.of();
      }
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans == null) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      for (List<?> san : sans) {
        int type = (Integer) san.get(0);
        if (type == SAN_URI || type == SAN_DNS) {
          out.add(String.valueOf(san.get(1)));
        }
      }
      return List.copyOf(out);
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    } catch (CertificateParsingException e) {
      throw new IllegalStateException("peer certificate has unreadable SANs", e);
    }
  }
}
