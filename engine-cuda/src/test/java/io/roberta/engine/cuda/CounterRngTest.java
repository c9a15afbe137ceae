package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CounterRngTest {
  @Test
  void uniformInUnitIntervalWithTheRightMeanAndDropRate() {
    int n = 1_000_000;
    double sum = 0;
    int dropped = 0;
    for (int i = 0; i < n; i++) {
      float u = CounterRng.uniform(42, i);
      assertTrue(u >= 0 && u < 1);
      sum += u;
      dropped += u < 0.1f ? 1 : 0;
    }
    assertEquals(0.5, sum / n, 0.002); // sd of the mean 0.0003
    assertEquals(0.1, (double) dropped / n, 0.0015); // sd 0.0003
  }

  @Test
  void dependsOnSeedAndIndexOnly() {
    assertEquals(CounterRng.uniform(3, 17), CounterRng.uniform(3, 17));
    assertNotEquals(CounterRng.uniform(3, 17), CounterRng.uniform(4, 17));
    assertNotEquals(CounterRng.uniform(3, 17), CounterRng.uniform(3, 18));
  }
}
