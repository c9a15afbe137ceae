package io.roberta.spec;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.OptBoolean;

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
 *
 * <p>{@code onInvalidUtf8} and {@code onOversized} choose what happens to a document that is not
 * valid UTF-8 or longer than the reader's limit: {@code DROP} (the default, written as null and
 * left out of the JSON so older recipes keep their fingerprints) or {@code REPLACE} (bad bytes
 * become U+FFFD) / {@code SPLIT} (cut into pieces at paragraph, sentence or word boundaries). Both
 * are counted per source in the corpus manifest.
 */
public record SourceSpec(
    String name,
    Format format,
    String path,
    DocumentUnit unit,
    String textField,
    String provider,
    int weight,
    @JsonInclude(JsonInclude.Include.NON_NULL) InvalidUtf8 onInvalidUtf8,
    @JsonInclude(JsonInclude.Include.NON_NULL) Oversized onOversized) {

  /** Reading policy for bytes that are not valid UTF-8. */
  public enum InvalidUtf8 {
    /** The document is dropped and counted as {@code invalid_utf8}. */
    DROP,
    /** Each malformed sequence becomes U+FFFD; the document is kept and counted as repaired. */
    REPLACE
  }

  /** Reading policy for a document longer than the reader's limit (16 MiB). */
  public enum Oversized {
    /** The document is streamed past and counted as {@code oversized}. */
    DROP,
    /** The document is cut into pieces under the limit, each counted as a split piece. */
    SPLIT
  }

  /** The key under which an absent policy is injected when reading JSON: null, the default. */
  public static final String ABSENT_POLICY = "io.roberta.spec.SourceSpec.absentPolicy";

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

  /** Without reading policies: both {@code DROP}. */
  public SourceSpec(
      String name, Format format, String path, DocumentUnit unit, String textField, String provider, int weight) {
    this(name, format, path, unit, textField, provider, weight, null, null);
  }

  @JsonCreator
  public SourceSpec(
      @JsonProperty("name") String name,
      @JsonProperty("format") Format format,
      @JsonProperty("path") String path,
      @JsonProperty("unit") DocumentUnit unit,
      @JsonProperty("textField") String textField,
      @JsonProperty("provider") String provider,
      @JsonProperty("weight") int weight,
      @JsonProperty("onInvalidUtf8") @JacksonInject(value = ABSENT_POLICY, useInput = OptBoolean.TRUE)
          InvalidUtf8 onInvalidUtf8,
      @JsonProperty("onOversized") @JacksonInject(value = ABSENT_POLICY, useInput = OptBoolean.TRUE)
          Oversized onOversized) {
    check(name, format, path, unit, textField, provider, weight);
    this.name = name;
    this.format = format;
    this.path = path;
    this.unit = unit;
    this.textField = textField;
    this.provider = provider;
    this.weight = weight;
    // DROP is the default and is stored as null, so a recipe that names it and one that does not
    // are the same recipe (same JSON, same fingerprint)
    this.onInvalidUtf8 = onInvalidUtf8 == InvalidUtf8.DROP ? null : onInvalidUtf8;
    this.onOversized = onOversized == Oversized.DROP ? null : onOversized;
    String f = "corpus.sources[" + name + "]";
    if (this.onInvalidUtf8 != null && format == Format.CUSTOM) {
      throw Checks.invalid(f + ".onInvalidUtf8", onInvalidUtf8,
          "a CUSTOM source decodes its own files; only TEXT and JSONL sources take this policy");
    }
    if (this.onOversized != null && format != Format.TEXT) {
      throw Checks.invalid(f + ".onOversized", onOversized, "only TEXT sources can be split"
          + " (a JSON Lines record or a custom file format cannot be cut at a text boundary)");
    }
  }

  /** The policy for invalid UTF-8, {@code DROP} when none was chosen. */
  public InvalidUtf8 invalidUtf8Policy() {
    return onInvalidUtf8 == null ? InvalidUtf8.DROP : onInvalidUtf8;
  }

  /** The policy for oversized documents, {@code DROP} when none was chosen. */
  public Oversized oversizedPolicy() {
    return onOversized == null ? Oversized.DROP : onOversized;
  }

  /** This source with the given reading policies. */
  public SourceSpec withPolicies(InvalidUtf8 invalidUtf8, Oversized oversized) {
    return new SourceSpec(name, format, path, unit, textField, provider, weight, invalidUtf8, oversized);
  }

  private static void check(
      String name, Format format, String path, DocumentUnit unit, String textField, String provider, int weight) {
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
