package io.flock.supervisor;

/** When a child that exited is started again (OTP restart types). */
public enum Restart {
  /** Always restarted, whatever the exit. */
  PERMANENT,
  /** Restarted only after an abnormal exit (an exception). */
  TRANSIENT,
  /** Never restarted. */
  TEMPORARY;

  /** Whether a child that exited this way is restarted. */
  boolean restartsAfter(boolean normalExit) {
    return switch (this) {
      case PERMANENT -> true;
      case TRANSIENT -> !normalExit;
      case TEMPORARY -> false;
    };
  }
}
