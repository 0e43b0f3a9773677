package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records Netty's leak reports so a test can fail on them. {@link #install()} must run before the
 * first buffer is allocated in this JVM (each test class calls it from a static initializer).
 */
public final class NettyLeaks {
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  private static boolean installed;

  private NettyLeaks() {}

  public static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(
        new ResourceLeakDetectorFactory() {
          @Override
          @SuppressWarnings("deprecation")
          public <T> ResourceLeakDetector<T> newResourceLeakDetector(
              Class<T> resource, int samplingInterval, long maxActive) {
            return new ResourceLeakDetector<T>(resource, samplingInterval) {
              @Override
              protected void reportTracedLeak(String resourceType, String records) {
                LEAKS.add(resourceType + ": " + records);
              }

              @Override
              protected void reportUntracedLeak(String resourceType) {
                LEAKS.add(resourceType);
              }
            };
          }
        });
  }

  /** Collects garbage, lets the detectors look, and fails if any leak was reported. */
  public static void assertNoLeaks() {
    for (int i = 0; i < 5; i++) {
      System.gc();
      // Allocations are what make the detectors report what the collector found.
      ByteBuf a = PooledByteBufAllocator.DEFAULT.buffer(64);
      a.release();
      ByteBuf b = UnpooledByteBufAllocator.DEFAULT.buffer(64);
      b.release();
    }
    assertThat(LEAKS).as("Netty leak reports").isEmpty();
  }
}
