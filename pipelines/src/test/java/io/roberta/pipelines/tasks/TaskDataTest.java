package io.roberta.pipelines.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.roberta.spec.FinetuneSpec.Head;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskDataTest {
  static TaskData data(int n, List<Rejected> rejected) {
    List<TaskExample> examples = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      examples.add(TaskExample.single(i, "f:" + (i + 1), "text " + i, i % 2 == 0 ? "a" : "b"));
    }
    return new TaskData("t", Head.SEQUENCE_CLASSIFICATION, List.of("a", "b"), examples, rejected);
  }

  @Test
  void aSampleIsASeededSubsetInTheOriginalOrder() {
    TaskData all = data(100, List.of());
    TaskData s = all.sample(10, 7);
    assertEquals(10, s.examples().size());
    List<Long> indices = s.examples().stream().map(TaskExample::index).toList();
    assertEquals(indices.stream().sorted().toList(), indices, "original order kept");
    assertEquals(10, indices.stream().distinct().count(), "drawn without replacement");
    assertEquals(indices, all.sample(10, 7).examples().stream().map(TaskExample::index).toList(), "same seed, same sample");
    assertNotEquals(indices, all.sample(10, 8).examples().stream().map(TaskExample::index).toList(), "another seed, another sample");
  }

  @Test
  void zeroOrTooManyMeansEverything() {
    TaskData all = data(5, List.of());
    assertSame(all, all.sample(0, 1));
    assertSame(all, all.sample(5, 1));
    assertSame(all, all.sample(50, 1));
  }

  @Test
  void aSampleOfIncompleteDataIsStillIncomplete() {
    TaskData all = data(20, List.of(new Rejected("train.tsv", 3, "label", "label 'c' is not one of [a, b]")));
    assertThrows(TaskDataException.class, () -> all.sample(5, 1).requireComplete());
  }
}
