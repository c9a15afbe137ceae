import io.roberta.pipelines.tokenizer.BpeTrainer;
import io.roberta.pipelines.tokenizer.WordCounts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * For tokenizer-vs-hf.sh: the plain classes without Beam (read files, count words, learn merges),
 * run as a single-file program; prints the seconds taken after the JVM has started.
 */
public class PlainBpe {
  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    WordCounts counts = new WordCounts();
    try (Stream<Path> files = Files.list(Path.of(args[0]))) {
      for (Path f : files.sorted().toList()) {
        counts.addText(Files.readString(f));
      }
    }
    BpeTrainer.builder().vocabSize(Integer.parseInt(args[1])).minFrequency(0).build().train(counts);
    System.out.printf("%.2f%n", (System.nanoTime() - start) / 1e9);
  }
}
