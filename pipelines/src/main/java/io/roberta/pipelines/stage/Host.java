package io.roberta.pipelines.stage;

import java.io.IOException;
import java.net.InetAddress;

/**
 * This machine's host name, looked up once per JVM: the owner of a work lock, the machine a
 * round's worker task ran on, and the owner part of a scratch folder's name.
 */
public final class Host {
  /** What {@link #name()} gives when the lookup fails. */
  public static final String UNKNOWN = "unknown-host";

  private static volatile String name;

  private Host() {}

  /** The local host name, or {@link #UNKNOWN} when it cannot be looked up. */
  public static String name() {
    String n = name;
    if (n == null) {
      try {
        n = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        n = UNKNOWN;
      }
      name = n;
    }
    return n;
  }
}
