package io.roberta.e2e.fakegs;

import java.util.List;
import org.apache.beam.sdk.io.FileSystem;
import org.apache.beam.sdk.io.FileSystemRegistrar;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * The two {@link java.util.ServiceLoader} entries that make {@code fakegs://} known to Beam, listed
 * in {@code src/test/resources/META-INF/services} (as Beam's own tests register their test file
 * systems). {@code FileSystems.setDefaultPipelineOptions} calls the file-system registrar
 * in every JVM that runs a pipeline's code: on the driver, and on a Flink TaskManager whenever it
 * deserializes a {@code SerializablePipelineOptions}, so the store's root arrives with the options
 * ({@link ForFileSystems#fromOptions}).
 */
public final class FakeGcsRegistrars {
  private FakeGcsRegistrars() {}

  /** Registers {@link FakeGcsFileSystem} for scheme {@value FakeGcsFileSystem#SCHEME}. */
  public static final class ForFileSystems implements FileSystemRegistrar {
    @Override
    public Iterable<FileSystem<?>> fromOptions(PipelineOptions options) {
      // Never fails here: this runs for every pipeline of the JVM, most of which never touch
      // fakegs://. A store without a root fails on first use, naming the option.
      return List.of(new FakeGcsFileSystem(FakeGcsFileSystem.rootFrom(options)));
    }
  }

  /** Makes {@code --fakeGcsRoot} a known flag for {@code PipelineOptionsFactory.fromArgs}. */
  public static final class ForOptions implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(FakeGcsOptions.class);
    }
  }
}
