package io.roberta.runners.cli;

import io.roberta.runners.help.Suggestions;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeFormatException;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.SpecException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Finds the recipe a command names: a JSON file ({@code recipes/tiny.json}), a class on the
 * class path that implements {@code Supplier<Recipe>} ({@code io.roberta.examples.TinyBrown}),
 * or the simple name of an example class ({@code TinyBrown}).
 */
public final class RecipeLoader {
  static final String EXAMPLES_PACKAGE = "io.roberta.examples.";
  /** Class path resource listing recipe classes, one a line. */
  public static final String REGISTRY = "META-INF/roberta/recipes";

  private RecipeLoader() {}

  public static Recipe load(String reference) {
    Path file = Path.of(reference);
    if (reference.endsWith(".json") || Files.isRegularFile(file)) {
      try {
        return RecipeJson.read(file);
      } catch (RecipeFormatException e) {
        throw new UserError(e.getMessage(), e);
      }
    }
    Class<?> type = findClass(reference);
    if (type == null) {
      throw new UserError(notFound(reference));
    }
    if (!Supplier.class.isAssignableFrom(type)) {
      throw new UserError(type.getName() + " is not a recipe: it must implement java.util.function.Supplier<Recipe>");
    }
    Object supplied;
    try {
      Constructor<?> constructor = type.getDeclaredConstructor();
      supplied = ((Supplier<?>) constructor.newInstance()).get();
    } catch (NoSuchMethodException e) {
      throw new UserError(type.getName() + " needs a public no-argument constructor to be used as a recipe", e);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SpecException) {
        throw new UserError(type.getName() + ": invalid recipe: " + cause.getMessage(), cause);
      }
      throw new IllegalStateException(type.getName() + " failed to construct", cause);
    } catch (ReflectiveOperationException e) {
      throw new UserError("cannot instantiate " + type.getName() + ": " + e.getMessage(), e);
    } catch (SpecException e) {
      throw new UserError(type.getName() + ": invalid recipe: " + e.getMessage(), e);
    }
    if (!(supplied instanceof Recipe recipe)) {
      throw new UserError(
          type.getName() + ".get() returned " + (supplied == null ? "null" : supplied.getClass().getName())
              + ", expected an io.roberta.spec.Recipe");
    }
    return recipe;
  }

  /**
   * The recipe classes the class path announces: every {@value #REGISTRY} resource lists class
   * names, one a line ({@code #} starts a comment). The examples list theirs, and so does a
   * project made by {@code roberta new}, so both can be named by their simple names and offered as
   * suggestions.
   */
  public static List<String> registered() {
    Set<String> names = new LinkedHashSet<>();
    try {
      Enumeration<URL> files = RecipeLoader.class.getClassLoader().getResources(REGISTRY);
      while (files.hasMoreElements()) {
        URL file = files.nextElement();
        try (InputStream in = file.openStream()) {
          for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
            String name = line.replaceFirst("#.*", "").strip();
            if (!name.isEmpty()) {
              names.add(name);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + REGISTRY + " from the class path", e);
    }
    return List.copyOf(names);
  }

  private static String notFound(String reference) {
    List<String> known = registered();
    List<String> candidates = new ArrayList<>();
    for (String name : known) {
      candidates.add(reference.contains(".") ? name : simpleName(name));
    }
    StringBuilder m = new StringBuilder("no recipe named '" + reference + "'");
    String near = Suggestions.didYouMean(reference, candidates);
    m.append(near).append(near.isEmpty() ? ". " : " ").append("A recipe is a JSON file, a class implementing Supplier<Recipe>, or the simple name of one of: ");
    m.append(known.isEmpty() ? "(none registered)" : String.join(", ", known.stream().map(RecipeLoader::simpleName).toList()));
    m.append(". Your own recipe classes join the class path with ./roberta --recipe-classpath DIR|JAR"
        + " (or ROBERTA_CLASSPATH); ./roberta new NAME writes a recipe project to start from");
    return m.toString();
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  private static Class<?> findClass(String name) {
    List<String> candidates = new ArrayList<>(List.of(name));
    if (!name.contains(".")) {
      registered().stream().filter(c -> simpleName(c).equals(name)).forEach(candidates::add);
      candidates.add(EXAMPLES_PACKAGE + name);
    }
    for (String candidate : candidates) {
      try {
        return Class.forName(candidate, false, RecipeLoader.class.getClassLoader());
      } catch (ClassNotFoundException | NoClassDefFoundError e) {
        // try the next form of the name
      }
    }
    return null;
  }
}
