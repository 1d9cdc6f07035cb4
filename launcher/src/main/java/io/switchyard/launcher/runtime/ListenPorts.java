package io.switchyard.launcher.runtime;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ports a command is about to listen on, each with the flag that sets it, checked before anything
 * starts: a port another process holds then fails the command with one line naming the port and the flag,
 * instead of a bind stack trace after a broker, a store and half the services were already started (and
 * after the topology API had waited for Kafka). Binding each port once and letting it go leaves a small
 * window before the real server binds; a loser of that race still gets one line ({@code Main}'s handler).
 */
public final class ListenPorts {
  private final List<Listen> listens = new ArrayList<>();

  /**
   * One listening socket: the flag that names it, the address it binds and its port: 0 = any free one, or, where
   * {@code off} allows it, -1 = not listening (and then not 0: what reads the port must know it).
   */
  public record Listen(String flag, String host, int port, boolean off) {}

  /** A port that cannot be listened on (held by another process, named by two flags, or out of range). */
  public static final class InUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InUseException(String message) {
      super(message);
    }
  }

  /** Adds a port, 1..65535 or 0 for any free one (which is not probed). */
  public ListenPorts add(String flag, String host, int port) {
    listens.add(new Listen(flag, host, port, false));
    return this;
  }

  /** Adds a port that -1 switches off, 1..65535 otherwise. */
  public ListenPorts addOrOff(String flag, String host, int port) {
    listens.add(new Listen(flag, host, port, true));
    return this;
  }

  /** What {@link #check()} looks at, in order. */
  public List<Listen> listens() {
    return List.copyOf(listens);
  }

  /**
   * Fails on the first port out of range, then on the first port named by two flags, then on the first one that
   * cannot be bound now.
   *
   * @throws InUseException naming the port, the flag that sets it, and why
   */
  public void check() {
    for (Listen l : listens) {
      // Before, the server's own bind failed with "port out of range:70000", naming no flag, after up had
      // started its admin endpoint and broker.
      if (l.off() && (l.port() == 0 || l.port() < -1 || l.port() > 65535)) {
        throw new InUseException("port " + l.port() + " (" + l.flag() + ") is out of range: give 1..65535, or -1 for off");
      }
      if (!l.off() && (l.port() < 0 || l.port() > 65535)) {
        // -1 used to pass here and fail at the server's bind ("port out of range: -1"), after the broker started.
        throw new InUseException("port " + l.port() + " (" + l.flag() + ") is out of range: give 1..65535, or 0 for any free port");
      }
    }
    Map<Integer, String> flagOf = new HashMap<>();
    for (Listen l : listens) {
      if (l.port() <= 0) {
        continue;
      }
      String other = flagOf.putIfAbsent(l.port(), l.flag());
      if (other != null) {
        throw new InUseException("port " + l.port() + " is named by both " + other + " and " + l.flag()
            + "; give each its own port");
      }
    }
    for (Listen l : listens) {
      if (l.port() > 0) {
        probe(l);
      }
    }
  }

  private static void probe(Listen l) {
    // The servers bind with SO_REUSEADDR (the JDK's and Netty's default on Linux), so a port whose old
    // connections linger in TIME_WAIT is free for them; the probe must not call it taken.
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(l.host(), l.port()));
    } catch (BindException e) {
      throw new InUseException("cannot listen on port " + l.port() + " (" + l.flag() + ") at " + l.host() + ": "
          + e.getMessage() + "; stop what holds it, or choose another port with " + l.flag());
    } catch (IOException e) {
      // Not a port conflict (e.g. an unresolvable host): the server's own bind reports it.
    }
  }
}
