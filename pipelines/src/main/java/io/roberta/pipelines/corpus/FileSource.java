package io.roberta.pipelines.corpus;

import io.roberta.spec.SourceSpec.DocumentUnit;
import io.roberta.spec.SourceSpec.InvalidUtf8;
import io.roberta.spec.SourceSpec.Oversized;
import java.io.OutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Documents from the files a glob matches ({@code .gz}, {@code .bz2}, {@code .zst} ... are
 * decompressed by extension), each file cut into documents by a {@link FileParser}. Text files
 * and JSON Lines are two parsers; a custom source for another file format is a third.
 *
 * <pre>{@code
 * Source moby = FileSource.text("moby-dick", "data/moby-dick/chapter_*.txt", DocumentUnit.FILE);
 * Source news = FileSource.jsonLines("news", "data/news/*.jsonl.gz", "text");
 * Source brown = FileSource.of("brown", "data/brown/c??", BrownFormat::parse);
 * }</pre>
 */
public final class FileSource extends Source {
  private static final long serialVersionUID = 1L;

  /** Turns one (decompressed) file into documents; emits a rejected document for what it cannot use. */
  @FunctionalInterface
  public interface FileParser extends Serializable {
    void parse(String fileId, InputStream in, DocumentReader reader, Consumer<Document> out) throws IOException;
  }

  private final String sourceName;
  private final String glob;
  private final FileParser parser;
  private final InvalidUtf8 invalidUtf8;
  private final Oversized oversized;

  private FileSource(String sourceName, String glob, FileParser parser) {
    this(sourceName, glob, parser, InvalidUtf8.DROP, Oversized.DROP);
  }

  private FileSource(String sourceName, String glob, FileParser parser, InvalidUtf8 invalidUtf8,
      Oversized oversized) {
    super("Read " + sourceName);
    this.sourceName = sourceName;
    this.glob = glob;
    this.parser = parser;
    this.invalidUtf8 = invalidUtf8;
    this.oversized = oversized;
  }

  /** This source reading with the given policies for invalid UTF-8 and oversized documents. */
  public FileSource withPolicies(InvalidUtf8 invalidUtf8, Oversized oversized) {
    return new FileSource(sourceName, glob, parser, invalidUtf8, oversized);
  }

  public static FileSource of(String sourceName, String glob, FileParser parser) {
    return new FileSource(sourceName, glob, parser);
  }

  public static FileSource text(String sourceName, String glob, DocumentUnit unit) {
    return new FileSource(sourceName, glob, (id, in, reader, out) -> reader.readText(id, in, unit, out));
  }

  public static FileSource jsonLines(String sourceName, String glob, String textField) {
    return new FileSource(
        sourceName, glob, (id, in, reader, out) -> reader.readJsonLines(id, in, textField, out));
  }

  public String glob() {
    return glob;
  }

  @Override
  public InputSummary checkInputs() {
    return checkGlob(sourceName, glob);
  }

