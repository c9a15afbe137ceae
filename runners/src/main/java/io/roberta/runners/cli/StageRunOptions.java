package io.roberta.runners.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The arguments {@code roberta run} and {@code roberta pretrain} share: which recipe, where its
 * stages write, how far pretraining goes, and the fill-mask sample printed at the end. Beam's own
 * options ({@code --runner=...}) are each command's unmatched arguments.
 */
final class StageRunOptions {
  @Parameters(index = "0", paramLabel = "RECIPE", description = "A recipe JSON file, a Supplier<Recipe> class, or an example name (TinyBrown).")
  String recipe;

  @Option(names = "--work-dir", defaultValue = "work", description = "Where stage artifacts go (default: ${DEFAULT-VALUE}).")
  String workDir;

  @Option(names = "--stop-after-steps", defaultValue = "-1",
      description = "Stop pretraining after this many optimizer steps (a smoke or time-boxed run; later stages wait); a later run"
          + " resumes. Default: the whole schedule.")
  long stopAfterSteps;

  @Option(names = "--holdout-blocks", defaultValue = "2000", description = "Holdout blocks scored at the end of pretraining (default: ${DEFAULT-VALUE}; 0: none).")
  int holdoutBlocks;

  @Option(names = "--training-accelerator", description = "Beam accelerator hint for the training stages, overriding the recipe's.")
  String accelerator;

  @Option(names = "--sample", defaultValue = "The <mask> of the United States shall be the commander in chief.",
      description = "Text with <mask> for the fill-mask sample printed at the end (default: ${DEFAULT-VALUE}).")
  String sample;
}
