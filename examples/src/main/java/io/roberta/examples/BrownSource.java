package io.roberta.examples;

import io.roberta.pipelines.corpus.Document;
import io.roberta.pipelines.corpus.DocumentReader;
import io.roberta.pipelines.corpus.DropReason;
import io.roberta.pipelines.corpus.FileSource;
import io.roberta.pipelines.corpus.Source;
import io.roberta.pipelines.corpus.SourceProvider;
import io.roberta.spec.SourceSpec;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The Brown corpus as NLTK ships it: 500 files of tagged text ({@code The/at jury/nn said/vbd}),
 * one sentence per line, named {@code c<genre><number>} ({@code ca01} is press reportage). Each
 * file becomes one document of plain text, one sentence per line, labelled with its genre letter.
 * Recipes name it {@code Sources.custom("brown", "data/brown/c[a-r][0-9][0-9]")}.
 *
 * <pre>{@code
 * BrownSource.untag("The/at jury/nn said/vbd ``/`` no/at ''/'' ./.")  // The jury said "no".
 * }</pre>
 */
public final class BrownSource {
  private BrownSource() {}

  /** The {@code brown} provider, listed in {@code META-INF/services}. */
  public static final class Provider implements SourceProvider {
    @Override
    public String name() {
      return "brown";
    }

    @Override
    public Source create(SourceSpec spec) {
      return FileSource.of(spec.name(), spec.path(), BrownSource::parse);
    }
  }

  /** One tagged file to one document; the label is the genre letter from the file name. */
  static void parse(String fileId, InputStream in, DocumentReader reader, Consumer<Document> out) throws IOException {
    byte[] bytes = reader.readAllBytesOrReject(fileId, in, out);
    if (bytes == null) {
      return;
    }
    String tagged = DocumentReader.decodeUtf8(bytes, bytes.length);
    if (tagged == null) {
      out.accept(Document.rejected(reader.source(), fileId, DropReason.INVALID_UTF8, bytes.length));
      return;
    }
    StringBuilder text = new StringBuilder(tagged.length() / 2);
    for (String line : tagged.split("\n")) {
      String sentence = untag(line);
      if (!sentence.isEmpty()) {
        text.append(sentence).append('\n');
      }
    }
    out.accept(new Document(reader.source(), fileId, text.toString(), genre(fileId), bytes.length, null));
  }

  /** The genre letter of a Brown file name ({@code .../ca01} gives {@code a}), or null. */
  static String genre(String fileId) {
    String name = fileId.substring(fileId.lastIndexOf('/') + 1);
    return name.length() == 4 && name.charAt(0) == 'c' ? name.substring(1, 2) : null;
  }

  private static final Set<String> NO_SPACE_BEFORE = Set.of(",", ".", ";", ":", "?", "!", ")", "]", "''", "'");
  private static final Set<String> NO_SPACE_AFTER = Set.of("``", "(", "[");

  /** One tagged line as plain text: tags dropped, Penn-style quotes turned back into {@code "}. */
  static String untag(String line) {
    StringBuilder s = new StringBuilder(line.length());
    boolean spaceNext = false;
    for (String token : line.trim().split("\\s+")) {
      if (token.isEmpty()) {
        continue;
      }
      int slash = token.lastIndexOf('/');
      String word = slash > 0 ? token.substring(0, slash) : token;
      boolean attach = NO_SPACE_BEFORE.contains(word);
      if (s.length() > 0 && spaceNext && !attach) {
        s.append(' ');
      }
      s.append(word.equals("``") || word.equals("''") ? "\"" : word);
      spaceNext = !NO_SPACE_AFTER.contains(word);
    }
    return s.toString();
  }
}
