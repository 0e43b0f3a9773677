package io.flock.membership.internal.transport;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cap on accepted connections still in their handshake: a connection takes a slot when it is
 * accepted and gives it back once, when it authenticates or closes, so a flood of connections that
 * never authenticate cannot hold more than {@code max}. Any thread.
 */
final class HandshakeAdmission {
  private static final Logger log = LoggerFactory.getLogger(HandshakeAdmission.class);
  private static final AttributeKey<AtomicBoolean> PENDING =
      AttributeKey.valueOf("flock.unauthenticated");

  private final int max;
  private final AtomicInteger taken = new AtomicInteger();
  private volatile long lastCapLog;

  HandshakeAdmission(int max) {
    this.max = max;
  }

  /**
   * Admits {@code ch}, or closes it (one log line a second at most, naming {@code node}) when
   * {@code max} connections are in their handshake already; whether it was admitted.
   */
  boolean admit(Channel ch, String node) {
    if (!takeSlot()) {
      long now = System.nanoTime();
      if (now - lastCapLog > 1_000_000_000L) {
        lastCapLog = now;
        log.warn(
            "[{}] {} connections are in their handshake already: closing {}",
            node,
            max,
            ch.remoteAddress());
      }
      var unused = ch.close();
      return false;
    }
    ch.attr(PENDING).set(new AtomicBoolean(true));
    ch.closeFuture().addListener(f -> release(ch));
    return true;
  }

  /** Takes a slot unless all are taken; the count never exceeds the cap, even for an instant. */
  private boolean takeSlot() {
    while (true) {
      int n = taken.get();
      if (n >= max) {
        return false;
      }
      if (taken.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** {@code ch} authenticated or closed: its slot is free (once). */
  void release(Channel ch) {
    AtomicBoolean pending = ch.attr(PENDING).get();
    if (pending != null && pending.getAndSet(false)) {
      taken.decrementAndGet();
    }
  }

  /** How many accepted connections are in their handshake now. */
  int pendingNow() {
    return taken.get();
  }
}
