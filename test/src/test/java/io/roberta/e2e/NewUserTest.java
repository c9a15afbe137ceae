package io.roberta.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first ten minutes, through the {@code ./roberta} launcher script and the Maven
 * wrapper exactly as the README shows them: the "Your own recipe" block is read from the README
 * and each line run in an empty folder (a new recipe project, built offline against this build's
 * jars, validated, described and given a smoke run); the README's task table is what {@code
 * roberta tasks --markdown} prints; and the main example's {@code describe} logs nothing below
 * WARN. Runs in {@code verify}, after the examples module has packaged the jar.
 */
class NewUserTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path README = ROOT.resolve("README.md");
  /** A line slf4j-simple writes below WARN, as this project's configuration formats it. */
  private static final Pattern CHATTER = Pattern.compile("^\\[(INFO|DEBUG|TRACE)\\] (\\S+)", Pattern.MULTILINE);

  record Run(int status, String out) {}

  static Run command(Path dir, Map<String, String> env, List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("ROBERTA_JAVA_OPTS", "-Xmx1g");
    pb.environment().putAll(env);
    Path log = Files.createTempFile("roberta-out-", ".txt"); // not in dir: some commands run in the checkout
    try {
      Process p = pb.redirectOutput(log.toFile()).start();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("did not finish in 300 s: " + command + "\n" + Files.readString(log));
      }
      return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  static Run roberta(Path dir, String... args) throws IOException, InterruptedException {
    assertTrue(Files.isRegularFile(ROOT.resolve("examples/target/roberta.jar")), "build the jar first (./mvnw verify packages it)");
    List<String> c = new ArrayList<>(List.of("bash", ROOT.resolve("roberta").toString()));
    c.addAll(List.of(args));
    return command(dir, Map.of(), c);
  }

  /** The lines of the README's bash block that follows {@code marker}. */
  static List<String> readmeBlock(String marker) throws IOException {
    String readme = Files.readString(README);
    int at = readme.indexOf(marker);
    assertTrue(at >= 0, "README has no " + marker);
    int start = readme.indexOf("```bash\n", at) + "```bash\n".length();
    int end = readme.indexOf("```", start);
    return readme.substring(start, end).lines().map(l -> l.replaceFirst("\\s+#.*$", "")).filter(l -> !l.isBlank()).toList();
  }

  /**
   * This build's parent, model-spec and dsl in the local Maven repository, as the first
   * {@code ./roberta} run's {@code ./mvnw install} leaves them (a plain {@code verify} installs
   * nothing): installed from the jars this build made, so the project compiles against them.
   */
  static String installDsl() throws Exception {
    String repo = System.getProperty("roberta.mavenRepo");
    assertTrue(repo != null && !repo.isBlank(), "surefire passes the build's local repository as roberta.mavenRepo");
    String version = System.getProperty("roberta.version");
    for (String[] artifact : new String[][] {
        {"pom.xml", "pom.xml"},
        {"model-spec/target/model-spec-" + version + ".jar", "model-spec/pom.xml"},
        {"dsl/target/dsl-" + version + ".jar", "dsl/pom.xml"}}) {
      assertTrue(Files.isRegularFile(ROOT.resolve(artifact[0])), artifact[0]);
      Run r = command(ROOT, Map.of(), List.of(ROOT.resolve("mvnw").toString(), "-B", "-q", "-o", "-Dmaven.repo.local=" + repo,
          "install:install-file", "-Dfile=" + ROOT.resolve(artifact[0]), "-DpomFile=" + ROOT.resolve(artifact[1])));
      assertEquals(0, r.status(), r.out());
    }
    return repo;
  }

  @Test
  void readmeRecipeProjectBlockWorksInAnEmptyFolder(@TempDir Path dir) throws Exception {
    String repo = installDsl();
    List<String> lines = readmeBlock("<!-- recipe-project-test");
    assertEquals(5, lines.size(), "new, package, validate, describe, run: " + lines);
    List<Run> runs = new ArrayList<>();
    for (String line : lines) {
      List<String> words = new ArrayList<>(List.of(line.trim().split("\\s+")));
      String program = words.remove(0);
      List<String> c = new ArrayList<>();
      switch (program) {
        case "./roberta" -> c.addAll(List.of("bash", ROOT.resolve("roberta").toString()));
        // offline, against the repository the outer build uses: the only additions to the README's line
        case "./mvnw" -> c.addAll(List.of(ROOT.resolve("mvnw").toString(), "-B", "-o", "-Dmaven.repo.local=" + repo));
        default -> throw new AssertionError("the README block runs only ./roberta and ./mvnw: " + line);
      }
      c.addAll(words);
      Run r = command(dir, Map.of(), c);
      assertEquals(0, r.status(), line + "\n" + r.out());
      runs.add(r);
    }
    Path project = dir.resolve("my-recipes");
    assertTrue(Files.isRegularFile(project.resolve("src/main/java/com/example/MyRecipes.java")));
    assertTrue(runs.get(0).out().contains("./roberta --recipe-classpath my-recipes/target/classes run MyRecipes"), runs.get(0).out());
    try (Stream<Path> reports = Files.list(project.resolve("target/surefire-reports"))) {
      String report = Files.readString(reports.filter(p -> p.toString().endsWith("MyRecipesTest.txt")).findFirst().orElseThrow());
      assertTrue(report.contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"), report);
    }
    assertTrue(runs.get(2).out().contains("valid recipe 'my-recipes' (6 stages; inputs and options checked as run would)"),
        runs.get(2).out());
    String describe = runs.get(3).out();
    assertTrue(describe.contains("Recipe my-recipes"), describe);
    assertTrue(describe.contains("finetune-brown-genre-random-init"), describe);
    String smoke = runs.get(4).out();
    assertTrue(smoke.contains("my-recipes: stopped early"), smoke);
    assertTrue(smoke.contains("pretraining stopped at step 1 of 300"), smoke);
    assertTrue(Files.isDirectory(dir.resolve("work/my-recipes/pretrain")), "the pretraining stage's folder");
    assertTrue(Files.isRegularFile(dir.resolve("work/my-recipes/report.md")));
    // The smoke run trained (ND4J, JavaCPP) and tokenized: none of their chatter by default.
    assertQuiet(smoke);
    assertFalse(smoke.contains("Versions of org.bytedeco"), smoke);
    assertFalse(smoke.contains("Failed to detect GPU count"), smoke);

    // The same classes through ROBERTA_CLASSPATH; a missing entry is named.
    Run viaEnv = command(dir, Map.of("ROBERTA_CLASSPATH", "my-recipes/target/classes"),
        List.of("bash", ROOT.resolve("roberta").toString(), "describe", "MyRecipes"));
    assertEquals(0, viaEnv.status(), viaEnv.out());
    assertEquals(describe, viaEnv.out());
    Run typo = roberta(dir, "--recipe-classpath", "my-recipe/target/classes", "describe", "MyRecipes");
    assertEquals(2, typo.status());
    assertTrue(typo.out().contains("recipe class path entry 'my-recipe/target/classes' does not exist"), typo.out());
    Run without = roberta(dir, "describe", "MyRecipes");
    assertEquals(1, without.status());
    assertTrue(without.out().contains("--recipe-classpath"), without.out());
  }

  @Test
  void readmeTaskTableIsTheCatalogue(@TempDir Path dir) throws Exception {
    Run r = roberta(dir, "tasks", "--markdown");
    assertEquals(0, r.status(), r.out());
    String table = r.out().lines().filter(l -> l.startsWith("|")).reduce("", (a, b) -> a + b + "\n");
    assertTrue(Files.readString(README).contains(table), "README's table under ## Tasks is `roberta tasks --markdown`:\n" + table);
  }

  @Test
  void describeOfTheMainExampleLogsNothingBelowWarn(@TempDir Path dir) throws Exception {
    Run describe = command(ROOT, Map.of(), List.of("bash", ROOT.resolve("roberta").toString(), "describe", "TinyBrown"));
    assertEquals(0, describe.status(), describe.out());
    assertFalse(CHATTER.matcher(describe.out()).find(), "no log line below WARN:\n" + describe.out());

    // ND4J's banner and DJL's GPU probe stay hidden by default; the same configuration with
    // --verbose lets them through (so the checks above can fail). JavaCPP's version note is gone
    // since OpenBLAS comes in the build for the JavaCPP in use, and must stay gone.
    String[] bench = {"bench", "engine", "--models", "tiny", "--steps", "1", "--batch", "1", "--seq", "8"};
    Run quiet = roberta(dir, bench);
    assertEquals(0, quiet.status(), quiet.out());
    assertFalse(CHATTER.matcher(quiet.out()).find(), quiet.out());
    assertFalse(quiet.out().contains("Versions of org.bytedeco"), quiet.out());
    String[] verboseBench = java.util.Arrays.copyOf(bench, bench.length + 1);
    verboseBench[bench.length] = "--verbose";
    Run verbose = roberta(dir, verboseBench);
    assertEquals(0, verbose.status(), verbose.out());
    assertTrue(verbose.out().contains("[INFO] Nd4jBackend - Loaded [CpuBackend] backend"), verbose.out());
    assertFalse(verbose.out().contains("Versions of org.bytedeco"), verbose.out());
  }

  /** No line below WARN from anything but this project's own loggers (whose INFO lines are its progress). */
  static void assertQuiet(String out) {
    Matcher m = CHATTER.matcher(out);
    while (m.find()) {
      assertTrue(PROJECT_LOGGERS.contains(m.group(2)), "a library's " + m.group(1) + " line by default: " + m.group() + "\n" + out);
    }
  }

  /** Short names of this project's classes that log progress through SLF4J. */
  private static final List<String> PROJECT_LOGGERS = List.of("BpeTrainer", "TrainTokenizer", "ReadTextDocuments");
}
