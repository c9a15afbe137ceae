package io.roberta.pipelines.corpus;

import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Where a corpus gets its documents: a transform from nothing to {@link Document}s. Emit one
 * document for everything read, including what cannot be used ({@link Document#rejected}), so
 * that the stage's counts add up. Register your own through a {@link SourceProvider}.
 *
 * <pre>{@code
 * Source moby = FileSource.text("moby-dick", "data/moby-dick/*.txt", DocumentUnit.PARAGRAPH);
 * PCollection<Document> docs = pipeline.apply("ReadMobyDick", moby);
 * }</pre>
 */
public abstract class Source extends PTransform<PBegin, PCollection<Document>> {
  private static final long serialVersionUID = 1L;

  protected Source(String name) {
    super(name);
  }

  /**
   * Checks, before any pipeline starts, that the inputs exist and can be read; throws an
   * {@link IllegalArgumentException} naming the first one that is missing or unreadable.
   *
   * @return what was found, for progress reporting
   */
  public abstract InputSummary checkInputs();

  /** Files and bytes a source found when checked; {@code bytes} is -1 when unknown. */
  public record InputSummary(long files, long bytes) {
    public static final InputSummary UNKNOWN = new InputSummary(-1, -1);
  }
}
