package io.switchyard.extauthz.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** A real HTTP issuer on loopback: OIDC discovery, a JWKS endpoint that tests can rotate or break, and a signer. */
public final class JwksServer implements AutoCloseable {
  private final HttpServer server;
  private volatile List<RSAKey> published;
  private volatile List<com.nimbusds.jose.jwk.JWK> extra = List.of();
  private volatile boolean down;
  private volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);
  public final AtomicInteger jwksHits = new AtomicInteger();

  public JwksServer() throws IOException, JOSEException {
    published = List.of(newKey("k1"));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/jwks", ex -> {
      jwksHits.incrementAndGet();
      try {
        gate.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (down) {
        respond(ex, 503, "{}");
        return;
      }
      List<com.nimbusds.jose.jwk.JWK> keys = new java.util.ArrayList<>(published.stream().map(RSAKey::toPublicJWK).toList());
      keys.addAll(extra);
      respond(ex, 200, new JWKSet(keys).toString());
    });
    server.createContext("/.well-known/openid-configuration", ex -> respond(ex, down ? 503 : 200,
        "{\"issuer\":\"" + issuer() + "\",\"jwks_uri\":\"" + issuer() + "/jwks\"}"));
    server.start();
  }

  private static void respond(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  public static RSAKey newKey(String kid) throws JOSEException {
    return new RSAKeyGenerator(2048).keyID(kid).generate();
  }

  public String issuer() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public String jwksUri() {
    return issuer() + "/jwks";
  }

  public RSAKey key() {
    return published.get(0);
  }

  public void publish(RSAKey... keys) {
    published = List.of(keys);
  }

  /** Also publishes these (public) keys of other types, e.g. Ed25519. */
  public void publishExtra(com.nimbusds.jose.jwk.JWK... keys) {
    extra = List.of(keys);
  }

  /** Holds JWKS responses until the returned latch is counted down. */
  public java.util.concurrent.CountDownLatch hold() {
    gate = new java.util.concurrent.CountDownLatch(1);
    return gate;
  }

  public void setDown(boolean down) {
    this.down = down;
  }

  public String token(Consumer<JWTClaimsSet.Builder> claims) throws JOSEException {
    return token(key(), claims);
  }

  public String token(RSAKey signer, Consumer<JWTClaimsSet.Builder> claims) throws JOSEException {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(issuer()).subject("alice")
        .expirationTime(java.util.Date.from(Instant.now().plusSeconds(3600)));
    claims.accept(b);
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signer.getKeyID()).build(), b.build());
    jwt.sign(new RSASSASigner(signer));
    return jwt.serialize();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
