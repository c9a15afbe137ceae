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

  /**
   * The Brown corpus' tagged files ({@code ca01} .. {@code cr09}; the genre is the second letter)
   * that the Brown tasks train on: the files numbered 05, 10, 15, ... are the tasks' test files
   * ({@code BrownTasks}), so pretraining never sees the text the fine-tuned models are scored on.
   * 407 of the 500 files.
   */
  static String brown() {
    return root() + "/brown/c[a-r][0-9][1-46-9]";
  }

  /** The Brown folder, as the fine-tuning tasks read it. */
  static String brownFolder() {
    return root() + "/brown";
  }

  static String mobyDick() {
    return root() + "/moby-dick/chapter_*.txt";
  }

  /** State of the Union addresses: one JSON object per file, text in field {@code text}. */
  static String stateOfTheUnion() {
    return root() + "/sotu/*.json";
  }
}
