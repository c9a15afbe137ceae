package io.roberta.runners.cli;

import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeFormatException;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.SpecException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Finds the recipe a command names: a JSON file ({@code recipes/tiny.json}), a class on the
 * class path that implements {@code Supplier<Recipe>} ({@code io.roberta.examples.TinyBrown}),
 * or the simple name of an example class ({@code TinyBrown}).
 */
public final class RecipeLoader {
  static final String EXAMPLES_PACKAGE = "io.roberta.examples.";

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
      throw new UserError(
          "no recipe named '" + reference + "': expected a JSON file, a class implementing"
              + " Supplier<Recipe> on the class path, or an example class name such as TinyBrown");
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

  private static Class<?> findClass(String name) {
    for (String candidate : new String[] {name, EXAMPLES_PACKAGE + name}) {
      try {
        return Class.forName(candidate, false, RecipeLoader.class.getClassLoader());
      } catch (ClassNotFoundException | NoClassDefFoundError e) {
        // try the next form of the name
      }
    }
    return null;
  }
}
