/**
 * Sharded evaluation. {@link io.roberta.pipelines.eval.EvaluateShards} scores a fine-tuned model
 * on task examples; {@link io.roberta.pipelines.eval.EvaluateMaskedLm} scores a pretrained model
 * on holdout blocks with fixed masks. Both put examples in fixed batches ({@code index /
 * batchSize}), spread batches over shards, load the model once per DoFn instance in
 * {@code @Setup}, and combine with a CombineFn that keeps every per-example (per-batch) result
 * and computes the metrics in index order, so the shard count and runner never change a number.
 * The metric maths lives in {@link io.roberta.pipelines.eval.metrics}.
 *
 * <pre>{@code
 * examples.apply("Evaluate", EvaluateShards.of(modelDir, EvalTask.of(dev, 128)).shards(8).writeTo(out));
 * }</pre>
 */
package io.roberta.pipelines.eval;
