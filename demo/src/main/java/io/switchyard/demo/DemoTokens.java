package io.switchyard.demo;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.serverkit.http.HttpServerKit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's identity provider: an RSA key generated at start, its JWKS served on loopback (the demo
 * policies' {@code jwksUri}), and signed tokens for the demo users. One user's token is expired, so
 * that some requests are refused as unauthenticated.
 *
 * <p>A user's token is reused until half its hour has passed, as a client keeps its access token:
 * signing one per request cost the demo's traffic thread about a millisecond each, so at a few hundred
 * requests a second, while the JVM was still compiling, it fell tens of seconds behind its rate.
 */
final class DemoTokens implements AutoCloseable {
  static final String ISSUER = "https://auth.storefront.demo";
  static final String AUDIENCE = "storefront";
  static final String JWKS_PATH = "/.well-known/jwks.json";
  /** How long a token is valid; it is signed again once half of this has passed. */
  static final Duration LIFETIME = Duration.ofHours(1);

  private final RSAKey key;
  private final HttpServerKit server;
  private final Clock clock;
  private final Map<String, Minted> minted = new HashMap<>();

  private record Minted(String token, Instant renewAt) {}

  DemoTokens(String host, int port) throws IOException {
    this(host, port, Clock.systemUTC());
  }

  DemoTokens(String host, int port, Clock clock) throws IOException {
    this.clock = clock;
    try {
      key = new RSAKeyGenerator(2048).keyID("storefront-demo-1").keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate the demo signing key", e);
    }
    byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
    server = HttpServerKit.builder("demo-jwks", port).host(host).threads(1)
        .route(JWKS_PATH, ex -> HttpResponses.send(ex, 200, "application/json", jwks))
        .build().start();
  }

  int port() {
    return server.port();
  }

  /** A token for {@code user}, valid for an hour from when it was signed (or expired an hour before). */
  synchronized String token(String user, boolean expired) {
    Instant now = clock.instant();
    String holder = expired ? user + " (expired)" : user;
    Minted m = minted.get(holder);
    if (m == null || !now.isBefore(m.renewAt())) {
      m = new Minted(sign(user, expired, now), now.plus(LIFETIME.dividedBy(2)));
      minted.put(holder, m);
    }
    return m.token();
  }

  private String sign(String user, boolean expired, Instant now) {
    Instant exp = expired ? now.minus(LIFETIME) : now.plus(LIFETIME);
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER).subject(user).audience(List.of(AUDIENCE))
        .issueTime(Date.from(now.minus(Duration.ofHours(2)))).expirationTime(Date.from(exp))
        .claim("scope", "storefront.read storefront.write").claim("groups", List.of("customers"))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a demo token", e);
    }
    return jwt.serialize();
  }

  @Override
  public void close() {
    server.close();
  }
}
