package io.roberta.examples;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Sources;

/**
 * Where the example recipes find the public-domain text they train on. Relative paths resolve
 * against the directory {@code roberta} runs in (the project root); set the system property
 * {@code roberta.data} to point elsewhere.
 */
final class SharedData {
  private SharedData() {}

  /** The three public-domain sources every example trains on, with no other settings. */
  static Corpus corpus() {
    return Corpus.of(
        Sources.custom("brown", brown()),
        Sources.textFiles(mobyDick()).name("moby-dick"),
        Sources.jsonLines(stateOfTheUnion(), "text").name("sotu"));
  }

  static String root() {
    return System.getProperty("roberta.data", "../shared/data");
  }

  /** The Brown corpus' 500 tagged files ({@code ca01} .. {@code cr09}); the genre is the second letter. */
  static String brown() {
    return root() + "/brown/c[a-r][0-9][0-9]";
  }

  static String mobyDick() {
    return root() + "/moby-dick/chapter_*.txt";
  }

  /** State of the Union addresses: one JSON object per file, text in field {@code text}. */
  static String stateOfTheUnion() {
    return root() + "/sotu/*.json";
  }
}
