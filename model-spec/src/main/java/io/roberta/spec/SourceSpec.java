package io.roberta.spec;

/**
 * One input of the corpus: where its documents come from and how often they count.
 *
 * <ul>
 *   <li>{@code TEXT}: files matching {@code path} (a glob; {@code .gz} is decompressed), cut into
 *       documents by {@code unit}.
 *   <li>{@code JSONL}: JSON Lines files, one document per line, text in {@code textField}.
 *   <li>{@code CUSTOM}: a source registered under {@code provider} (looked up by name in a
 *       registry of the pipelines module, never by class name), given {@code path}.
 * </ul>
 *
 * <p>A {@code weight} of 2 makes each of the source's documents appear twice as often.
 */
public record SourceSpec(
    String name, Format format, String path, DocumentUnit unit, String textField, String provider, int weight) {

  public enum Format {
    TEXT,
    JSONL,
    CUSTOM
  }

  /** How a text file is cut into documents. */
  public enum DocumentUnit {
    FILE,
    PARAGRAPH,
    LINE
  }

  public SourceSpec {
    Checks.name("corpus.sources[].name", name);
    String f = "corpus.sources[" + name + "]";
    Checks.notNull(f + ".format", format);
    Checks.nonBlank(f + ".path", path);
    Checks.positive(f + ".weight", weight);
    switch (format) {
      case TEXT -> {
        Checks.notNull(f + ".unit", unit);
        Checks.absent(f + ".textField", textField, "only JSONL sources read a text field");
        Checks.absent(f + ".provider", provider, "only CUSTOM sources name a provider");
      }
      case JSONL -> {
        Checks.absent(f + ".unit", unit, "a JSONL source has one document per line");
        Checks.nonBlank(f + ".textField", textField);
        Checks.absent(f + ".provider", provider, "only CUSTOM sources name a provider");
      }
      case CUSTOM -> {
        Checks.absent(f + ".unit", unit, "a CUSTOM source decides its own documents");
        Checks.absent(f + ".textField", textField, "only JSONL sources read a text field");
        Checks.name(f + ".provider", provider);
      }
    }
  }

  public static SourceSpec textFiles(String name, String glob, DocumentUnit unit, int weight) {
    return new SourceSpec(name, Format.TEXT, glob, unit, null, null, weight);
  }

  public static SourceSpec jsonLines(String name, String glob, String textField, int weight) {
    return new SourceSpec(name, Format.JSONL, glob, null, textField, null, weight);
  }

  public static SourceSpec custom(String name, String provider, String path, int weight) {
    return new SourceSpec(name, Format.CUSTOM, path, null, null, provider, weight);
  }
}
