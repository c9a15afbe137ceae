package io.roberta.runners.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.pipelines.tasks.GlueTask;
import io.roberta.pipelines.tasks.TaskSource;
import io.roberta.runners.cli.CommandLineTest.Result;
import org.junit.jupiter.api.Test;

/** {@code roberta tasks}: every task the readers know, with its layout, scored split and the DSL's defaults. */
class TasksCommandTest {
  @Test
  void listsEveryTaskWithItsLayoutAndScoredSplit() {
    Result r = CommandLineTest.run("tasks");
    assertEquals(0, r.status(), r.err());
    String out = r.out();
    for (String task : TaskSource.names()) {
      assertTrue(out.contains("\n" + task + "\n") || out.startsWith(task + "\n"), task + " listed:\n" + out);
    }
    for (GlueTask t : GlueTask.values()) {
      String block = block(out, t.taskName());
      assertTrue(block.contains("train.tsv"), block);
      assertTrue(block.contains("scored:  " + t.devFile()), block);
    }
    String sst2 = block(out, "sst2");
    assertTrue(sst2.contains("head:    sequence classification, 2 labels (0 1)"), sst2);
    assertTrue(sst2.contains("columns 'sentence' and label column 'label'"), sst2);
    assertTrue(sst2.contains("metrics: accuracy, f1, matthews"), sst2);
    assertTrue(sst2.contains("recipe:  Finetune.classification(\"sst2\", 2)"), sst2);
    assertTrue(block(out, "stsb").contains("head:    regression"), block(out, "stsb"));
    assertTrue(block(out, "cola").contains("no header"), block(out, "cola"));
    assertTrue(block(out, "squad").contains("scored:  dev-v1.1.json"), block(out, "squad"));
    assertTrue(block(out, "brown-pos").contains("12 labels"), block(out, "brown-pos"));
    assertTrue(block(out, "brown-genre").contains("files numbered 05, 10, 15"), block(out, "brown-genre"));
    assertTrue(out.contains("learning rate 0.00001, 10 epochs, batch 16, warm-up 6% of the steps"), out);
  }

  @Test
  void oneTaskAndAMisspeltOne() {
    Result one = CommandLineTest.run("tasks", "rte");
    assertEquals(0, one.status());
    assertTrue(one.out().startsWith("rte\n"), one.out());
    assertTrue(!one.out().contains("sst2"), one.out());
    Result typo = CommandLineTest.run("tasks", "mnli");
    assertEquals(1, typo.status());
    assertTrue(typo.err().contains("no task named 'mnli'; did you mean ") && typo.err().contains("'mnli-m'?"), typo.err());
  }

  @Test
  void markdownHasOneRowPerTask() {
    Result r = CommandLineTest.run("tasks", "--markdown");
    long rows = r.out().lines().filter(l -> l.startsWith("| `")).count();
    assertEquals(TaskSource.names().size(), rows, r.out());
  }

  private static String block(String out, String task) {
    int start = out.startsWith(task + "\n") ? 0 : out.indexOf("\n" + task + "\n") + 1;
    int end = out.indexOf("\n\n", start);
    return out.substring(start, end < 0 ? out.length() : end);
  }
}
