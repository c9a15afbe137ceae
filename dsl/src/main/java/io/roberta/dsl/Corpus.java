package io.roberta.dsl;

import io.roberta.spec.Checks;
import io.roberta.spec.CorpusSpec;
import io.roberta.spec.NormalizationSpec;
import io.roberta.spec.PackingSpec;
import io.roberta.spec.SourceSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The corpus builder. Defaults: NFC + control characters stripped + whitespace collapsed,
 * documents of at least 1 character, exact dedup on, 1% holdout, FULL-SENTENCES blocks of 512.
 *
 * <pre>{@code
 * Corpus.of(Sources.textFiles("data/brown/c*"), Sources.textFiles("data/moby-dick/*").weight(2))
 *     .minChars(20).holdout(0.02).pack(Packing.fullSentences(128))
 * }</pre>
 */
public final class Corpus {
  private final List<SourceSpec> sources = new ArrayList<>();
  private NormalizationSpec normalization = NormalizationSpec.standard();
  private int minChars = 1;
  private int maxChars = Integer.MAX_VALUE;
  private boolean dedupe = true;
  private double holdout = 0.01;
  private PackingSpec packing = Packing.fullSentences(512);

  private Corpus() {}

  public static Corpus of(Sources.Source... sources) {
    Corpus c = new Corpus();
    for (Sources.Source s : sources) {
      c.sources.add(s.build());
    }
    Checks.nonEmpty("corpus.sources", c.sources);
    return c;
  }

  public Corpus add(Sources.Source source) {
    sources.add(source.build());
    return this;
  }

  /** Exact deduplication by content hash across all sources (the default). */
  public Corpus dedupe() {
    this.dedupe = true;
    return this;
  }

  public Corpus keepDuplicates() {
    this.dedupe = false;
    return this;
  }

  public Corpus normalization(NormalizationSpec normalization) {
    this.normalization = Checks.notNull("corpus.normalization", normalization);
    return this;
  }

  public Corpus minChars(int minChars) {
    this.minChars = Checks.nonNegative("corpus.minChars", minChars);
    return this;
  }

  public Corpus maxChars(int maxChars) {
    this.maxChars = Checks.positive("corpus.maxChars", maxChars);
    return this;
  }

  /** Fraction of documents held out for evaluation, chosen by document hash. */
  public Corpus holdout(double fraction) {
    this.holdout = Checks.fractionBelowOne("corpus.holdoutFraction", fraction);
    return this;
  }

  public Corpus pack(PackingSpec packing) {
    this.packing = Checks.notNull("corpus.packing", packing);
    return this;
  }

  public CorpusSpec build() {
    return new CorpusSpec(sources, normalization, minChars, maxChars, dedupe, holdout, packing);
  }
}
