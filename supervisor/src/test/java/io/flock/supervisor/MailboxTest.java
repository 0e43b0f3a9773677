package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.supervisor.Mailbox.Direct;
import org.junit.jupiter.api.Test;

/**
 * The rule that lets a network thread queue a letter without the core: only into a mailbox the core
 * admitted, never into one drained for a move or replaced by a newer copy's.
 */
class MailboxTest {
  private static Envelope tell(Object body) {
    return new Envelope(body, null, b -> {});
  }

  @Test
  void aLetterIsQueuedOffTheCoreOnlyOnceTheCoreAllowedIt() {
    Mailbox box = new Mailbox(1, 2);
    assertThat(box.offerDirect(tell("a"))).isEqualTo(Direct.CLOSED);
    box.allowDirect();
    assertThat(box.offerDirect(tell("b"))).isEqualTo(Direct.QUEUED);
    assertThat(box.offerDirect(tell("c"))).isEqualTo(Direct.QUEUED);
    assertThat(box.offerDirect(tell("d"))).isEqualTo(Direct.FULL);
    box.refuseDirect();
    assertThat(box.offerDirect(tell("e"))).isEqualTo(Direct.CLOSED);
    assertThat(box.size()).isEqualTo(2);
  }

  @Test
  void aDrainedMailboxTakesNothingMoreOffTheCore() {
    Mailbox box = new Mailbox(1, 10);
    box.allowDirect();
    assertThat(box.offerDirect(tell("a"))).isEqualTo(Direct.QUEUED);
    assertThat(box.drain()).extracting(Envelope::message).containsExactly("a");
    assertThat(box.offerDirect(tell("b"))).isEqualTo(Direct.CLOSED);
    assertThat(box.size()).isZero();
  }

  @Test
  void aMailboxReplacedByANewerCopysTakesNothingMoreOffTheCore() {
    Mailboxes boxes = new Mailboxes(10);
    Mailbox old = java.util.Objects.requireNonNull(boxes.open("c", 1));
    old.allowDirect();
    Mailbox newer = java.util.Objects.requireNonNull(boxes.open("c", 2));
    assertThat(newer).isNotSameAs(old);
    assertThat(old.offerDirect(tell("late"))).isEqualTo(Direct.CLOSED);
    assertThat(boxes.get("c")).isSameAs(newer);
    assertThat(newer.offerDirect(tell("x"))).isEqualTo(Direct.CLOSED); // not admitted on the core
  }
}