  /**
   * Fails naming the glob when it matches nothing, or naming the file when a match cannot be
   * opened (local files are opened; remote ones are trusted to their listing).
   */
  public static InputSummary checkGlob(String sourceName, String glob) {
    String field = "corpus.sources[" + sourceName + "].path";
    MatchResult match;
    try {
      match = FileSystems.match(List.of(glob), EmptyMatchTreatment.ALLOW).get(0);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(field + " = \"" + glob + "\": cannot list: " + e.getMessage(), e);
    }
    List<MatchResult.Metadata> files;
    try {
      files = match.status() == MatchResult.Status.OK ? match.metadata() : List.of();
    } catch (IOException e) {
      throw new IllegalArgumentException(field + " = \"" + glob + "\": cannot list: " + e.getMessage(), e);
    }
    if ("file".equals(localScheme(glob))) {
      checkLocalEntries(field, glob);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          field + " = \"" + glob + "\" matches no files (relative paths resolve against "
              + Path.of("").toAbsolutePath() + ")");
    }
    long bytes = 0;
    for (MatchResult.Metadata file : files) {
      ResourceId id = file.resourceId();
      if ("file".equals(id.getScheme())) {
        Path path = Path.of(id.toString());
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
          throw new IllegalArgumentException(
              field + " = \"" + glob + "\": cannot read " + path
                  + (Files.isDirectory(path) ? " (a directory)" : Files.exists(path) ? " (permission denied)" : " (missing or a broken link)"));
        }
        try (ReadableByteChannel c = FileSystems.open(id)) {
          // opened: readable
        } catch (IOException e) {
          throw new IllegalArgumentException(field + " = \"" + glob + "\": cannot read " + path + ": " + e.getMessage(), e);
        }
      }
      bytes += file.sizeBytes();
    }
    return new InputSummary(files.size(), bytes);
  }

  private static String localScheme(String glob) {
    int colon = glob.indexOf("://");
    return colon < 0 || glob.startsWith("file://") ? "file" : glob.substring(0, colon);
  }

  /**
   * Beam's local listing leaves out what it cannot stat (a broken link, say) without a word; for
   * a glob whose wildcards are all in the file name, look at the directory's entries directly.
   */
  private static void checkLocalEntries(String field, String glob) {
    String local = glob.startsWith("file://") ? glob.substring("file://".length()) : glob;
    Path pattern = Path.of(local);
    Path dir = pattern.getParent() == null ? Path.of(".") : pattern.getParent();
    if (dir.toString().matches(".*[*?\\[{].*") || !Files.isDirectory(dir)) {
      return;
    }
    try (var entries = Files.newDirectoryStream(dir, pattern.getFileName().toString())) {
      for (Path entry : entries) {
        if (!Files.isDirectory(entry) && (!Files.isRegularFile(entry) || !Files.isReadable(entry))) {
          throw new IllegalArgumentException(
              field + " = \"" + glob + "\": cannot read " + entry
                  + (Files.exists(entry) ? " (permission denied or not a regular file)" : " (a broken link)"));
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(field + " = \"" + glob + "\": cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public PCollection<Document> expand(PBegin input) {
    return input
        .apply("MatchFiles", FileIO.match().filepattern(glob).withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
        .apply("OpenFiles", FileIO.readMatches().withCompression(Compression.AUTO))
        .apply("ParseDocuments", ParDo.of(new ParseFiles(sourceName, parser, invalidUtf8, oversized)))
        .setCoder(Document.DocumentCoder.of());
  }

  /**
   * Parses each file; a file that cannot be read to its end (a damaged {@code .gz}, an I/O error)
   * becomes one {@link DropReason#UNREADABLE} document instead of failing the job. A compressed
   * file is decompressed once to its end before it is parsed, so a damaged one contributes no
   * document from its readable start (its decompressed bytes before the damage cannot be trusted:
   * the checksum is at the end).
   */
  static final class ParseFiles extends DoFn<FileIO.ReadableFile, Document> {
    private static final Logger LOG = LoggerFactory.getLogger(FileSource.class);
    private final String sourceName;
    private final FileParser parser;
    private final InvalidUtf8 invalidUtf8;
    private final Oversized oversized;

    ParseFiles(String sourceName, FileParser parser) {
      this(sourceName, parser, InvalidUtf8.DROP, Oversized.DROP);
    }

    ParseFiles(String sourceName, FileParser parser, InvalidUtf8 invalidUtf8, Oversized oversized) {
      this.sourceName = sourceName;
      this.parser = parser;
      this.invalidUtf8 = invalidUtf8;
      this.oversized = oversized;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<Document> out) {
      String id = file.getMetadata().resourceId().toString();
      long size = file.getMetadata().sizeBytes();
      DocumentReader reader = new DocumentReader(sourceName, DocumentReader.MAX_DOCUMENT_BYTES, invalidUtf8, oversized);
      if (Compression.detect(id) != Compression.UNCOMPRESSED) {
        try (InputStream in = Channels.newInputStream(file.open())) {
          in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
          unreadable(id, size, e, out);
          return;
        }
      }
      try (InputStream in = Channels.newInputStream(file.open())) {
        parser.parse(id, in, reader, out::output);
      } catch (IOException e) {
        unreadable(id, size, e, out);
      }
    }

    private void unreadable(String id, long size, IOException e, OutputReceiver<Document> out) {
      LOG.warn("{}: dropped, cannot be read to its end ({}: {})", id, e.getClass().getSimpleName(), e.getMessage());
      out.output(Document.rejected(sourceName, id, DropReason.UNREADABLE, size));
    }
  }
}
