package io.roberta.runners.cli;

import io.roberta.spec.Recipe;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code roberta validate <recipe>}: exit 0 and one line when valid, 1 and the problem when not. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {"Check a recipe.", "Every field and combination; prints the first problem, naming the field; exit status 1 when invalid."})
public final class ValidateCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "RECIPE", description = "A recipe JSON file, a Supplier<Recipe> class, or an example name.")
  String recipe;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Recipe r = RecipeLoader.load(recipe);
    spec.commandLine().getOut().printf("%s: valid recipe '%s'%n", recipe, r.name());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
