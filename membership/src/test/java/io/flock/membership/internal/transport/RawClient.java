package io.flock.membership.internal.transport;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.flock.membership.NodeId;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.jspecify.annotations.Nullable;

/** A blocking socket that speaks (or abuses) the wire by hand. */
final class RawClient implements AutoCloseable {
  final Socket socket;
  final DataOutputStream out;
  final DataInputStream in;
  final Kryo kryo = Wire.newKryo(k -> {});
  final NodeId self = new NodeId("raw", "127.0.0.1", 1, 1);
  @Nullable NodeId server;

  RawClient(NodeId target) throws IOException {
    socket = new Socket(java.net.InetAddress.getLoopbackAddress(), target.port());
    socket.setSoTimeout(10_000);
    out = new DataOutputStream(socket.getOutputStream());
    in = new DataInputStream(socket.getInputStream());
  }

  byte[] frame(Object message) {
    if (HandshakeCodec.handles(message)) {
      byte[] body = HandshakeCodec.encode(message);
      byte[] frame = new byte[1 + body.length];
      frame[0] = Wire.HANDSHAKE;
      System.arraycopy(body, 0, frame, 1, body.length);
      return frame;
    }
    Output o = new Output(256, -1);
    o.writeByte(Wire.VERSION);
    kryo.writeClassAndObject(o, message);
    return o.toBytes();
  }

  void send(Object message) throws IOException {
    sendFrame(frame(message));
  }

  void sendFrame(byte[] frame) throws IOException {
    out.writeInt(frame.length);
    out.write(frame);
    out.flush();
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  Object receive() throws IOException {
    int length = in.readInt();
    byte[] frame = new byte[length];
    in.readFully(frame);
    if (frame[0] == Wire.HANDSHAKE) {
      return HandshakeCodec.decode(frame, 1, length);
    }
    return kryo.readClassAndObject(new Input(frame, 1, length - 1));
  }

  /** Performs the client handshake with this secret; returns the Hello it sent. */
  Wire.Hello handshake(byte[] secret, String cluster) throws IOException {
    byte[] nonce = Handshake.nonce();
    Wire.Hello hello = new Wire.Hello(cluster, Wire.VERSION, self, nonce, new String[0]);
    send(hello);
    Object reply = receive();
    if (!(reply instanceof Wire.Challenge challenge)) {
      throw new IOException("expected a challenge, got " + reply);
    }
    server = challenge.from();
    send(
        new Wire.Proof(
            Handshake.mac(
                secret, "client", cluster, challenge.nonce(), nonce, self, challenge.from())));
    return hello;
  }

  /** Whether the server closes the connection within the socket timeout (reading past replies). */
  boolean closedByServer() throws IOException {
    try {
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (EOFException | java.net.SocketException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
