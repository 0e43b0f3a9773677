package io.flock.supervisor;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * One distributed supervisor's child messaging on this node, wired together: the mailboxes its
 * children read, the receiver that fills them, the sender and its public {@link Messenger}.
 *
 * <p>Threading: {@link #onChanges}, {@link #moving} core thread; {@link #close} any thread.
 */
final class ChildMessaging {
  private final Mailboxes mailboxes;
  private final MessageReceiver receiver;
  private final MessageSender sender;
  private final Messenger messenger;

  ChildMessaging(
      Cluster cluster,
      String supervisor,
      Scope<String, Placement> placements,
      LocalRuns runs,
      Mailboxes mailboxes,
      @Nullable ChildNames names,
      Duration tellTimeout,
      BooleanSupplier stopping) {
    this.mailboxes = mailboxes;
    this.receiver = new MessageReceiver(cluster, supervisor, placements, runs, mailboxes, stopping);
    this.sender =
        new MessageSender(
            cluster, placements, receiver.letters(), receiver.batches(), Mailbox.DEFAULT_CAPACITY);
    this.messenger =
        new Messenger(
            cluster, sender, names == null ? n -> Optional.empty() : names::lookup, tellTimeout);
  }

  Messenger messenger() {
    return messenger;
  }

  /** Placement changes: mailboxes of children that left go, held messages may be sent on. */
  void onChanges(List<Change<String, Placement>> changes) {
    receiver.onChanges(changes);
    sender.onChanges(changes);
  }

  /** A graceful hand-over of {@code id} is about to be written (see {@link HandOver.Mover}). */
  void moving(String id, NodeId to, long generation) {
    receiver.forward(id, to, generation);
  }

  /** Frees the endpoints and fails the asks still queued here. */
  void close() {
    receiver.close();
    mailboxes.clear();
  }
}
