package io.switchyard.extauthz.policy;

import io.switchyard.extauthz.request.IpAddresses;

/** An IP address or CIDR block from {@code ipBlocks}, {@code remoteIpBlocks} or an IP condition. */
final class IpBlock {
  private final byte[] network;
  private final int prefixBits;

  private IpBlock(byte[] network, int prefixBits) {
    this.network = network;
    this.prefixBits = prefixBits;
  }

  /** Null when {@code text} is neither an IP nor a valid CIDR. */
  static IpBlock parse(String text) {
    int slash = text.indexOf('/');
    byte[] addr = IpAddresses.parse(slash < 0 ? text : text.substring(0, slash));
    if (addr == null) {
      return null;
    }
    int bits = addr.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        return null;
      }
      if (bits < 0 || bits > addr.length * 8) {
        return null;
      }
    }
    return new IpBlock(addr, bits);
  }

  boolean contains(byte[] ip) {
    if (ip == null || ip.length != network.length) {
      return false;
    }
    int full = prefixBits / 8;
    for (int i = 0; i < full; i++) {
      if (ip[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixBits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (ip[full] & mask) == (network[full] & mask);
  }
}
