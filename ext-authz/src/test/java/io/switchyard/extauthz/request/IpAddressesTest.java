package io.switchyard.extauthz.request;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Peer addresses as Envoy writes them into a CheckRequest, read into the bytes its CidrRange compares. */
class IpAddressesTest {
  private static final byte[] FE80_1 = {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  private static final byte[] MAPPED_10_0_0_1 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 1};

  @Test
  void aScopeIdIsLeftOutOfTheAddress() {
    assertThat(IpAddresses.parse("fe80::1%2")).isEqualTo(FE80_1);
    assertThat(IpAddresses.parse("fe80::1%eth0")).isEqualTo(FE80_1);
    assertThat(IpAddresses.parse("[fe80::1%2]")).isEqualTo(FE80_1);
  }

  @Test
  void anEmptyZoneOrAZoneAfterAnIpv4AddressIsNotAnAddress() {
    assertThat(IpAddresses.parse("fe80::1%")).isNull();
    assertThat(IpAddresses.parse("10.0.0.1%a:b")).isNull();
    assertThat(IpAddresses.parse("%2")).isNull();
  }

  @Test
  void anIpv4MappedAddressStaysSixteenBytes() {
    assertThat(IpAddresses.parse("::ffff:10.0.0.1")).isEqualTo(MAPPED_10_0_0_1);
    assertThat(IpAddresses.parse("::ffff:a00:1")).isEqualTo(MAPPED_10_0_0_1);
    assertThat(IpAddresses.parse("10.0.0.1")).containsExactly(10, 0, 0, 1);
  }
}
