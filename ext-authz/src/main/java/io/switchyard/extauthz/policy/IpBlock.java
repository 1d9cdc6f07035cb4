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

  /**
   * Null when {@code text} is neither an IP nor a valid CIDR as Istio's ValidateIPs reads them, with Go's
   * netip.ParseAddr / ParsePrefix: no leading zero in an IPv4 octet, prefix bits in plain ASCII decimal without
   * sign or leading zero, no brackets around an IPv6 address. A single IPv6 address may carry a zone
   * ({@code fe80::1%eth0}), which Istio's AddrStrToPrefix (netip.PrefixFrom) then drops; a prefix may not.
   */
  static IpBlock parse(String text) {
    int slash = text.lastIndexOf('/');
    if (slash >= 0 && text.lastIndexOf('%', slash) >= 0) {
      return null;
    }
    byte[] addr = address(slash < 0 ? text : text.substring(0, slash));
    if (addr == null) {
      return null;
    }
    int bits = addr.length * 8;
    if (slash >= 0) {
      String b = text.substring(slash + 1);
      if (b.isEmpty() || b.length() > 3 || (b.length() > 1 && b.charAt(0) == '0')) {
        return null;
      }
      bits = 0;
      for (int i = 0; i < b.length(); i++) {
        char c = b.charAt(i);
        if (c < '0' || c > '9') {
          return null;
        }
        bits = bits * 10 + (c - '0');
      }
      if (bits > addr.length * 8) {
        return null;
      }
    }
    return new IpBlock(addr, bits);
  }

  /**
   * An IPv4-mapped IPv6 value ({@code ::ffff:a.b.c.d}) stays IPv6, as netip reads it and as Envoy's CidrRange
   * then compares it: an IPv4 peer is never in it. As netip.ParseAddr, the first of '.', ':' and '%' decides the
   * family: a zone only follows an IPv6 address.
   */
  private static byte[] address(String t) {
    if (t.startsWith("[")) {
      return null;
    }
    int colon = t.indexOf(':');
    int dot = t.indexOf('.');
    int percent = t.indexOf('%');
    if (colon < 0 || (dot >= 0 && dot < colon) || (percent >= 0 && percent < colon)) {
      if (leadingZeroOctet(t)) {
        return null;
      }
      byte[] a = IpAddresses.parse(t);
      return a != null && a.length == 4 ? a : null;
    }
    // An IPv4 tail (::ffff:1.2.3.4) is read by netip's IPv4 rules too; the JDK would take 010 as 10.
    String addr = percent < 0 ? t : t.substring(0, percent);
    String tail = addr.substring(addr.lastIndexOf(':') + 1);
    if (tail.indexOf('.') >= 0 && leadingZeroOctet(tail)) {
      return null;
    }
    return IpAddresses.parse(t);
  }

  /** An IPv4 octet written with a leading zero ({@code 010}), which netip refuses rather than read as octal or decimal. */
  private static boolean leadingZeroOctet(String v4) {
    for (int i = 0; i + 1 < v4.length(); i++) {
      if (v4.charAt(i) == '0' && (i == 0 || v4.charAt(i - 1) == '.') && v4.charAt(i + 1) != '.') {
        return true;
      }
    }
    return false;
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
