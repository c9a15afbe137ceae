package io.roberta.runners.cli;

import io.roberta.runners.run.PreRunChecks;
import io.roberta.spec.Recipe;
import io.roberta.spec.plan.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code roberta validate <recipe> [run's options]}: every check {@code roberta run} makes before
 * its first stage, with the same messages: the recipe's fields and combinations, its plan, the
 * options (runner, work directory, accelerator, Beam's own), and its inputs (corpus files, task
 * names and folders, models to start from). {@code --offline} checks the recipe alone.
 *
 * <pre>{@code roberta validate TinyBrown --work-dir=/tmp/work --runner=FlinkRunner --flinkMaster=[local]}</pre>
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {"Check a recipe and its inputs as run would, without running a stage.",
        "Takes run's options; prints the first problem, naming the field or option; exit status 1 when invalid.",
        "--offline checks only the recipe itself (fields and combinations), reading no inputs."})
public final class ValidateCommand implements Callable<Integer> {

  @Mixin StageRunOptions run;

  @Option(names = "--offline", description = "Check the recipe alone: no inputs, folders or options.")
  boolean offline;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Recipe r = RecipeLoader.load(run.recipe);
    Plan plan = Plan.compile(r);
    if (!offline) {
      // The options check creates the work folder to prove it can be written; validate leaves no trace of that.
      Path created = firstMissing(run.workDir);
      try {
        RunCommand.options(run, beamArgs);
      } finally {
        removeEmpty(run.workDir, created);
      }
      try {
        PreRunChecks.check(r);
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage(), e);
      }
    }
    spec.commandLine().getOut().printf("%s: valid recipe '%s' (%d stages%s)%n", run.recipe, r.name(), plan.stages().size(),
        offline ? "; inputs and options not checked (--offline)" : "; inputs and options checked as run would");
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** The outermost folder of a local {@code dir} that does not exist yet, or null. */
  private static Path firstMissing(String dir) {
    if (dir == null || dir.contains("://")) {
      return null;
    }
    Path missing = null;
    for (Path p = Path.of(dir).toAbsolutePath().normalize(); p != null && !Files.exists(p); p = p.getParent()) {
      missing = p;
    }
    return missing;
  }

  private static void removeEmpty(String dir, Path upTo) {
    if (upTo == null) {
      return;
    }
    for (Path p = Path.of(dir).toAbsolutePath().normalize(); p != null && p.startsWith(upTo); p = p.getParent()) {
      try {
        Files.deleteIfExists(p); // only empty folders can be deleted
      } catch (IOException e) {
        return; // not empty, or not ours to remove
      }
    }
  }
}
