package io.roberta.pipelines.tasks;

import io.roberta.spec.FinetuneSpec.Head;
import java.util.List;

/**
 * The eight GLUE tasks: how their TSV files are laid out, their labels and official metrics.
 * Files with a header are read by column name; CoLA's have no header (source, label, original
 * label, sentence).
 */
public enum GlueTask {
  COLA("cola", Head.SEQUENCE_CLASSIFICATION, List.of("0", "1"), "sentence", null, "label",
      List.of(Metric.MATTHEWS), "dev.tsv"),
  SST2("sst2", Head.SEQUENCE_CLASSIFICATION, List.of("0", "1"), "sentence", null, "label",
      List.of(Metric.ACCURACY), "dev.tsv"),
  MRPC("mrpc", Head.SEQUENCE_CLASSIFICATION, List.of("0", "1"), "#1 String", "#2 String", "Quality",
      List.of(Metric.ACCURACY, Metric.F1), "dev.tsv"),
  STSB("stsb", Head.REGRESSION, List.of(), "sentence1", "sentence2", "score",
      List.of(Metric.PEARSON, Metric.SPEARMAN), "dev.tsv"),
  QQP("qqp", Head.SEQUENCE_CLASSIFICATION, List.of("0", "1"), "question1", "question2", "is_duplicate",
      List.of(Metric.ACCURACY, Metric.F1), "dev.tsv"),
  MNLI_MATCHED("mnli-m", Head.SEQUENCE_CLASSIFICATION, List.of("entailment", "neutral", "contradiction"),
      "sentence1", "sentence2", "gold_label", List.of(Metric.ACCURACY), "dev_matched.tsv"),
  MNLI_MISMATCHED("mnli-mm", Head.SEQUENCE_CLASSIFICATION, List.of("entailment", "neutral", "contradiction"),
      "sentence1", "sentence2", "gold_label", List.of(Metric.ACCURACY), "dev_mismatched.tsv"),
  QNLI("qnli", Head.SEQUENCE_CLASSIFICATION, List.of("entailment", "not_entailment"), "question", "sentence", "label",
      List.of(Metric.ACCURACY), "dev.tsv"),
  RTE("rte", Head.SEQUENCE_CLASSIFICATION, List.of("entailment", "not_entailment"), "sentence1", "sentence2", "label",
      List.of(Metric.ACCURACY), "dev.tsv");

  /** The metrics a report can carry. */
  public enum Metric {
    ACCURACY, F1, MATTHEWS, PEARSON, SPEARMAN, EXACT_MATCH, SQUAD_F1, TOKEN_ACCURACY, ENTITY_F1, LOSS, PERPLEXITY
  }

  private final String taskName;
  private final Head head;
  private final List<String> labels;
  private final String columnA;
  private final String columnB;
  private final String labelColumn;
  private final List<Metric> metrics;
  private final String devFile;

  GlueTask(String taskName, Head head, List<String> labels, String columnA, String columnB,
      String labelColumn, List<Metric> metrics, String devFile) {
    this.taskName = taskName;
    this.head = head;
    this.labels = labels;
    this.columnA = columnA;
    this.columnB = columnB;
    this.labelColumn = labelColumn;
    this.metrics = metrics;
    this.devFile = devFile;
  }

  public String taskName() {
    return taskName;
  }

  public Head head() {
    return head;
  }

  public List<String> labels() {
    return labels;
  }

  public List<Metric> metrics() {
    return metrics;
  }

  /** The labelled evaluation file of the GLUE distribution ({@code dev.tsv}, {@code dev_matched.tsv}...). */
  public String devFile() {
    return devFile;
  }

  /** True when the file starts with a header naming the columns. */
  boolean hasHeader() {
    return this != COLA;
  }

  String columnA() {
    return columnA;
  }

  String columnB() {
    return columnB;
  }

  String labelColumn() {
    return labelColumn;
  }

  /** By its short name ({@code sst2}, {@code mnli-m}...), case-insensitive. */
  public static GlueTask named(String name) {
    for (GlueTask t : values()) {
      if (t.taskName.equalsIgnoreCase(name) || t.name().equalsIgnoreCase(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown GLUE task '" + name + "'; known: "
        + java.util.Arrays.stream(values()).map(GlueTask::taskName).toList());
  }
}
