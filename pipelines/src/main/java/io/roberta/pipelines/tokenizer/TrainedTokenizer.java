package io.roberta.pipelines.tokenizer;

import java.io.Serializable;

/**
 * What {@link TrainTokenizer} produced: where its files are and what they hold.
 *
 * @param directory the output directory ({@code tokenizer.json}, {@code vocab.json}, {@code
 *     merges.txt})
 * @param vocabSize tokens in the vocabulary
 * @param requestedVocabSize tokens asked for; larger than {@code vocabSize} if the corpus ran out
 * @param merges merges learned
 * @param distinctWords distinct pre-tokens in the corpus
 * @param totalWords pre-tokens in the corpus
 * @param warning why the vocabulary is smaller than asked, or empty
 */
public record TrainedTokenizer(
    String directory,
    int vocabSize,
    int requestedVocabSize,
    int merges,
    long distinctWords,
    long totalWords,
    String warning)
    implements Serializable {}
