package io.flock.membership.internal.transport;

/**
 * A transport's counters since it started.
 *
 * @param framesSent envelopes written
 * @param framesReceived envelopes delivered to the listener
 * @param bytesSent bytes written (frames with their length prefix, before TLS)
 * @param bytesReceived bytes of frames read
 * @param connects outgoing connection attempts
 * @param refused connections closed for a bad handshake, a bad frame or flooding
 * @param dropped sends refused because a queue was full or a connection above its high water mark
 */
public record TransportStats(
    long framesSent,
    long framesReceived,
    long bytesSent,
    long bytesReceived,
    long connects,
    long refused,
    long dropped) {}
