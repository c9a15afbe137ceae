package io.roberta.runners.help;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {
  @Test
  void nearestFirstOnlyWhenClose() {
    List<String> options = List.of("--work-dir", "--workDir", "--runner", "--stop-after-steps");
    assertEquals(List.of("--work-dir", "--workDir"), Suggestions.closest("--wrok-dir", options));
    assertEquals(List.of("--runner"), Suggestions.closest("--Runer", options));
    assertEquals(List.of(), Suggestions.closest("--parallelism", options));
    assertEquals("; did you mean 'TinyBrown'?", Suggestions.didYouMean("tinybrwn", List.of("TinyBrown", "BaseBrown")));
    assertEquals("", Suggestions.didYouMean("x", List.of("TinyBrown")));
  }
}
