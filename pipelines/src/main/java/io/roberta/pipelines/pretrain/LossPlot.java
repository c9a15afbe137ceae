package io.roberta.pipelines.pretrain;

import io.roberta.engine.train.StepMetrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The PNG people look at after a run: training loss (left axis) and learning rate (right axis)
 * against the optimizer step, from {@code metrics.jsonl}.
 *
 * <pre>{@code byte[] png = LossPlot.png(metrics, "tiny-brown");}</pre>
 */
public final class LossPlot {
  private LossPlot() {}

  public static byte[] png(List<StepMetrics> metrics, String title) {
    return png(metrics, List.of(), title);
  }

  /**
   * With multi-worker rounds: the inner (workers') training loss per step and the outer loss, the
   * global parameters' holdout loss at each round's end ({@code outer}: {step, loss} pairs).
   */
  public static byte[] png(List<StepMetrics> metrics, List<double[]> outer, String title) {
    return png(metrics, outer, title, null);
  }

  /**
   * With a sequence curriculum: a dashed line where whole blocks take over from the short pieces
   * (the loss jumps there, and recovers).
   */
  public static byte[] png(List<StepMetrics> metrics, List<double[]> outer, String title,
      io.roberta.spec.SequenceCurriculumSpec curriculum) {
    System.setProperty("java.awt.headless", "true");
    XYSeries loss = new XYSeries(outer.isEmpty() ? "training loss" : "inner training loss (workers)");
    XYSeries outerLoss = new XYSeries("outer: global parameters' holdout loss");
    for (double[] p : outer) {
      outerLoss.add(p[0], p[1]);
    }
    XYSeries lr = new XYSeries("learning rate");
    for (StepMetrics m : metrics) {
      loss.add(m.step(), m.loss());
      lr.add(m.step(), m.learningRate());
    }
    NumberAxis stepAxis = new NumberAxis("optimizer step");
    NumberAxis lossAxis = new NumberAxis("masked-LM loss (nats)");
    lossAxis.setAutoRangeIncludesZero(false);
    XYLineAndShapeRenderer lossLine = new XYLineAndShapeRenderer(true, false);
    lossLine.setSeriesPaint(0, new Color(0x1f77b4));
    lossLine.setSeriesStroke(0, new BasicStroke(1.5f));
    XYSeriesCollection losses = new XYSeriesCollection(loss);
    if (!outer.isEmpty()) {
      losses.addSeries(outerLoss);
      lossLine.setSeriesPaint(1, new Color(0x2ca02c));
      lossLine.setSeriesStroke(1, new BasicStroke(2.5f));
      lossLine.setSeriesShapesVisible(1, true);
    }
    XYPlot plot = new XYPlot(losses, stepAxis, lossAxis, lossLine);

    NumberAxis lrAxis = new NumberAxis("learning rate");
    plot.setRangeAxis(1, lrAxis);
    plot.setDataset(1, new XYSeriesCollection(lr));
    plot.mapDatasetToRangeAxis(1, 1);
    XYLineAndShapeRenderer lrLine = new XYLineAndShapeRenderer(true, false);
    lrLine.setSeriesPaint(0, new Color(0xff7f0e));
    plot.setRenderer(1, lrLine);
    if (curriculum != null) {
      org.jfree.chart.plot.ValueMarker end = new org.jfree.chart.plot.ValueMarker(curriculum.steps() + 0.5);
      end.setPaint(Color.DARK_GRAY);
      end.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
      end.setLabel(curriculum.pieceLength() + "-token pieces | whole blocks");
      end.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP);
      end.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.TOP_CENTER);
      plot.addDomainMarker(end);
    }
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);

    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      ChartUtils.writeChartAsPNG(out, chart, 900, 500);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot draw the loss plot: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }
}
