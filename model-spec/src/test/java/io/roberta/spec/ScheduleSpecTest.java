package io.roberta.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ScheduleSpecTest {
  @Test
  void warmsUpLinearlyThenDecaysToZero() {
    ScheduleSpec s = new ScheduleSpec(5e-4, 100, 1_100);
    assertEquals(0.0, s.learningRate(0));
    assertEquals(2.5e-4, s.learningRate(50), 1e-15);
    assertEquals(5e-4, s.learningRate(100), 1e-15);
    assertEquals(2.5e-4, s.learningRate(600), 1e-15);
    assertEquals(0.0, s.learningRate(1_100), 1e-15);
    assertEquals(0.0, s.learningRate(5_000), 0.0);
  }

  @Test
  void noWarmupStartsAtThePeak() {
    ScheduleSpec s = new ScheduleSpec(1e-3, 0, 10);
    assertEquals(1e-3, s.learningRate(0), 1e-18);
    assertEquals(5e-4, s.learningRate(5), 1e-18);
  }
}
