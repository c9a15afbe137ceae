package io.roberta.engine.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A tokenizer for RoBERTa-style models: a Hugging Face {@code tokenizer.json} (byte-level BPE as
 * RoBERTa's, Unigram as XLM-R's, or any other model type the Hugging Face library reads), or a
 * SentencePiece {@code .model} file. Encoding wraps the text in {@code <s> ... </s>}.
 *
 * <pre>{@code
 * try (RobertaTokenizer tokenizer = RobertaTokenizer.load(Path.of("out/tokenizer"))) {
 *   Encoding e = tokenizer.encode("Call me Ishmael.");
 *   String text = tokenizer.decode(e.ids(), true);   // "Call me Ishmael."
 * }
 * }</pre>
 *
 * <p><b>One instance per thread.</b> The native encoders underneath (DJL's Hugging Face and
 * SentencePiece bindings) are not promised to be thread safe. In a Beam {@code DoFn}, load the
 * tokenizer in {@code @Setup} and close it in {@code @Teardown}.
 */
public final class RobertaTokenizer implements AutoCloseable {

  /** The file name Hugging Face gives a tokenizer inside a model directory. */
  public static final String TOKENIZER_JSON = "tokenizer.json";

  /** What a native tokenizer library must provide; the vocabulary is read in Java. */
  interface Backend extends AutoCloseable {
    Encoding encode(String text);

    List<Encoding> encodeBatch(List<String> texts);

    String decode(int[] ids, boolean skipSpecial);

    @Override
    void close();
  }

  private final Backend backend;
  private final Vocabulary vocabulary;
  private final Path source;
  private boolean closed;

  private RobertaTokenizer(Backend backend, Vocabulary vocabulary, Path source) {
    this.backend = backend;
    this.vocabulary = vocabulary;
    this.source = source;
  }

  /**
   * Loads a tokenizer from a {@code tokenizer.json}, a directory holding one, or a SentencePiece
   * {@code .model} file (or a directory holding exactly one {@code .model} file).
   *
   * @throws IllegalArgumentException if the path holds no tokenizer this class can read
   * @throws UncheckedIOException if the file cannot be read
   */
  public static RobertaTokenizer load(Path tokenizerJsonOrDir) {
    Path file = resolve(tokenizerJsonOrDir);
    try {
      if (isJson(file)) {
        Vocabulary vocabulary = Vocabulary.fromTokenizerJson(file);
        return new RobertaTokenizer(new HuggingFaceBackend(file), vocabulary, file);
      }
      byte[] model = Files.readAllBytes(file);
      SentencePieceModel parsed = SentencePieceModel.parse(model, file);
      SentencePieceBackend backend = new SentencePieceBackend(model, parsed);
      return new RobertaTokenizer(backend, backend.vocabulary(), file);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read tokenizer " + file + ": " + e.getMessage(), e);
    }
  }

  /** Encodes one text as {@code <s> tokens </s>}. */
  public Encoding encode(String text) {
    checkOpen();
    return backend.encode(text);
  }

  /** Encodes each text as {@code <s> tokens </s>}, in order; no padding or truncation. */
  public List<Encoding> encodeBatch(List<String> texts) {
    checkOpen();
    return texts.isEmpty() ? List.of() : backend.encodeBatch(texts);
  }

  /**
   * Turns ids back into text. With {@code skipSpecial}, special tokens ({@code <s>}, {@code </s>},
   * {@code <pad>}, {@code <mask>}, ...) are left out, so {@code decode(encode(t).ids(), true)}
   * gives {@code t} back for a byte-level BPE tokenizer.
   */
  public String decode(int[] ids, boolean skipSpecial) {
    checkOpen();
    for (int id : ids) {
      if (id < 0 || id >= vocabulary.size()) {
        throw new IllegalArgumentException(
            "token id " + id + " is outside the vocabulary [0, " + vocabulary.size() + ")");
      }
    }
    return backend.decode(ids, skipSpecial);
  }

  /** The id of a token as the vocabulary spells it (e.g. {@code "Ġworld"}), or -1 if absent. */
  public int tokenToId(String token) {
    return vocabulary.id(token);
  }

  /**
   * The vocabulary's spelling of an id.
   *
   * @throws IllegalArgumentException if {@code id} is not in {@code [0, vocabSize())}
   */
  public String idToToken(int id) {
    return vocabulary.token(id);
  }

  /** Number of ids, special and added tokens included (largest id + 1). */
  public int vocabSize() {
    return vocabulary.size();
  }

  /** The file this tokenizer was read from. */
  public Path source() {
    return source;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      backend.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("This tokenizer (" + source + ") is closed");
    }
  }

  private static Path resolve(Path path) {
    if (!Files.exists(path)) {
      throw new IllegalArgumentException(
          "No tokenizer at " + path + ": give a tokenizer.json, a directory holding one, or a"
              + " SentencePiece .model file");
    }
    if (!Files.isDirectory(path)) {
      return path;
    }
    Path json = path.resolve(TOKENIZER_JSON);
    if (Files.isRegularFile(json)) {
      return json;
    }
    List<Path> models = new ArrayList<>();
    try (Stream<Path> files = Files.list(path)) {
      files.filter(p -> p.getFileName().toString().endsWith(".model")).sorted().forEach(models::add);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + path, e);
    }
    if (models.size() == 1) {
      return models.get(0);
    }
    throw new IllegalArgumentException(
        "Directory " + path + " holds no " + TOKENIZER_JSON + " and "
            + (models.isEmpty() ? "no SentencePiece .model file" : models.size() + " .model files "
                + models + "; name one")
            + ": give a tokenizer.json, a directory holding one, or a .model file");
  }

  private static boolean isJson(Path file) {
    String name = file.getFileName().toString();
    if (name.endsWith(".json")) {
      return true;
    }
    if (name.endsWith(".model")) {
      return false;
    }
    try (var in = Files.newInputStream(file)) {
      int b;
      do {
        b = in.read();
      } while (b == ' ' || b == '\n' || b == '\r' || b == '\t');
      return b == '{';
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
  }
}
