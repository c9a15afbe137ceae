package io.roberta.pipelines.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskReadersTest {
  /** One well-formed dev file per GLUE task, laid out as the GLUE distribution does. */
  static final Map<GlueTask, String> GLUE = Map.of(
      GlueTask.COLA, "gj04\t1\t\tOur friends won't buy this analysis.\ngj04\t0\t*\tThey drank the pub.\n",
      GlueTask.SST2, "sentence\tlabel\nit 's a charming journey . \t1\nbad \"quotes\t0\n",
      GlueTask.MRPC, "\uFEFFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tHe said.\tHe stated.\n0\t3\t4\tA.\tB.\n",
      GlueTask.STSB, "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
          + "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man.\tA guy.\t5.000\n"
          + "1\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA cat.\tA plane.\t0.25\n",
      GlueTask.QQP, "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n1\t2\t3\tWhy?\tHow?\t0\n",
      GlueTask.MNLI_MATCHED, "index\tpromptID\tpairID\tgenre\tsentence1\tsentence2\tlabel1\tgold_label\n"
          + "0\t1\t1e\tfiction\tA cat sat.\tAn animal sat.\tentailment\tentailment\n",
      GlueTask.MNLI_MISMATCHED, "index\tsentence1\tsentence2\tgold_label\n0\tA.\tB.\tneutral\n",
      GlueTask.QNLI, "index\tquestion\tsentence\tlabel\n0\tWho?\tHe did.\tnot_entailment\n",
      GlueTask.RTE, "index\tsentence1\tsentence2\tlabel\n0\tA dog barks.\tA dog makes noise.\tentailment\n");

  @Test
  void readsEveryGlueTask(@TempDir Path dir) throws Exception {
    for (Map.Entry<GlueTask, String> e : GLUE.entrySet()) {
      Path file = Files.writeString(dir.resolve(e.getKey().taskName() + ".tsv"), e.getValue());
      TaskData data = GlueReader.read(e.getKey(), file);
      assertEquals(List.of(), data.rejected(), e.getKey().toString());
      long rows = e.getValue().lines().count() - (e.getKey() == GlueTask.COLA ? 0 : 1);
      assertEquals(rows, data.examples().size(), e.getKey().toString());
      data.requireComplete();
    }
    TaskData mrpc = GlueReader.read(GlueTask.MRPC, dir.resolve("mrpc.tsv"));
    assertEquals("He said.", mrpc.examples().get(0).textA());
    assertEquals("He stated.", mrpc.examples().get(0).textB());
    assertEquals("1", mrpc.examples().get(0).label());
    TaskData cola = GlueReader.read(GlueTask.COLA, dir.resolve("cola.tsv"));
    assertEquals("They drank the pub.", cola.examples().get(1).textA());
    assertNull(cola.examples().get(1).textB());
    assertEquals("0", cola.examples().get(1).label());
    TaskData stsb = GlueReader.read(GlueTask.STSB, dir.resolve("stsb.tsv"));
    assertEquals(0.25, stsb.examples().get(1).score());
    TaskData sst = GlueReader.read(GlueTask.SST2, dir.resolve("sst2.tsv"));
    assertEquals("bad \"quotes", sst.examples().get(1).textA());
  }

  @Test
  void malformedGlueRowsAreReportedWithFileLineAndField(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("dev.tsv"), "index\tsentence1\tsentence2\tlabel\n"
        + "0\tA.\tB.\tentailment\n"
        + "1\tonly three\tcolumns\n"
        + "2\tA.\tB.\tmaybe\n"
        + "3\tA.\tB.\tnot_entailment\n");
    TaskData data = GlueReader.read(GlueTask.RTE, file);
    assertEquals(2, data.examples().size());
    assertEquals(List.of(
        new Rejected(file.toString(), 3, null, "3 tab-separated columns, expected 4"),
        new Rejected(file.toString(), 4, "label", "label 'maybe' is not one of [entailment, not_entailment]")),
        data.rejected());
    TaskDataException e = assertThrows(TaskDataException.class, data::requireComplete);
    assertTrue(e.getMessage().contains(file + ":4 [label]"), e.getMessage());

    Path sts = Files.writeString(dir.resolve("sts.tsv"), GLUE.get(GlueTask.STSB).replace("0.25", "n/a"));
    TaskData bad = GlueReader.read(GlueTask.STSB, sts);
    assertEquals(List.of(new Rejected(sts.toString(), 3, "score", "'n/a' is not a number")), bad.rejected());
  }

  @Test
  void aMissingHeaderColumnIsAnError(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("dev.tsv"), "index\tsentence1\tlabel\n0\tA.\tentailment\n");
    TaskDataException e = assertThrows(TaskDataException.class, () -> GlueReader.read(GlueTask.RTE, file));
    assertTrue(e.getMessage().contains("sentence2"), e.getMessage());
  }

  @Test
  void squadAnswersMustSitAtTheirOffsets(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("dev-v1.1.json"), """
        {"version": "1.1", "data": [{"title": "T", "paragraphs": [
          {"context": "Denver Broncos won the game.",
           "qas": [
             {"id": "q1", "question": "Who won?", "answers": [{"text": "Denver Broncos", "answer_start": 0}, {"text": "Broncos", "answer_start": 7}]},
             {"id": "q2", "question": "What did they win?",
              "answers": [{"text": "game", "answer_start": 3}]}
           ]}]}]}
        """);
    TaskData data = SquadReader.read(file);
    assertEquals(1, data.examples().size());
    TaskExample q1 = data.examples().get(0);
    assertEquals("q1", q1.id());
    assertEquals(List.of(new TaskExample.Answer("Denver Broncos", 0), new TaskExample.Answer("Broncos", 7)), q1.answers());
    assertEquals(1, data.rejected().size());
    Rejected r = data.rejected().get(0);
    assertEquals(5, r.line());
    assertEquals("answers[0].answer_start", r.field());
    assertTrue(r.reason().contains("'game' is not at offset 3"), r.reason());
  }

  @Test
  void brownSplitsByFileWithEveryGenreOnBothSides() {
    Path brown = BrownData.dir();
    Set<Path> train = new HashSet<>(BrownTasks.files(brown, BrownTasks.Split.TRAIN));
    List<Path> test = BrownTasks.files(brown, BrownTasks.Split.TEST);
    test.forEach(f -> assertTrue(!train.contains(f), f + " is in both splits"));
    Set<String> testGenres = new HashSet<>();
    Set<String> trainGenres = new HashSet<>();
    test.forEach(f -> testGenres.add(f.getFileName().toString().substring(1, 2)));
    train.forEach(f -> trainGenres.add(f.getFileName().toString().substring(1, 2)));
    assertEquals(new HashSet<>(BrownTasks.GENRES), testGenres);
    assertEquals(new HashSet<>(BrownTasks.GENRES), trainGenres);
  }

  @Test
  void brownTagsMapToTheCoarseSet() {
    assertEquals("NOUN", BrownTasks.coarseTag("np-tl"));
    assertEquals("NOUN", BrownTasks.coarseTag("np$"));
    assertEquals("PRON", BrownTasks.coarseTag("pps+bez"));
    assertEquals("VERB", BrownTasks.coarseTag("bez*"));
    assertEquals("ADV", BrownTasks.coarseTag("*"));
    assertEquals(".", BrownTasks.coarseTag("``"));
    assertEquals("DET", BrownTasks.coarseTag("at"));
    assertEquals("NOUN", BrownTasks.coarseTag("fw-nn"));
  }

  // ---- hostile task files (issue 16) -----------------------------------------------------------

  private static final String GOOD_PARAGRAPH = """
      {"context": "Denver Broncos won the game.", "qas": [
        {"id": "q%d", "question": "Who won?", "answers": [{"text": "Denver Broncos", "answer_start": 0}]}]}""";

  @Test
  void aNonObjectItemAtAnyLevelIsRejectedAndReadingGoesOn(@TempDir Path dir) throws Exception {
    // before: reading stopped quietly at the first non-object item, using only the questions before it
    Path file = Files.writeString(dir.resolve("dev-v1.1.json"), "{\"data\": [\n"
        + "\"not an article\",\n"
        + "{\"title\": \"A\", \"paragraphs\": [\n" + GOOD_PARAGRAPH.formatted(1) + ",\n 7,\n"
        + "{\"context\": \"Denver Broncos won.\", \"qas\": [[1], \n"
        + "{\"id\": \"q2\", \"question\": \"Who?\", \"answers\": [{\"text\": \"Denver\", \"answer_start\": 0}]}]},\n"
        + GOOD_PARAGRAPH.formatted(3) + "]},\n"
        + "{\"title\": \"B\", \"paragraphs\": {\"oops\": 1}},\n"
        + "{\"title\": \"C\", \"paragraphs\": [" + GOOD_PARAGRAPH.formatted(4) + "]}\n]}\n");
    TaskData data = SquadReader.read(file);
    assertEquals(List.of("q1", "q2", "q3", "q4"), data.examples().stream().map(TaskExample::id).toList());
    assertEquals(List.of("data[0]", "data[1].paragraphs[1]", "data[1].paragraphs[2].qas[0]", "data[2].paragraphs"),
        data.rejected().stream().map(Rejected::field).toList(), data.rejected().toString());
    for (Rejected r : data.rejected()) {
      assertEquals(file.toString(), r.file());
      assertTrue(r.line() > 1 && r.reason().contains("must be"), r.toString());
    }
    TaskDataException e = assertThrows(TaskDataException.class, data::requireComplete);
    assertTrue(e.getMessage().contains("dev-v1.1.json") && e.getMessage().contains("data[1].paragraphs[1]"),
        e.getMessage());
  }

  @Test
  void aSquadFileWithoutDataOrWithDataNotAnArrayFails(@TempDir Path dir) throws Exception {
    Path none = Files.writeString(dir.resolve("none.json"), "{\"version\": \"1.1\"}");
    TaskDataException e = assertThrows(TaskDataException.class, () -> SquadReader.read(none));
    assertTrue(e.getMessage().contains("none.json") && e.getMessage().contains("data"), e.getMessage());
    Path object = Files.writeString(dir.resolve("object.json"), "{\"data\": {}}");
    e = assertThrows(TaskDataException.class, () -> SquadReader.read(object));
    assertTrue(e.getMessage().contains("object.json") && e.getMessage().contains("[data]"), e.getMessage());
    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"data\": [{\"paragraphs\": [}");
    e = assertThrows(TaskDataException.class, () -> SquadReader.read(broken));
    assertTrue(e.getMessage().contains("broken.json") && e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  @Test
  void anEmptyAnswerAtTheEndOfTheContextIsRejectedWithItsQuestionId(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("dev-v1.1.json"), """
        {"data": [{"paragraphs": [{"context": "Denver won.", "qas": [
          {"id": "q-empty", "question": "Who?", "answers": [{"text": "", "answer_start": 11}]}]}]}]}
        """);
    TaskData data = SquadReader.read(file);
    assertEquals(0, data.examples().size());
    Rejected r = data.rejected().get(0);
    assertEquals("answers[0].text", r.field());
    assertTrue(r.reason().contains("q-empty") && r.reason().contains("empty"), r.reason());
  }

  @Test
  void aTaskFileWhereAFolderIsMeantIsRefused(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("train.tsv"), GLUE.get(GlueTask.RTE));
    for (TaskSource.Split split : TaskSource.Split.values()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> TaskSource.read("rte", file, split));
      assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("folder")
          && e.getMessage().contains("dev.tsv"), e.getMessage());
    }
  }

  @Test
  void aGlueFileThatIsNotUtf8IsOneClearErrorNamingTheFile(@TempDir Path dir) throws Exception {
    byte[] text = GLUE.get(GlueTask.RTE).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] bad = java.util.Arrays.copyOf(text, text.length + 3);
    bad[text.length] = (byte) 0xff;
    bad[text.length + 1] = '\t';
    bad[text.length + 2] = '\n';
    Path file = Files.write(dir.resolve("dev.tsv"), bad);
    TaskDataException e = assertThrows(TaskDataException.class, () -> GlueReader.read(GlueTask.RTE, file));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("UTF-8"), e.getMessage());
  }
}
