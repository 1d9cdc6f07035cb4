package io.switchyard.flinkjobs.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NodeNamesTest {
  @Test
  void ipv4AndIpv6AddressesWithOrWithoutPortAreAddresses() {
    assertThat(NodeNames.isAddress("10.0.3.7")).isTrue();
    assertThat(NodeNames.isAddress("10.0.3.7:8080")).isTrue();
    assertThat(NodeNames.isAddress("2001:db8::5")).isTrue();
    assertThat(NodeNames.isAddress("::1")).isTrue();
    assertThat(NodeNames.isAddress("[::1]:8080")).isTrue();
    assertThat(NodeNames.isAddress("fe80::1ff:fe23:4567:890a")).isTrue();
    assertThat(NodeNames.isAddress("::ffff:10.0.3.7")).isTrue();
  }

  @Test
  void aHostNameWithAPortIsNotAnAddressEvenWhenItsLettersAreHexDigits() {
    // An IPv6 address has at least two colons; "cafe:8080" (a host and its port) used to collapse into
    // ip-addresses beside real addresses, and so did "db:5432", "ad:443" or "feed:80".
    assertThat(NodeNames.isAddress("cafe:8080")).isFalse();
    assertThat(NodeNames.isAddress("db:5432")).isFalse();
    assertThat(NodeNames.isAddress("ad:443")).isFalse();
    assertThat(NodeNames.isAddress("cart")).isFalse();
    assertThat(NodeNames.isAddress("cart:8080")).isFalse();
  }
}
