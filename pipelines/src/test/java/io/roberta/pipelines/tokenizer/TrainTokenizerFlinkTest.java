package io.roberta.pipelines.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same corpus gives byte-identical files on the DirectRunner and on embedded Flink. */
class TrainTokenizerFlinkTest {

  @BeforeAll
  static void findCorpus() throws Exception {
    TrainTokenizerTest.findCorpus();
  }

  static FlinkPipelineOptions flink(int parallelism) {
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(parallelism);
    return options;
  }

  @Test
  void directAndFlinkWithParallelismOneAndFourWriteTheSameBytes(@TempDir Path dir) throws Exception {
    String glob = TrainTokenizerTest.glob();
    TrainTokenizerTest.train(TrainTokenizerTest.direct(), glob, 1500, 2, dir.resolve("direct"));
    TrainTokenizerTest.train(flink(1), glob, 1500, 2, dir.resolve("flink1"));
    TrainTokenizerTest.train(flink(4), glob, 1500, 2, dir.resolve("flink4"));
    for (String name : new String[] {"tokenizer.json", "vocab.json", "merges.txt"}) {
      byte[] direct = Files.readAllBytes(dir.resolve("direct").resolve(name));
      assertArrayEquals(direct, Files.readAllBytes(dir.resolve("flink1").resolve(name)), name + ", parallelism 1");
      assertArrayEquals(direct, Files.readAllBytes(dir.resolve("flink4").resolve(name)), name + ", parallelism 4");
    }
  }
}
