package io.roberta.pipelines.tasks;

import io.roberta.spec.FinetuneSpec.Head;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GLUE TSV file (train or dev; the unlabelled test files are not scored). Fields are
 * split on tabs only: GLUE's files are not quoted, and sentences contain quote characters. A row
 * with the wrong number of columns, a label outside the task's label set, or an unparseable score
 * is rejected with its file, line and column, never dropped silently.
 *
 * <pre>{@code TaskData dev = GlueReader.read(GlueTask.MRPC, Path.of("glue/MRPC/dev.tsv"));}</pre>
 */
public final class GlueReader {
  private static final int COLA_COLUMNS = 4;

  private GlueReader() {}

  public static TaskData read(GlueTask task, Path file) {
    List<TaskExample> examples = new ArrayList<>();
    List<Rejected> rejected = new ArrayList<>();
    String name = file.toString();
    long[] at = {0}; // the line being read, for an encoding error
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int columns;
      int a;
      int b;
      int label;
      long lineNo = 0;
      if (task.hasHeader()) {
        String header = in.readLine();
        lineNo = 1;
        if (header == null) {
          throw new TaskDataException(task.taskName(), List.of(new Rejected(name, 1, null, "empty file, expected a header")));
        }
        String[] names = header.split("\t", -1);
        Map<String, Integer> byName = new HashMap<>();
        for (int i = 0; i < names.length; i++) {
          byName.putIfAbsent(names[i].replace("\uFEFF", "").strip(), i); // MRPC starts with a BOM
        }
        columns = names.length;
        a = column(task, byName, task.columnA(), name);
        b = task.columnB() == null ? -1 : column(task, byName, task.columnB(), name);
        // MNLI's dev files name label1..label5 and gold_label last; "label" is unambiguous elsewhere
        label = column(task, byName, task.labelColumn(), name);
      } else {
        columns = COLA_COLUMNS;
        a = 3;
        b = -1;
        label = 1;
      }
      String line;
      while (true) {
        at[0] = lineNo + 1;
        line = in.readLine();
        if (line == null) {
          break;
        }
        lineNo++;
        String[] f = line.split("\t", -1);
        if (f.length != columns) {
          rejected.add(new Rejected(name, lineNo, null, f.length + " tab-separated columns, expected " + columns));
          continue;
        }
        String id = task.taskName() + ":" + lineNo;
        String textA = f[a];
        String textB = b < 0 ? null : f[b];
        String gold = f[label].strip();
        if (task.head() == Head.REGRESSION) {
          double score;
          try {
            score = Double.parseDouble(gold);
          } catch (NumberFormatException e) {
            rejected.add(new Rejected(name, lineNo, task.labelColumn(), "'" + gold + "' is not a number"));
            continue;
          }
          if (!Double.isFinite(score)) {
            rejected.add(new Rejected(name, lineNo, task.labelColumn(), "'" + gold + "' is not finite"));
            continue;
          }
          examples.add(TaskExample.regression(examples.size(), id, textA, textB, score));
        } else {
          if (!task.labels().contains(gold)) {
            rejected.add(new Rejected(name, lineNo, task.labelColumn(), "label '" + gold + "' is not one of " + task.labels()));
            continue;
          }
          examples.add(new TaskExample(examples.size(), id, textA, textB, gold, Double.NaN, null, null, null));
        }
      }
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new TaskDataException(task.taskName(), List.of(new Rejected(name, Math.max(1, at[0]), null,
          "not valid UTF-8 at or after this line (GLUE files are UTF-8)")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new TaskData(task.taskName(), task.head(), task.labels(), examples, rejected);
  }

  private static int column(GlueTask task, Map<String, Integer> byName, String column, String file) {
    Integer i = byName.get(column);
    if (i == null) {
      throw new TaskDataException(task.taskName(), List.of(new Rejected(file, 1, column,
          "header has no column '" + column + "' (columns: " + byName.keySet() + "; " + TaskCatalog.SEE + ")")));
    }
    return i;
  }
}
