package io.flock.membership.internal.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.KryoBufferOverflowException;
import com.esotericsoftware.kryo.io.Output;
import java.io.OutputStream;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A lock-free pool of Kryo instances for the checks and encodings done off the transport's threads
 * (Kryo's own thread-safe pool takes a lock and wakes a waiter on every obtain and free: a few per
 * cent of a burst of messages). Each one comes with a sizing output that writes into a small buffer
 * and only counts what it flushes, so sizing a large value allocates nothing.
 *
 * <p>Threading: any thread; a {@link Coder} is used by one thread between obtain and free.
 */
final class Coders {
  /** The most instances kept between uses; more are made under contention and dropped. */
  static final int KEPT = 16;

  private final Supplier<Kryo> factory;
  private final Queue<Coder> idle = new ConcurrentLinkedQueue<>();
  private final AtomicInteger idleCount = new AtomicInteger();

  Coders(Supplier<Kryo> factory) {
    this.factory = factory;
  }

  Coder obtain() {
    Coder c = idle.poll();
    if (c == null) {
      return new Coder(factory.get());
    }
    idleCount.decrementAndGet();
    return c;
  }

  void free(Coder c) {
    if (idleCount.incrementAndGet() <= KEPT) {
      idle.offer(c);
    } else {
      idleCount.decrementAndGet();
    }
  }

  /** A Kryo and its sizing output. */
  static final class Coder {
    private final Kryo kryo;
    private final Counter counter = new Counter();
    private final Output sizing = new Output(counter, 4096);

    Coder(Kryo kryo) {
      this.kryo = kryo;
    }

    Kryo kryo() {
      return kryo;
    }

    /**
     * The encoded size of {@code value} with its class; stops with {@link
     * KryoBufferOverflowException} once more than {@code max} bytes were written (the result may
     * then also exceed {@code max} by less than the buffer).
     */
    int size(Object value, int max) {
      counter.reset(max);
      sizing.reset();
      kryo.writeClassAndObject(sizing, value);
      long total = sizing.total();
      return (int) Math.min(Integer.MAX_VALUE, total);
    }
  }

  /** Counts what the sizing output flushes; stops past the limit. */
  private static final class Counter extends OutputStream {
    private long written;
    private long max;

    void reset(long max) {
      this.written = 0;
      this.max = max;
    }

    @Override
    public void write(int b) {
      add(1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      add(len);
    }

    private void add(int n) {
      written += n;
      if (written > max) {
        throw new KryoBufferOverflowException("more than " + max + " bytes");
      }
    }
  }
}
