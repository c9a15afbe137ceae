package io.roberta.runners.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line run in-process, as a user would type it. */
class CommandLineTest {
  record Result(int status, String out, String err) {}

  static Result run(String... args) {
    CommandLine cli = RobertaCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int status = cli.execute(args);
    return new Result(status, out.toString(), err.toString());
  }

  @Test
  void describePrintsThePlanAndTheSizes() {
    Result r = run("describe", SampleRecipe.class.getName());
    assertEquals(0, r.status(), r.err());
    Recipe recipe = new SampleRecipe().get();
    String out = r.out();
    assertTrue(out.contains("Recipe sample"), out);
    assertTrue(out.contains(String.format("parameters %,d", recipe.model().parameterCount())), out);
    assertTrue(out.contains("tokens per optimizer step 4,096"), out);
    assertTrue(out.contains("gradient accumulation steps 4"), out);
    assertTrue(out.contains("total tokens 409,600"), out);
    assertTrue(out.contains("estimated training FLOPs"), out);
    assertTrue(out.contains(String.format(java.util.Locale.ROOT, "training state %.1f MB",
        recipe.model().trainingStateBytes() / 1e6)), out);
    int tokenizer = out.indexOf(" tokenizer ");
    int corpus = out.indexOf(" corpus ");
    int pretrain = out.indexOf(" pretrain ");
    int eval = out.indexOf(" eval ");
    assertTrue(0 < tokenizer && tokenizer < corpus && corpus < pretrain && pretrain < eval, out);
    assertTrue(out.contains("out: sample/corpus/"), out);
  }

  @Test
  void describeShowsWorkersRoundsAndCommunication(@TempDir Path dir) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode tree = (ObjectNode) mapper.readTree(RecipeJson.write(new SampleRecipe().get()));
    tree.with("pretrain").putObject("rounds").put("workers", 4).put("roundSteps", 10)
        .put("outerLearningRate", 0.7).put("outerMomentum", 0.9).put("nesterov", true).put("shardAffine", false).put("bf16Deltas", false);
    Path file = dir.resolve("rounds.json");
    Files.writeString(file, mapper.writeValueAsString(tree));
    Result r = run("describe", file.toString());
    assertEquals(0, r.status(), r.err());
    String out = r.out();
    Recipe recipe = RecipeJson.read(file);
    long params = io.roberta.spec.plan.Plan.compile(recipe).parameterCount();
    assertTrue(out.contains("4 workers in 10 rounds of 10 inner steps (DiLoCo): each worker takes 8 sequences per"
        + " inner step; outer SGD lr 0.7, momentum 0.9 (Nesterov)"), out);
    assertTrue(out.contains(String.format(java.util.Locale.ROOT, "communication per round %.1f MB", 32.0 * params / 1e6)),
        out);
    // a ring all-reduce every step: 2 (K-1) x 4 bytes x parameters x 10 steps, 7.5 times the rounds' traffic
    assertTrue(out.contains("(8x more)"), out);
    assertTrue(out.contains("4 workers, rounds of 10 steps"), out);
  }

  @Test
  void exportThenValidateThenDescribeFromJson(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sample.json");
    Result export = run("export", SampleRecipe.class.getName(), "--out", file.toString());
    assertEquals(0, export.status(), export.err());
    assertEquals(new SampleRecipe().get(), RecipeJson.read(file));

    Result valid = run("validate", "--offline", file.toString());
    assertEquals(0, valid.status(), valid.err());
    assertTrue(valid.out().contains("valid recipe 'sample'"));

    Result fromClass = run("describe", SampleRecipe.class.getName());
    Result fromJson = run("describe", file.toString());
    assertEquals(fromClass.out(), fromJson.out());
  }

  @Test
  void exportToStandardOutput() {
    Result r = run("export", SampleRecipe.class.getName());
    assertEquals(0, r.status());
    assertEquals(new SampleRecipe().get(), RecipeJson.read(r.out(), "stdout"));
  }

  @Test
  void invalidJsonNamesFileAndField(@TempDir Path dir) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode tree = (ObjectNode) mapper.readTree(RecipeJson.write(new SampleRecipe().get()));
    tree.with("pretrain").put("microBatch", 7);
    Path file = dir.resolve("bad.json");
    Files.writeString(file, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
    Result r = run("validate", file.toString());
    assertEquals(1, r.status());
    assertTrue(r.err().startsWith("error: " + file), r.err());
    assertTrue(r.err().contains("pretrain.batchSize = 32 is invalid: must be a multiple of pretrain.microBatch = 7"), r.err());
  }

  @Test
  void unknownRecipeAndNonRecipeClassesAreExplained() {
    Result missing = run("describe", "NoSuchRecipe");
    assertEquals(1, missing.status());
    assertTrue(missing.err().contains("no recipe named 'NoSuchRecipe'"), missing.err());

    Result notRecipe = run("describe", SampleRecipe.NotARecipe.class.getName());
    assertEquals(1, notRecipe.status());
    assertTrue(notRecipe.err().contains("must implement java.util.function.Supplier<Recipe>"), notRecipe.err());

    Result missingFile = run("validate", "nowhere/recipe.json");
    assertEquals(1, missingFile.status());
    assertTrue(missingFile.err().contains("nowhere/recipe.json: no such recipe file"), missingFile.err());
  }

  @Test
  void everyCommandHasHelp() {
    CommandLine cli = RobertaCli.newCommandLine();
    for (String name : cli.getSubcommands().keySet()) {
      Result r = run(name, "--help");
      assertEquals(0, r.status(), name);
      assertTrue(r.out().contains("Usage: roberta " + name), name + ": " + r.out());
    }
    Result top = run("--help");
    assertEquals(0, top.status());
    assertTrue(top.out().contains("describe"));
  }

  @Test
  void noCommandPrintsUsageAndFails() {
    Result r = run();
    assertEquals(2, r.status());
  }
}
