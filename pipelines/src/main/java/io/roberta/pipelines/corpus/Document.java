package io.roberta.pipelines.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * One document as a source read it. A source emits a document for everything it read, readable
 * or not: an input it could not turn into text (invalid UTF-8, a binary file, an empty file, a
 * document over {@link DocumentReader#MAX_DOCUMENT_BYTES}) is a document with a {@code problem}
 * and empty text, so that the corpus stage counts it as read and dropped instead of losing it.
 *
 * <pre>{@code
 * Document d = Document.of("moby-dick", "chapter_1.txt", "Call me Ishmael.", 16);
 * Document bad = Document.rejected("moby-dick", "logo.png", DropReason.BINARY, 48_213);
 * }</pre>
 *
 * @param source the name of the source in the recipe (counts are kept per source)
 * @param id where the document came from, unique within the source ({@code file} or {@code file:line})
 * @param text the document's text; empty when {@code problem} is set
 * @param label an optional label a source knows (the Brown genre letter), or null
 * @param bytes how many input bytes the document took, for progress and throughput
 * @param problem why the document cannot be used, or null when it can
 * @param repairs what the reader changed to make it usable, as {@link Repair} bits (0: nothing)
 *     <p>{@link AssembleCorpus} registers {@link DocumentCoder} for this class in the pipeline's
 *     coder registry before it applies any source.
 */
public record Document(
    String source, String id, String text, String label, long bytes, DropReason problem, int repairs) {

  /** What a reader may change to keep a document its source's policies allow to keep. */
  public enum Repair {
    /** Malformed UTF-8 sequences were replaced by U+FFFD ({@code onInvalidUtf8 = REPLACE}). */
    UTF8_REPLACED,
    /** A piece of an oversized document cut at a text boundary ({@code onOversized = SPLIT}). */
    SPLIT_PIECE;

    public int bit() {
      return 1 << ordinal();
    }

    /** The name used in counts and in {@code manifest.json}, e.g. {@code utf8_replaced}. */
    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Document(String source, String id, String text, String label, long bytes, DropReason problem) {
    this(source, id, text, label, bytes, problem, 0);
  }

  public Document {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(text, "text");
    if (problem != null && !text.isEmpty()) {
      throw new IllegalArgumentException("a rejected document (" + problem + ") carries no text: " + id);
    }
  }

  public static Document of(String source, String id, String text, long bytes) {
    return new Document(source, id, text, null, bytes, null);
  }

  public static Document rejected(String source, String id, DropReason problem, long bytes) {
    return new Document(source, id, "", null, bytes, Objects.requireNonNull(problem, "problem"));
  }

  public Document withText(String newText) {
    return new Document(source, id, newText, label, bytes, problem, repairs);
  }

  public Document withLabel(String newLabel) {
    return new Document(source, id, text, newLabel, bytes, problem, repairs);
  }

  /** This document marked as changed by {@code repair}. */
  public Document with(Repair repair) {
    return new Document(source, id, text, label, bytes, problem, repairs | repair.bit());
  }

  public boolean has(Repair repair) {
    return (repairs & repair.bit()) != 0;
  }

  /** Deterministic binary coder; texts are written as UTF-8. */
  public static final class DocumentCoder extends AtomicCoder<Document> {
    private static final DocumentCoder INSTANCE = new DocumentCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final NullableCoder<String> NULLABLE_STRING = NullableCoder.of(StringUtf8Coder.of());
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    public static DocumentCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Document d, OutputStream out) throws IOException {
      STRING.encode(d.source, out);
      STRING.encode(d.id, out);
      STRING.encode(d.text, out);
      NULLABLE_STRING.encode(d.label, out);
      LONG.encode(d.bytes, out);
      INT.encode(d.problem == null ? -1 : d.problem.ordinal(), out);
      INT.encode(d.repairs, out);
    }

    @Override
    public Document decode(InputStream in) throws IOException {
      String source = STRING.decode(in);
      String id = STRING.decode(in);
      String text = STRING.decode(in);
      String label = NULLABLE_STRING.decode(in);
      long bytes = LONG.decode(in);
      int problem = INT.decode(in);
      if (problem < -1 || problem >= DropReason.values().length) {
        throw new CoderException("bad drop reason ordinal " + problem);
      }
      int repairs = INT.decode(in);
      return new Document(source, id, text, label, bytes, problem < 0 ? null : DropReason.values()[problem], repairs);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
