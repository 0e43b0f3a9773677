package io.flock.benchmarks;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.Scope;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Flock: one scope on an in-process {@link TestCluster} with default settings. */
final class FlockReplicas implements Replicas {
  private static final String SCOPE = "bench";

  private final TestCluster cluster;
  private final List<Set<String>> views = new CopyOnWriteArrayList<>();
  private final List<List<Runnable>> listeners = new CopyOnWriteArrayList<>();

  private FlockReplicas(int n) {
    this.cluster = TestCluster.start(n);
    try {
      TestCluster.await(Duration.ofSeconds(60), cluster::converged, n + " Flock nodes up");
      for (int i = 0; i < n; i++) {
        watch(cluster.node(i));
      }
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  static FlockReplicas start(int n) {
    return new FlockReplicas(n);
  }

  private void watch(Cluster node) {
    Set<String> view = ConcurrentHashMap.newKeySet();
    List<Runnable> mine = new CopyOnWriteArrayList<>();
    views.add(view);
    listeners.add(mine);
    Scope<String, String> scope = node.scope(SCOPE);
    scope.subscribe(
        changes -> {
          for (Change<String, String> c : changes) {
            if (c instanceof Change.Removed<String, String>) {
              view.remove(c.key());
            } else {
              view.add(c.key());
            }
          }
          for (Runnable r : mine) {
            r.run();
          }
        });
    // A joining node may have learnt keys before this subscription: start from its snapshot.
    view.addAll(scope.snapshot().join().keySet());
  }

  @Override
  public String label() {
    return "Flock";
  }

  @Override
  public int nodes() {
    return views.size();
  }

  @Override
  public CompletableFuture<?> write(int node, String key, String value) {
    return cluster.node(node).<String, String>scope(SCOPE).put(key, value);
  }

  @Override
  public boolean contains(int node, String key) {
    return views.get(node).contains(key);
  }

  @Override
  public int count(int node) {
    return views.get(node).size();
  }

  @Override
  public void onChange(int node, Runnable listener) {
    listeners.get(node).add(listener);
  }

  @Override
  public int addNode() {
    Cluster added = cluster.add();
    watch(added);
    return views.size() - 1;
  }

  @Override
  public Set<Integer> ports() {
    Set<Integer> out = new HashSet<>();
    for (int i = 0; i < cluster.size(); i++) {
      out.add(cluster.node(i).self().port());
    }
    return out;
  }

  @Override
  public void close() {
    cluster.close();
  }

  @Override
  public String toString() {
    return label() + " x" + nodes() + " " + new ArrayList<>(ports());
  }
}
