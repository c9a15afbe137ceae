package io.roberta.pipelines.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.spec.FinetuneSpec.Head;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RACE's folder layout and JSON, on small files written for these tests (src/test/resources/race). */
class RaceReaderTest {
  static Path resource(String name) {
    try {
      return Path.of(RaceReaderTest.class.getResource("/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void readsOneExamplePerQuestionMiddleThenHigh() {
    TaskData train = TaskSource.read("race", resource("race"), TaskSource.Split.TRAIN);
    assertEquals(Head.MULTIPLE_CHOICE, train.head());
    assertEquals(List.of("A", "B", "C", "D"), train.labels());
    assertEquals(List.of(), train.rejected());
    assertEquals(3, train.examples().size());
    TaskExample first = train.examples().get(0);
    assertEquals("middle/1.txt#0", first.id());
    assertEquals("Tom has a dog. Every night he walks it in the park near his home.", first.textA());
    assertEquals("When does Tom walk his dog?", first.textB());
    assertEquals(List.of("in the morning", "at night", "at noon", "never"), first.choices());
    assertEquals("B", first.label());
    assertEquals("high/7.txt#0", train.examples().get(2).id());
    assertEquals("D", train.examples().get(2).label());
    for (int i = 0; i < 3; i++) {
      assertEquals(i, train.examples().get(i).index());
    }
    TaskData dev = TaskSource.read("race", resource("race"), TaskSource.Split.EVAL);
    assertEquals(3, dev.examples().size());
    assertEquals(1, TaskSource.read("race-middle", resource("race"), TaskSource.Split.EVAL).examples().size());
    TaskData high = TaskSource.read("race-high", resource("race"), TaskSource.Split.EVAL);
    assertEquals("race-high", high.task());
    assertEquals(List.of("A", "B"), high.examples().stream().map(TaskExample::label).toList());
  }

  @Test
  void malformedFilesAndQuestionsAreRejectedByFileAndQuestion() {
    TaskData dev = RaceReader.read(resource("race-malformed"), "dev", RaceReader.Level.ALL);
    // file 1: question 0 is fine, question 1 answers E, question 2 has three options
    assertEquals(List.of("high/1.txt#0"), dev.examples().stream().map(TaskExample::id).toList());
    List<Rejected> r = dev.rejected();
    assertEquals(5, r.size(), r.toString());
    assertTrue(r.get(0).file().endsWith("1.txt") && r.get(0).field().equals("questions[1]")
        && r.get(0).reason().contains("\"Is it bad?\"") && r.get(0).reason().contains("\"E\" is not one of [A, B, C, D]"), r.get(0).toString());
    assertTrue(r.get(1).field().equals("questions[2]") && r.get(1).reason().contains("needs 4 options, has 3"), r.get(1).toString());
    assertTrue(r.get(2).file().endsWith("2.txt") && r.get(2).reason().startsWith("not valid JSON"), r.get(2).toString());
    assertTrue(r.get(3).file().endsWith("3.txt") && r.get(3).reason().contains("2 questions but 1 option lists and 1 answers"),
        r.get(3).toString());
    assertTrue(r.get(4).file().endsWith("4.txt") && r.get(4).field().equals("article"), r.get(4).toString());
    TaskDataException e = assertThrows(TaskDataException.class, dev::requireComplete);
    assertTrue(e.getMessage().contains("5 malformed row(s)") && e.getMessage().contains("questions[1]"), e.getMessage());
  }

  @Test
  void aMissingSplitSaysWhereItLooked() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RaceReader.read(resource("race-malformed"), "train", RaceReader.Level.MIDDLE));
    assertTrue(e.getMessage().contains("no RACE files") && e.getMessage().contains("train/{middle,high}/*.txt"), e.getMessage());
  }

  @Test
  void theBrownGapTaskIsFixedAndKeepsTestFilesApart() {
    Path brown = BrownData.dir();
    TaskData test = GapTask.read(brown, BrownTasks.Split.TEST);
    TaskData again = GapTask.read(brown, BrownTasks.Split.TEST);
    assertEquals(test.examples(), again.examples());
    assertTrue(test.examples().size() > 1000, "only " + test.examples().size() + " test passages");
    int[] answers = new int[4];
    for (TaskExample e : test.examples()) {
      assertEquals(4, e.choices().size());
      assertEquals("_", e.textB());
      String right = e.choices().get(e.label().charAt(0) - 'A');
      assertTrue(!e.textA().contains(right), "the answer must not be in the passage: " + e.id());
      assertEquals(1, java.util.Arrays.stream(e.textA().split(" ")).filter("_"::equals).count(), "one gap in " + e.textA());
      answers[e.label().charAt(0) - 'A']++;
      String file = e.id().substring(0, e.id().indexOf(':'));
      assertEquals(0, Integer.parseInt(file.substring(2)) % 5, "a test passage from a training file: " + e.id());
    }
    for (int a : answers) {
      assertTrue(a > test.examples().size() / 6, "answers unevenly spread: " + java.util.Arrays.toString(answers));
    }
  }
}
