package io.roberta.e2e.fakegs;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Where the test-only {@code fakegs://} store keeps its objects on local disk. Every JVM that
 * touches {@code fakegs://} must name the same folder: the driver through this option, a worker
 * through the options it deserializes, and a JVM that sees no options (or options without it)
 * through the system property {@value #SYSTEM_PROPERTY}.
 *
 * <pre>{@code
 * PipelineOptionsFactory.fromArgs("--fakeGcsRoot=" + FakeGcs.root()).create();
 * // or, for a separate JVM: java -Dfakegs.root=/abs/store ...
 * }</pre>
 */
public interface FakeGcsOptions extends PipelineOptions {
  /** The system property read when the option is not set. */
  String SYSTEM_PROPERTY = "fakegs.root";

  @Description("Local folder holding the objects of the test-only fakegs:// file system (one subfolder per bucket). "
      + "Falls back to the system property " + SYSTEM_PROPERTY + ".")
  String getFakeGcsRoot();

  void setFakeGcsRoot(String root);
}
