package io.roberta.runners.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code roberta new <name>}: writes a small Maven project to start one's own recipes from: a
 * {@code pom.xml} depending on this project's DSL, a recipe class sized for a laptop (tiny model
 * pretrained on Moby-Dick, Brown genre fine-tuned beside a random-init baseline), a test that
 * builds and compiles it, and the class path entry that lets {@code roberta} find it by simple
 * name. The files come from templates in this module's resources.
 *
 * <pre>{@code roberta new my-recipes && ./mvnw -q -f my-recipes/pom.xml package
 * ./roberta --recipe-classpath my-recipes/target/classes run MyRecipes}</pre>
 */
@Command(
    name = "new",
    mixinStandardHelpOptions = true,
    description = {"Write a recipe project (Maven) to start your own recipe from.",
        "NAME/pom.xml, a recipe class, its test, a README with the commands that build and run it."})
public final class NewCommand implements Callable<Integer> {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");
  private static final Pattern PACKAGE = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*");
  private static final String TEMPLATES = "/io/roberta/runners/template/";
  private static final String JUNIT_VERSION = "5.11.4";

  @Parameters(index = "0", paramLabel = "NAME",
      description = "Folder, Maven artifact and recipe name, e.g. my-recipes (lower case, digits, dashes); the class is MyRecipes.")
  String name;

  @Option(names = "--package", defaultValue = "com.example", description = "Java package of the recipe class (default: ${DEFAULT-VALUE}).")
  String javaPackage;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Folder with moby-dick/ and brown/ the recipe reads (default: the checkout's ../shared/data, or -Droberta.data).")
  String data;

  @Option(names = "--dir", paramLabel = "DIR", description = "Where to write the project (default: ./NAME).")
  Path dir;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (!NAME.matcher(name).matches()) {
      throw new UserError("project name '" + name + "' is invalid: use lower-case letters, digits and single dashes,"
          + " starting with a letter (e.g. my-recipes); it names the folder, the Maven artifact and the recipe");
    }
    if (!PACKAGE.matcher(javaPackage).matches()) {
      throw new UserError("--package " + javaPackage + " is not a Java package name (e.g. com.example.recipes)");
    }
    Path root = (dir != null ? dir : Path.of(name)).toAbsolutePath().normalize();
    if (Files.exists(root) && !isEmptyDirectory(root)) {
      throw new UserError(root + " already exists and is not empty; choose another name or --dir");
    }
    String className = className(name);
    Map<String, String> values = new LinkedHashMap<>();
    values.put("@@GROUP@@", javaPackage);
    values.put("@@ARTIFACT@@", name);
    values.put("@@PACKAGE@@", javaPackage);
    values.put("@@CLASS@@", className);
    values.put("@@RECIPE@@", name);
    values.put("@@ROBERTA_VERSION@@", version());
    values.put("@@JUNIT_VERSION@@", JUNIT_VERSION);
    values.put("@@DATA@@", dataFolder().replace("\\", "/"));
    values.put("@@ROBERTA_HOME@@", System.getProperty("roberta.home", "the folder with ./roberta"));

    Path sources = root.resolve("src/main/java").resolve(javaPackage.replace('.', '/'));
    Path tests = root.resolve("src/test/java").resolve(javaPackage.replace('.', '/'));
    Map<String, Path> files = new LinkedHashMap<>();
    files.put("pom.xml.txt", root.resolve("pom.xml"));
    files.put("Recipe.java.txt", sources.resolve(className + ".java"));
    files.put("RecipeTest.java.txt", tests.resolve(className + "Test.java"));
    files.put("recipes.txt", root.resolve("src/main/resources").resolve(RecipeLoader.REGISTRY));
    files.put("README.md.txt", root.resolve("README.md"));
    files.put("gitignore.txt", root.resolve(".gitignore"));
    var out = spec.commandLine().getOut();
    try {
      for (Map.Entry<String, Path> f : files.entrySet()) {
        String text = template(f.getKey());
        for (Map.Entry<String, String> v : values.entrySet()) {
          text = text.replace(v.getKey(), v.getValue());
        }
        Files.createDirectories(f.getValue().getParent());
        Files.writeString(f.getValue(), text, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UserError("cannot write the project under " + root + ": " + e.getMessage(), e);
    }
    Path shown = Path.of("").toAbsolutePath().relativize(root);
    String classes = shown.resolve("target/classes").toString();
    out.printf("wrote %s/ (recipe %s.%s, its test, README.md)%n", shown, javaPackage, className);
    out.printf("next, from the roberta checkout:%n");
    out.printf("  ./mvnw -q -f %s package%n", shown.resolve("pom.xml"));
    out.printf("  ./roberta --recipe-classpath %s validate %s%n", classes, className);
    out.printf("  ./roberta --recipe-classpath %s describe %s%n", classes, className);
    out.printf("  ./roberta --recipe-classpath %s run %s%n", classes, className);
    out.flush();
    return 0;
  }

  /** {@code my-recipes} -> {@code MyRecipes}. */
  static String className(String name) {
    StringBuilder s = new StringBuilder();
    for (String part : name.split("-")) {
      s.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
    }
    return s.toString();
  }

  /** This build's version, the one the project's pom depends on. */
  static String version() {
    Properties p = new Properties();
    try (InputStream in = NewCommand.class.getResourceAsStream("/io/roberta/runners/version.properties")) {
      if (in == null) {
        throw new IllegalStateException("version.properties is missing from the runners jar");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  private String dataFolder() {
    if (data != null) {
      return Path.of(data).toAbsolutePath().normalize().toString();
    }
    String property = System.getProperty("roberta.data");
    if (property != null) {
      return Path.of(property).toAbsolutePath().normalize().toString();
    }
    String home = System.getProperty("roberta.home");
    Path base = home != null ? Path.of(home) : Path.of("");
    return base.resolve("../shared/data").toAbsolutePath().normalize().toString();
  }

  private static String template(String file) throws IOException {
    try (InputStream in = NewCommand.class.getResourceAsStream(TEMPLATES + file)) {
      if (in == null) {
        throw new IllegalStateException("template " + file + " is missing from the runners jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static boolean isEmptyDirectory(Path p) {
    try (var s = Files.list(p)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }
}
