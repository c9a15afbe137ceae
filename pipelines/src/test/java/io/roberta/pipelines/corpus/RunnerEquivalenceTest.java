package io.roberta.pipelines.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.spec.CorpusSpec;
import io.roberta.spec.PackingSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.SourceSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same input gives the same blocks on the DirectRunner and on embedded Flink with
 * parallelism 1 and 4: the fixture's troublesome files plus Moby-Dick's 141 chapters cut into
 * paragraphs, so that several workers really share the work.
 */
class RunnerEquivalenceTest {

  @Test
  void directAndFlinkWriteTheSameShardsAndCounts(@TempDir Path dir) throws IOException {
    CorpusFixture.write(dir.resolve("in"));
    CorpusSpec fixture = CorpusFixture.corpus(dir.resolve("in"), new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 64));
    List<SourceSpec> sources = new ArrayList<>(fixture.sources());
    Path moby = SharedData.root().resolve("moby-dick");
    sources.add(SourceSpec.textFiles("moby-dick", moby + "/chapter_*.txt", SourceSpec.DocumentUnit.PARAGRAPH, 1));
    CorpusSpec corpus =
        new CorpusSpec(sources, fixture.normalization(), fixture.minChars(), fixture.maxChars(), true, 0.05, fixture.packing());
    Recipe recipe = CorpusFixture.recipe("runners", corpus);

    Map<String, PipelineOptions> runners = new java.util.LinkedHashMap<>();
    runners.put("direct", PipelineOptionsFactory.create());
    runners.put("flink-1", PipelineOptionsFactory.fromArgs("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=1").create());
    runners.put("flink-4", PipelineOptionsFactory.fromArgs("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=4").create());

    JsonNode reference = null;
    Map<String, byte[]> referenceShards = null;
    for (Map.Entry<String, PipelineOptions> runner : runners.entrySet()) {
      CorpusStage.Result r =
          CorpusStage.of(recipe, dir.resolve("work-" + runner.getKey()).toString(), io.roberta.pipelines.tokenizer.TokenizerRef.of(CorpusFixture.tokenizer().toString()))
              .run(runner.getValue());
      Map<String, byte[]> shards = new TreeMap<>();
      try (var files = Files.list(Path.of(r.directory()))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".bin")).toList()) {
          shards.put(f.getFileName().toString(), Files.readAllBytes(f));
        }
      }
      if (reference == null) {
        reference = r.manifest();
        referenceShards = shards;
        assertTrue(reference.path("sources").path("moby-dick").path("kept").asLong() > 1000, reference.toPrettyString());
        assertTrue(reference.path("splits").path("holdout").path("blocks").asLong() > 0);
        assertEquals(AssembleCorpus.TRAIN_SHARDS + AssembleCorpus.HOLDOUT_SHARDS, shards.size(), shards.keySet().toString());
        continue;
      }
      assertEquals(reference, r.manifest(), runner.getKey() + " wrote a different manifest");
      assertEquals(referenceShards.keySet(), shards.keySet(), runner.getKey());
      for (String name : shards.keySet()) {
        assertArrayEquals(referenceShards.get(name), shards.get(name), runner.getKey() + ": " + name + " differs");
      }
    }
  }
}
