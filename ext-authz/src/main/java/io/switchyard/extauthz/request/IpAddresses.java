package io.switchyard.extauthz.request;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP literal parsing that never resolves a name (a hostname here would mean a DNS lookup on the hot path). */
public final class IpAddresses {
  private IpAddresses() {}

  /**
   * The address bytes of an IPv4 or IPv6 literal, or null when {@code text} is not one. As Envoy's Address::Ipv6Instance
   * holds them: an IPv6 zone ({@code fe80::1%2}, how Envoy writes a peer with a scope id) is left out, since Envoy's
   * CidrRange compares only the 128 address bits; an IPv4-mapped address ({@code ::ffff:10.0.0.1}) stays 16 bytes, an
   * IPv6 address, since CidrRange never matches an address of the other family (the JDK would make it IPv4).
   */
  public static byte[] parse(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    if (text.indexOf(':') >= 0) {
      String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
      int zone = t.indexOf('%');
      if (zone >= 0) {
        if (zone == t.length() - 1) {
          return null;
        }
        t = t.substring(0, zone);
        if (t.indexOf(':') < 0) {
          return null;
        }
      }
      for (int i = 0; i < t.length(); i++) {
        char c = t.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
          return null;
        }
      }
      try {
        byte[] a = InetAddress.getByName(t).getAddress();
        if (a.length == 4) {
          byte[] mapped = new byte[16];
          mapped[10] = (byte) 0xff;
          mapped[11] = (byte) 0xff;
          System.arraycopy(a, 0, mapped, 12, 4);
          return mapped;
        }
        return a;
      } catch (UnknownHostException e) {
        return null;
      }
    }
    byte[] out = new byte[4];
    int part = 0;
    int value = -1;
    for (int i = 0; i <= text.length(); i++) {
      char c = i == text.length() ? '.' : text.charAt(i);
      if (c == '.') {
        if (value < 0 || part > 3) {
          return null;
        }
        out[part++] = (byte) value;
        value = -1;
      } else if (c >= '0' && c <= '9') {
        value = (value < 0 ? 0 : value * 10) + (c - '0');
        if (value > 255) {
          return null;
        }
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }
}
