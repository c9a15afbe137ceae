package io.roberta.dsl;

import io.roberta.spec.Checks;
import io.roberta.spec.SourceSpec;
import io.roberta.spec.SourceSpec.DocumentUnit;

/**
 * Corpus sources. Names default to a slug of the path and must be unique within a corpus.
 *
 * <pre>{@code
 * Sources.textFiles("data/moby-dick/*.txt").perParagraph().weight(2)
 * Sources.jsonLines("data/news/*.jsonl.gz", "text")
 * Sources.custom("brown", "data/brown/c*")       // a source registered as "brown"
 * }</pre>
 */
public final class Sources {
  private Sources() {}

  public static Source textFiles(String glob) {
    return new Source(SourceSpec.Format.TEXT, glob, null, null).unit(DocumentUnit.FILE);
  }

  public static Source jsonLines(String glob, String textField) {
    return new Source(SourceSpec.Format.JSONL, glob, Checks.nonBlank("source.textField", textField), null);
  }

  public static Source custom(String provider, String path) {
    return new Source(SourceSpec.Format.CUSTOM, path, null, Checks.name("source.provider", provider));
  }

  /** A source being described; {@link #build()} gives its {@link SourceSpec}. */
  public static final class Source {
    private final SourceSpec.Format format;
    private final String path;
    private final String textField;
    private final String provider;
    private String name;
    private DocumentUnit unit;
    private int weight = 1;
    private SourceSpec.InvalidUtf8 invalidUtf8;
    private SourceSpec.Oversized oversized;

    private Source(SourceSpec.Format format, String path, String textField, String provider) {
      this.format = format;
      this.path = Checks.nonBlank("source.path", path);
      this.textField = textField;
      this.provider = provider;
      this.name = provider != null ? provider : slug(path);
    }

    public Source name(String name) {
      this.name = Checks.name("source.name", name);
      return this;
    }

    public Source perFile() {
      return unit(DocumentUnit.FILE);
    }

    public Source perParagraph() {
      return unit(DocumentUnit.PARAGRAPH);
    }

    public Source perLine() {
      return unit(DocumentUnit.LINE);
    }

    /** How often each document counts: 2 makes it appear twice as often as weight 1. */
    public Source weight(int weight) {
      this.weight = Checks.positive("source.weight", weight);
      return this;
    }

    /**
     * Keeps a document with invalid UTF-8, each malformed sequence replaced by U+FFFD (counted in
     * the manifest as {@code utf8_replaced}); by default such a document is dropped.
     */
    public Source replaceInvalidUtf8() {
      this.invalidUtf8 = SourceSpec.InvalidUtf8.REPLACE;
      return this;
    }

    /**
     * Cuts a document longer than the reader's limit (16 MiB) into pieces at paragraph, sentence
     * or word boundaries (counted as {@code split_pieces}); by default it is dropped.
     */
    public Source splitOversized() {
      this.oversized = SourceSpec.Oversized.SPLIT;
      return this;
    }

    private Source unit(DocumentUnit unit) {
      if (format != SourceSpec.Format.TEXT) {
        throw new io.roberta.spec.SpecException(
            "source.unit", "source.unit applies only to text files; a " + format + " source decides its own documents");
      }
      this.unit = unit;
      return this;
    }

    public SourceSpec build() {
      return new SourceSpec(name, format, path, unit, textField, provider, weight, invalidUtf8, oversized);
    }

    static String slug(String path) {
      String s = path.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
      if (s.isEmpty()) {
        s = "source";
      }
      return s.length() > 64 ? s.substring(s.length() - 64).replaceAll("^[^a-z0-9]+", "") : s;
    }
  }
}
