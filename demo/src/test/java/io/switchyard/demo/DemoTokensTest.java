package io.switchyard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import io.switchyard.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DemoTokensTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T10:00:00Z"));
  private DemoTokens tokens;

  @BeforeEach
  void start() throws Exception {
    tokens = new DemoTokens("127.0.0.1", 0, clock);
  }

  @AfterEach
  void stop() {
    tokens.close();
  }

  @Test
  void aUserKeepsItsTokenUntilHalfItsLifetimeHasPassed() throws Exception {
    String first = tokens.token("alice", false);
    clock.advance(Duration.ofMinutes(29));
    assertThat(tokens.token("alice", false)).isSameAs(first);

    clock.advance(Duration.ofMinutes(1));
    String renewed = tokens.token("alice", false);
    assertThat(renewed).isNotEqualTo(first);
    assertThat(SignedJWT.parse(renewed).getJWTClaimsSet().getExpirationTime().toInstant())
        .isEqualTo(Instant.parse("2026-11-28T11:30:00Z"));
  }

  @Test
  void eachUserAndTheExpiredVariantHaveTheirOwnToken() throws Exception {
    String alice = tokens.token("alice", false);
    String bob = tokens.token("bob", false);
    String expired = tokens.token("alice", true);

    assertThat(SignedJWT.parse(alice).getJWTClaimsSet().getSubject()).isEqualTo("alice");
    assertThat(SignedJWT.parse(bob).getJWTClaimsSet().getSubject()).isEqualTo("bob");
    assertThat(SignedJWT.parse(expired).getJWTClaimsSet().getExpirationTime().toInstant())
        .isEqualTo(Instant.parse("2026-11-28T09:00:00Z"));
    assertThat(tokens.token("alice", true)).isSameAs(expired);
    assertThat(tokens.token("alice", false)).isSameAs(alice);
  }
}
