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
import picocli.CommandLine.Mixin;
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

  @Mixin StageRunOptions run;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Recipe r = RecipeLoader.load(run.recipe);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Consumer<String> log = line -> {
      err.println(line);
      err.flush();
    };
    RobertaPipelineOptions options = options(run, beamArgs);
    long started = System.nanoTime();
    RecipeRun.Outcome o;
    try {
      RecipeRun.checkInputs(r);
      o = RecipeRun.run(r, options, log);
    } catch (IllegalArgumentException | io.roberta.pipelines.stage.WorkLock.LockedException e) {
      throw new UserError(e.getMessage(), e);
    }
    out.printf(Locale.ROOT, "%n%s: %s in %.0f s%n", r.name(), o.complete() ? "all stages done" : "stopped early",
        (System.nanoTime() - started) / 1e9);
    out.printf("  report:             %s%n", o.report());
    if (o.pretrainedHf() != null) {
      out.printf("  Hugging Face model: %s%n", o.pretrainedHf().dir());
    }
    o.models().forEach((task, dir) -> out.printf("  fine-tuned %-8s %s%n", task + ":", dir.dir()));
    if (o.evalManifest() != null) {
      out.println("  scores:");
      o.evalManifest().path("reports").fields().forEachRemaining(e -> {
        StringBuilder line = new StringBuilder();
        e.getValue().path("metrics").fields().forEachRemaining(m -> line.append(' ').append(m.getKey()).append(' ')
            .append(RunReport.format(m.getValue())));
        out.printf("    %-30s%s%n", e.getKey(), line);
      });
    }
    boolean allSkipped = o.stages().stream().allMatch(RunReport.StageRun::skipped);
    if (o.pretrainedHf() != null && o.complete() && !allSkipped) {
      PretrainCommand.fillMask(o.pretrainedHf(), run.sample, out);
    } else if (o.pretrainedHf() != null && o.complete()) {
      // Nothing ran: loading a model (ND4J's and DJL's native libraries) only for the sample would
      // make a no-op run slow, so it points to the command instead.
      out.printf("  fill-mask sample:   ./roberta fill-mask --model %s \"%s\"%n", o.pretrainedHf(), run.sample);
    }
    out.flush();
    return 0;
  }

  /** The checked pipeline options of {@code run} and {@code validate}: Beam's arguments plus this command's own. */
  static RobertaPipelineOptions options(StageRunOptions run, List<String> beamArgs) {
    RobertaPipelineOptions options = OptionsCheck.parse(beamArgs, run.workDir);
    options.setStopAfterSteps(run.stopAfterSteps);
    options.setHoldoutBlocks(run.holdoutBlocks);
    if (run.accelerator != null) {
      options.setTrainingAccelerator(OptionsCheck.accelerator(run.accelerator, "--training-accelerator"));
    }
    return options;
  }
}
