package io.roberta.spec;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the corpus stage assembles: sources, cleaning, length filters, exact deduplication, the
 * train/holdout split (by document hash, so stable across runs and runners) and packing.
 *
 * <pre>{@code
 * CorpusSpec corpus = Corpus.of(Sources.textFiles("data/brown/c*"))
 *     .dedupe().minChars(20).holdout(0.02).pack(Packing.fullSentences(128)).build();
 * }</pre>
 */
public record CorpusSpec(
    List<SourceSpec> sources,
    NormalizationSpec normalization,
    int minChars,
    int maxChars,
    boolean dedupe,
    double holdoutFraction,
    PackingSpec packing) {

  public CorpusSpec {
    sources = List.copyOf(Checks.nonEmpty("corpus.sources", sources));
    Set<String> names = new HashSet<>();
    for (SourceSpec source : sources) {
      if (!names.add(source.name())) {
        throw Checks.invalid(
            "corpus.sources[].name", source.name(), "must be unique within the corpus (it names the source in counts)");
      }
    }
    Checks.notNull("corpus.normalization", normalization);
    Checks.nonNegative("corpus.minChars", minChars);
    Checks.positive("corpus.maxChars", maxChars);
    if (maxChars < minChars) {
      throw Checks.invalid(
          "corpus.maxChars", maxChars, "must be >= corpus.minChars = " + minChars);
    }
    Checks.fractionBelowOne("corpus.holdoutFraction", holdoutFraction);
    Checks.notNull("corpus.packing", packing);
  }
}
