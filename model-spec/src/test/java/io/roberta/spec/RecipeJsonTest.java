package io.roberta.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void roundTripsEveryField(@TempDir Path dir) {
    Recipe recipe = TestRecipes.recipe();
    Path file = dir.resolve("recipe.json");
    RecipeJson.write(recipe, file);
    Recipe back = RecipeJson.read(file);
    assertEquals(recipe, back);
    assertEquals(RecipeJson.write(recipe), RecipeJson.write(back));
    assertTrue(RecipeJson.write(recipe).contains("\"schemaVersion\" : 1"));
  }

  @Test
  void sourceReadingPoliciesAreOptionalRoundTripAndKeepOldFingerprints() throws Exception {
    Recipe recipe = TestRecipes.recipe();
    String json = RecipeJson.write(recipe);
    assertTrue(!json.contains("onInvalidUtf8") && !json.contains("onOversized"), json);
    // DROP named explicitly is the same recipe as DROP by default
    ObjectNode tree = (ObjectNode) MAPPER.readTree(json);
    ((ObjectNode) tree.with("corpus").withArray("sources").get(0)).put("onInvalidUtf8", "DROP").put("onOversized", "DROP");
    Recipe explicit = RecipeJson.read(MAPPER.writeValueAsString(tree), "explicit.json");
    assertEquals(recipe, explicit);
    assertEquals(RecipeJson.fingerprint(recipe), RecipeJson.fingerprint(explicit));
    // a chosen policy round-trips and changes the fingerprint
    ((ObjectNode) tree.with("corpus").withArray("sources").get(0)).put("onInvalidUtf8", "REPLACE").put("onOversized", "SPLIT");
    Recipe chosen = RecipeJson.read(MAPPER.writeValueAsString(tree), "chosen.json");
    SourceSpec books = chosen.corpus().sources().get(0);
    assertEquals(SourceSpec.InvalidUtf8.REPLACE, books.invalidUtf8Policy());
    assertEquals(SourceSpec.Oversized.SPLIT, books.oversizedPolicy());
    assertEquals(chosen, RecipeJson.read(RecipeJson.write(chosen), "again.json"));
    assertNotEquals(RecipeJson.fingerprint(recipe), RecipeJson.fingerprint(chosen));
    // a JSON Lines record cannot be split
    ((ObjectNode) tree.with("corpus").withArray("sources").get(1)).put("onOversized", "SPLIT");
    RecipeFormatException e = assertThrows(RecipeFormatException.class,
        () -> RecipeJson.read(MAPPER.writeValueAsString(tree), "jsonl.json"));
    assertTrue(e.getMessage().contains("corpus.sources[news].onOversized"), e.getMessage());
  }

  /** The recipe's JSON tree, checked not to name the optional {@code field}: absent, every existing recipe keeps its bytes. */
  private static ObjectNode treeWithout(Recipe recipe, String field) throws Exception {
    String json = RecipeJson.write(recipe);
    assertTrue(!json.contains(field), json);
    return (ObjectNode) MAPPER.readTree(json);
  }

  @Test
  void multiWorkerRoundsAreOptionalRoundTripAndKeepOldFingerprints() throws Exception {
    Recipe recipe = TestRecipes.recipe();
    ObjectNode tree = treeWithout(recipe, "rounds");
    int batch = recipe.pretrain().batchSize();
    int interval = recipe.pretrain().checkpointInterval();
    tree.with("pretrain").putObject("rounds").put("workers", 2).put("roundSteps", interval)
        .put("outerLearningRate", 0.7).put("outerMomentum", 0.9).put("nesterov", true).put("shardAffine", false).put("bf16Deltas", false);
    Recipe rounds = RecipeJson.read(MAPPER.writeValueAsString(tree), "rounds.json");
    assertEquals(new RoundsSpec(2, interval, 0.7, 0.9, true), rounds.pretrain().rounds());
    assertEquals(2, rounds.pretrain().workers());
    assertEquals(rounds, RecipeJson.read(RecipeJson.write(rounds), "again.json"));
    assertNotEquals(RecipeJson.fingerprint(recipe), RecipeJson.fingerprint(rounds));
    assertEquals(recipe.pretrain(), rounds.pretrain().withRounds(null));
    // a synchronous phase: absent is 0 and not written back (old fingerprints stay), present round-trips
    assertEquals(0, rounds.pretrain().rounds().syncSteps());
    assertFalse(RecipeJson.write(rounds).contains("syncSteps"));
    tree.with("pretrain").with("rounds").put("syncSteps", interval);
    Recipe sync = RecipeJson.read(MAPPER.writeValueAsString(tree), "sync.json");
    assertEquals(interval, sync.pretrain().rounds().syncSteps());
    assertEquals(1, sync.pretrain().rounds().workersIn(1, sync.pretrain().schedule().totalSteps()));
    assertEquals(2, sync.pretrain().rounds().workersIn(2, sync.pretrain().schedule().totalSteps()));
    assertEquals(sync, RecipeJson.read(RecipeJson.write(sync), "again.json"));
    assertNotEquals(RecipeJson.fingerprint(rounds), RecipeJson.fingerprint(sync));
    tree.with("pretrain").with("rounds").put("syncSteps", interval + 1);
    RecipeFormatException notWhole = assertThrows(RecipeFormatException.class,
        () -> RecipeJson.read(MAPPER.writeValueAsString(tree), "sync-bad.json"));
    assertTrue(notWhole.getMessage().contains("pretrain.rounds.syncSteps")
        && notWhole.getMessage().contains("multiple of pretrain.rounds.roundSteps"), notWhole.getMessage());
    tree.with("pretrain").with("rounds").remove("syncSteps");
    // the outer lr's warm-up: absent is 0 and not written back, present round-trips, negative is named
    assertFalse(RecipeJson.write(rounds).contains("outerWarmupRounds"));
    tree.with("pretrain").with("rounds").put("outerWarmupRounds", 3);
    Recipe warm = RecipeJson.read(MAPPER.writeValueAsString(tree), "warm.json");
    assertEquals(3, warm.pretrain().rounds().outerWarmupRounds());
    assertEquals(warm, RecipeJson.read(RecipeJson.write(warm), "again.json"));
    assertNotEquals(RecipeJson.fingerprint(rounds), RecipeJson.fingerprint(warm));
    tree.with("pretrain").with("rounds").put("outerWarmupRounds", -1);
    RecipeFormatException negative = assertThrows(RecipeFormatException.class,
        () -> RecipeJson.read(MAPPER.writeValueAsString(tree), "warm-bad.json"));
    assertTrue(negative.getMessage().contains("pretrain.rounds.outerWarmupRounds")
        && negative.getMessage().contains(">= 0"), negative.getMessage());
    tree.with("pretrain").with("rounds").remove("outerWarmupRounds");
    // a worker count that does not divide the batch is named with the batch
    tree.with("pretrain").with("rounds").put("workers", batch + 1);
    RecipeFormatException e = assertThrows(RecipeFormatException.class,
        () -> RecipeJson.read(MAPPER.writeValueAsString(tree), "bad.json"));
    assertTrue(e.getMessage().contains("pretrain.rounds.workers") && e.getMessage().contains("must divide pretrain.batchSize"),
        e.getMessage());
  }

  @Test
  void theSequenceCurriculumIsOptionalRoundTripsAndIsCheckedAgainstTheBlocks() throws Exception {
    Recipe recipe = TestRecipes.recipe();
    ObjectNode tree = treeWithout(recipe, "sequenceCurriculum");
    int block = recipe.corpus().packing().blockLength();
    tree.with("pretrain").putObject("sequenceCurriculum").put("pieceLength", block / 4).put("steps", 60);
    Recipe curriculum = RecipeJson.read(MAPPER.writeValueAsString(tree), "curriculum.json");
    assertEquals(new SequenceCurriculumSpec(block / 4, 60), curriculum.pretrain().sequenceCurriculum());
    assertEquals(curriculum, RecipeJson.read(RecipeJson.write(curriculum), "again.json"));
    assertNotEquals(RecipeJson.fingerprint(recipe), RecipeJson.fingerprint(curriculum));
    assertEquals(recipe.pretrain(), curriculum.pretrain().withSequenceCurriculum(null));
    assertTrue(io.roberta.spec.plan.Plan.compile(curriculum).stages().stream()
        .anyMatch(s -> s.summary().contains("the first 60 steps on " + block / 4 + "-token pieces")));
    // pieces that do not tile a block, and more curriculum steps than the schedule, are named
    tree.with("pretrain").with("sequenceCurriculum").put("pieceLength", block / 4 + 1);
    RecipeFormatException e = assertThrows(RecipeFormatException.class,
        () -> RecipeJson.read(MAPPER.writeValueAsString(tree), "bad.json"));
    assertTrue(e.getMessage().contains("pretrain.sequenceCurriculum.pieceLength")
        && e.getMessage().contains("must divide corpus.packing.blockLength = " + block), e.getMessage());
    tree.with("pretrain").with("sequenceCurriculum").put("pieceLength", block / 4).put("steps", 101);
    e = assertThrows(RecipeFormatException.class, () -> RecipeJson.read(MAPPER.writeValueAsString(tree), "long.json"));
    assertTrue(e.getMessage().contains("pretrain.sequenceCurriculum.steps")
        && e.getMessage().contains("<= pretrain.schedule.totalSteps = 100"), e.getMessage());
  }

  @Test
  void fingerprintIsStableAndSensitive() throws Exception {
    Recipe recipe = TestRecipes.recipe();
    String fp = RecipeJson.fingerprint(recipe);
    assertEquals(64, fp.length());
    assertEquals(fp, RecipeJson.fingerprint(RecipeJson.read(RecipeJson.write(recipe), "x")));

    // Key order in the file does not matter: reverse every object's fields.
    ObjectNode tree = (ObjectNode) MAPPER.readTree(RecipeJson.write(recipe));
    String reordered = MAPPER.writeValueAsString(reverse(tree));
    assertNotEquals(RecipeJson.write(recipe).replaceAll("\\s", ""), reordered.replaceAll("\\s", ""));
    assertEquals(fp, RecipeJson.fingerprint(RecipeJson.read(reordered, "reordered.json")));

    // Any change of value changes it.
    tree.with("pretrain").with("schedule").put("peakLearningRate", 6e-4);
    assertNotEquals(fp, RecipeJson.fingerprint(RecipeJson.read(MAPPER.writeValueAsString(tree), "changed.json")));
  }

  @Test
  void unknownFieldIsNamedWithItsPath() throws Exception {
    ObjectNode tree = tree();
    tree.with("pretrain").with("optimizer").put("momentum", 0.9);
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("pretrain.optimizer.momentum", e.field());
    assertTrue(e.getMessage().startsWith("test.json (line"), e.getMessage());
    assertTrue(e.getMessage().contains("unknown field 'pretrain.optimizer.momentum'"), e.getMessage());
    assertTrue(e.getMessage().contains("beta1, beta2, epsilon, gradClipNorm, weightDecay"), e.getMessage());
  }

  @Test
  void missingFieldIsNamed() throws Exception {
    ObjectNode tree = tree();
    tree.with("model").remove("numHeads");
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("model.numHeads", e.field(), e.getMessage());
    assertTrue(e.getMessage().contains("missing field 'model.numHeads'"), e.getMessage());
  }

  @Test
  void missingTopLevelFieldIsNamed() throws Exception {
    ObjectNode tree = tree();
    tree.remove("eval");
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("eval", e.field(), e.getMessage());
  }

  @Test
  void invalidValueReportsTheSpecMessage() throws Exception {
    ObjectNode tree = tree();
    tree.with("model").put("numHeads", 5);
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("model.numHeads", e.field());
    assertTrue(e.getMessage().contains("model.numHeads = 5 is invalid: must divide model.hiddenSize = 64"), e.getMessage());
  }

  @Test
  void unknownEnumValueListsTheValidOnes() throws Exception {
    ObjectNode tree = tree();
    tree.with("pretrain").put("precision", "FP8");
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("pretrain.precision", e.field());
    assertTrue(e.getMessage().contains("[FP32, BF16, FP16]"), e.getMessage());
  }

  @Test
  void wrongTypeIsAnError() throws Exception {
    ObjectNode tree = tree();
    tree.with("model").put("hiddenSize", "sixty-four");
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("model.hiddenSize", e.field(), e.getMessage());

    ObjectNode fractional = tree();
    fractional.with("model").put("hiddenSize", 64.5);
    RecipeFormatException f = assertThrows(RecipeFormatException.class, () -> read(fractional));
    assertEquals("model.hiddenSize", f.field(), f.getMessage());
  }

  @Test
  void nullForAPrimitiveIsAnError() throws Exception {
    ObjectNode tree = tree();
    tree.with("model").putNull("numLayers");
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("model.numLayers", e.field(), e.getMessage());
  }

  @Test
  void typeIdsCannotInstantiateClasses() throws Exception {
    ObjectNode tree = tree();
    tree.with("tokenizer").put("@class", "java.lang.ProcessBuilder");
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("tokenizer.@class", e.field());
  }

  @Test
  void syntaxErrorGivesTheLine() {
    RecipeFormatException e =
        assertThrows(RecipeFormatException.class, () -> RecipeJson.read("{\n  \"name\": \"x\",\n  oops\n}", "broken.json"));
    assertTrue(e.getMessage().startsWith("broken.json (line 3"), e.getMessage());
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  @Test
  void duplicateKeyIsAnError() {
    String json = RecipeJson.write(TestRecipes.recipe()).replaceFirst("\"name\" : \"unit-recipe\",", "\"name\" : \"a\", \"name\" : \"b\",");
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> RecipeJson.read(json, "dup.json"));
    assertTrue(e.getMessage().contains("name"), e.getMessage());
  }

  @Test
  void missingFileIsNamed(@TempDir Path dir) {
    Path file = dir.resolve("nope.json");
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> RecipeJson.read(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void schemaVersionIsChecked() throws Exception {
    ObjectNode tree = tree();
    tree.put("schemaVersion", 2);
    RecipeFormatException e = assertThrows(RecipeFormatException.class, () -> read(tree));
    assertEquals("schemaVersion", e.field());
  }

  @Test
  void canonicalJsonSortsKeys() {
    String canonical = RecipeJson.canonical(new OptimizerSpec(0.9, 0.98, 1e-6, 0.01, 1.0));
    assertEquals("{\"beta1\":0.9,\"beta2\":0.98,\"epsilon\":1.0E-6,\"gradClipNorm\":1.0,\"weightDecay\":0.01}", canonical);
    Files.class.getName();
  }

  private static ObjectNode tree() throws Exception {
    return (ObjectNode) MAPPER.readTree(RecipeJson.write(TestRecipes.recipe()));
  }

  private static Recipe read(ObjectNode tree) throws Exception {
    return RecipeJson.read(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree), "test.json");
  }

  private static ObjectNode reverse(ObjectNode node) {
    List<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> fields = new ArrayList<>();
    for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = node.fields(); it.hasNext(); ) {
      fields.add(it.next());
    }
    Collections.reverse(fields);
    ObjectNode out = MAPPER.createObjectNode();
    for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> f : fields) {
      out.set(f.getKey(), f.getValue() instanceof ObjectNode o ? reverse(o) : f.getValue());
    }
    return out;
  }
}
