package io.roberta.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.spec.LayerSharing;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.plan.Plan;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ExampleRecipesTest {
  static List<Supplier<Recipe>> examples() {
    return List.of(new TinyBrown(), new BaseBrown(), new LargeBrown(), new SharedBrown(), new XlmrBase());
  }

  @ParameterizedTest
  @MethodSource("examples")
  void buildsRoundTripsAndCompiles(Supplier<Recipe> example) {
    Recipe recipe = example.get();
    assertEquals(recipe, RecipeJson.read(RecipeJson.write(recipe), recipe.name()));
    assertEquals(RecipeJson.fingerprint(recipe), RecipeJson.fingerprint(example.get()));
    Plan plan = Plan.compile(recipe);
    // tokenizer, corpus, pretrain, eval; the main example also fine-tunes two tasks, each beside a random-init baseline
    assertEquals(recipe.name().equals("tiny-brown") ? 8 : 4, plan.stages().size(), plan.stages().toString());
    assertTrue(plan.trainingFlops() > 0);
  }

  @Test
  void everyPresetHasAnExample() {
    Set<String> shapes = new HashSet<>();
    for (Supplier<Recipe> e : examples()) {
      var m = e.get().model();
      shapes.add(m.hiddenSize() + "x" + m.numLayers() + "/" + m.vocabSize() + "/" + m.layerSharing());
    }
    assertEquals(5, shapes.size(), shapes.toString());
    assertEquals(LayerSharing.ALL_LAYERS, new SharedBrown().get().model().layerSharing());
  }

  @Test
  void stagesOfDifferentExamplesDoNotShareFingerprints() {
    Plan tiny = Plan.compile(new TinyBrown().get());
    Plan base = Plan.compile(new BaseBrown().get());
    for (int i = 0; i < 4; i++) {
      assertNotEquals(tiny.stages().get(i).fingerprint(), base.stages().get(i).fingerprint());
    }
  }
}
