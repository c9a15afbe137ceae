package io.roberta.runners.cli;

import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code roberta export <recipe> [--out FILE]}: the recipe as JSON, to a file or standard output. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {"Write a recipe as JSON.", "Schema version " + Recipe.SCHEMA_VERSION + "; `roberta validate`, `describe` and `run` read it back."})
public final class ExportCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "RECIPE", description = "A recipe JSON file, a Supplier<Recipe> class, or an example name.")
  String recipe;

  @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write here instead of standard output.")
  Path out;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    String json = RecipeJson.write(RecipeLoader.load(recipe));
    if (out == null) {
      spec.commandLine().getOut().print(json);
      spec.commandLine().getOut().flush();
      return 0;
    }
    try {
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(out, json, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserError("cannot write " + out + ": " + e.getMessage(), e);
    }
    spec.commandLine().getErr().printf("wrote %s%n", out);
    return 0;
  }
}
