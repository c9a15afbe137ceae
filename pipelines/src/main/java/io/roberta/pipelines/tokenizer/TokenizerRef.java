package io.roberta.pipelines.tokenizer;

import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.Staging;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Where a tokenizer lives and exactly which bytes it is: a folder (any Beam file system), the
 * files that make it up with their sizes and SHA-256, and which of them to load ({@code
 * tokenizer.json} or a SentencePiece {@code .model}). Workers get a checked local copy with
 * {@link #local()}; the driver never needs the files on its own disk.
 *
 * <pre>{@code
 * TokenizerRef t = TokenizerRef.of("gs://bucket/tokenizers/roberta-base/tokenizer.json");
 * RobertaTokenizer tok = RobertaTokenizer.load(t.local());
 * }</pre>
 */
public record TokenizerRef(String dir, String main, List<FileEntry> files) implements Serializable {
  public TokenizerRef {
    files = List.copyOf(files);
    if (files.stream().noneMatch(f -> f.name().equals(main))) {
      throw new IllegalArgumentException("tokenizer " + dir + ": " + main + " is not among its files " + files);
    }
  }

  /**
   * The tokenizer at {@code uri}: a {@code tokenizer.json} or {@code .model} file, or a folder
   * holding {@code tokenizer.json} (with {@code vocab.json} and {@code merges.txt} when present)
   * or exactly one {@code .model}. Hashes the files (once, on the driver).
   */
  public static TokenizerRef of(String uri) {
    ResourceId asFile = Artifacts.file(uri);
    if (Artifacts.exists(asFile)) {
      ResourceId parent = asFile.getCurrentDirectory();
      String name = asFile.getFilename();
      return new TokenizerRef(Artifacts.uri(parent), name, List.of(entry(parent, name)));
    }
    ResourceId dir = Artifacts.dir(uri);
    List<FileEntry> files = new ArrayList<>();
    String main = null;
    if (Artifacts.exists(Artifacts.file(dir, TokenizerFiles.TOKENIZER_JSON))) {
      main = TokenizerFiles.TOKENIZER_JSON;
      for (String n : List.of(TokenizerFiles.TOKENIZER_JSON, TokenizerFiles.VOCAB_JSON, TokenizerFiles.MERGES_TXT)) {
        if (Artifacts.exists(Artifacts.file(dir, n))) {
          files.add(entry(dir, n));
        }
      }
    } else {
      List<ResourceId> models = Artifacts.list(dir, "*.model");
      if (models.size() == 1) {
        main = models.get(0).getFilename();
        files.add(entry(dir, main));
      }
    }
    if (main == null) {
      throw new IllegalArgumentException("tokenizer " + uri + ": no such file, and no folder holding tokenizer.json or"
          + " exactly one SentencePiece .model");
    }
    return new TokenizerRef(Artifacts.uri(dir), main, files);
  }

  private static FileEntry entry(ResourceId dir, String name) {
    ResourceId f = Artifacts.file(dir, name);
    return new FileEntry(name, Artifacts.size(f).orElseThrow(), Artifacts.sha256(f));
  }

  /** The folder as a Beam resource. */
  public ResourceId resource() {
    return Artifacts.dir(dir);
  }

  /** The file to load, as a URI. */
  public String mainUri() {
    return Artifacts.uri(Artifacts.file(resource(), main));
  }

  public FileEntry mainEntry() {
    return files.stream().filter(f -> f.name().equals(main)).findFirst().orElseThrow();
  }

  /** A checked local copy of the file to load (staged once per machine). */
  public Path local() {
    return Staging.directory(resource(), files).resolve(main);
  }
}
