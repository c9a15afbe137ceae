package io.roberta.runners.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Properties;

/**
 * Sets up logging before the first logger exists. The levels live in one file, {@code
 * simplelogger.properties} (slf4j-simple): the project's progress lines and everybody's warnings
 * by default; {@code --verbose} lowers every level in that file to INFO for this process, which
 * brings back Flink's, Beam's, ND4J's and DJL's own lines. JavaCPP is told to log through SLF4J
 * too, so its warnings obey the same file instead of going straight to standard error.
 *
 * <pre>{@code Logging.configure(Logging.verbose(args));}</pre>
 */
public final class Logging {
  static final String VERBOSE = "--verbose";
  private static final String PREFIX = "org.slf4j.simpleLogger.";
  private static final String RESOURCE = "/simplelogger.properties";

  private Logging() {}

  /** True when the command line asks for {@code --verbose} (anywhere, as the launcher passes it through). */
  public static boolean verbose(String... args) {
    return Arrays.asList(args).contains(VERBOSE);
  }

  /** Must run before any class asks SLF4J for a logger; a system property the user set wins. */
  public static void configure(boolean verbose) {
    setIfAbsent("org.bytedeco.javacpp.logger", "slf4j");
    if (!verbose) {
      return;
    }
    Properties file = new Properties();
    try (InputStream in = Logging.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        file.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    setIfAbsent(PREFIX + "defaultLogLevel", "info");
    for (String key : file.stringPropertyNames()) {
      if (key.startsWith(PREFIX + "log.") && quieterThanInfo(file.getProperty(key))) {
        setIfAbsent(key, "info");
      }
    }
  }

  private static boolean quieterThanInfo(String level) {
    String l = level.trim().toLowerCase(java.util.Locale.ROOT);
    return l.equals("warn") || l.equals("error") || l.equals("off");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
