package io.roberta.runners.cli;

import io.roberta.pipelines.run.RunReport;
import io.roberta.runners.options.OptionsCheck;
import io.roberta.runners.options.RobertaPipelineOptions;
import io.roberta.runners.run.RecipeRun;
import io.roberta.spec.Recipe;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code roberta run <recipe>}: every stage of the recipe in order (tokenizer, corpus,
 * pretraining, fine-tuning, evaluation) on the runner the Beam options name, then a {@code
 * report.md} with plots, where the Hugging Face model is, and a fill-mask sample.
 *
 * <pre>{@code roberta run TinyBrown --work-dir=work --runner=FlinkRunner --flinkMaster=[local]}</pre>
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run every stage of a recipe: tokenizer, corpus, pretraining, fine-tuning, evaluation; then write report.md.",
      "Each stage writes <work-dir>/<recipe>/<stage>/<fingerprint>/ and is skipped when done; a killed run resumes."
          + " Beam options (--runner=FlinkRunner --flinkMaster=[local], --runner=DataflowRunner --project=..., ...) pass through."
    })
public final class RunCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "RECIPE", description = "A recipe JSON file, a Supplier<Recipe> class, or an example name (TinyBrown).")
  String recipe;

  @Option(names = "--work-dir", defaultValue = "work", description = "Where stage artifacts go (default: ${DEFAULT-VALUE}).")
  String workDir;

  @Option(names = "--stop-after-steps", defaultValue = "-1",
      description = "Stop pretraining after this many optimizer steps (a time-boxed run; later stages wait); a later run resumes.")
  long stopAfterSteps;

  @Option(names = "--holdout-blocks", defaultValue = "2000", description = "Holdout blocks scored at the end of pretraining (default: ${DEFAULT-VALUE}).")
  int holdoutBlocks;

  @Option(names = "--training-accelerator", description = "Beam accelerator hint for the training stages, overriding the recipe's.")
  String accelerator;

  @Option(names = "--sample", defaultValue = "The <mask> of the United States shall be the commander in chief.",
      description = "Text with <mask> for the fill-mask sample printed at the end (default: ${DEFAULT-VALUE}).")
  String sample;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Recipe r = RecipeLoader.load(recipe);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Consumer<String> log = line -> {
      err.println(line);
      err.flush();
    };
    RobertaPipelineOptions options = OptionsCheck.parse(beamArgs, workDir);
    options.setStopAfterSteps(stopAfterSteps);
    options.setHoldoutBlocks(holdoutBlocks);
    if (accelerator != null) {
      options.setTrainingAccelerator(OptionsCheck.accelerator(accelerator, "--training-accelerator"));
    }
    long started = System.nanoTime();
    RecipeRun.Outcome o;
    try {
      RecipeRun.checkInputs(r);
      o = RecipeRun.run(r, options, log);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage(), e);
    }
    out.printf(Locale.ROOT, "%n%s: %s in %.0f s%n", r.name(), o.complete() ? "all stages done" : "stopped early",
        (System.nanoTime() - started) / 1e9);
    out.printf("  report:             %s%n", o.report());
    if (o.pretrainedHf() != null) {
      out.printf("  Hugging Face model: %s%n", o.pretrainedHf());
    }
    o.models().forEach((task, dir) -> out.printf("  fine-tuned %-8s %s%n", task + ":", dir));
    if (o.evalManifest() != null) {
      out.println("  scores:");
      o.evalManifest().path("reports").fields().forEachRemaining(e -> {
        StringBuilder line = new StringBuilder();
        e.getValue().path("metrics").fields().forEachRemaining(m -> line.append(' ').append(m.getKey()).append(' ')
            .append(RunReport.format(m.getValue())));
        out.printf("    %-30s%s%n", e.getKey(), line);
      });
    }
    if (o.pretrainedHf() != null && o.complete()) {
      PretrainCommand.fillMask(o.pretrainedHf(), sample, out);
    }
    out.flush();
    return 0;
  }
}
