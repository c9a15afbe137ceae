package io.roberta.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.InjectableValues;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Recipe JSON: strict reading (unknown, missing or mistyped fields are errors naming the field),
 * pretty writing, and canonical bytes for fingerprints. Types are fixed by the record classes:
 * there is no polymorphic type handling, so a file can never name a class to instantiate.
 *
 * <pre>{@code
 * String json = RecipeJson.write(recipe);
 * Recipe same = RecipeJson.read(json, "recipe.json");
 * String id = RecipeJson.fingerprint(recipe); // 64 hex digits, stable across runs and machines
 * }</pre>
 */
public final class RecipeJson {
  private static final Pattern MISSING = Pattern.compile("Missing (?:required )?creator property '([^']+)'");

  private static final ObjectMapper READER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          // fields added after schema 1 with a default (SourceSpec's reading policies) may be absent
          .injectableValues(new InjectableValues.Std().addValue(SourceSpec.ABSENT_POLICY, null)
              .addValue(PretrainSpec.ABSENT_ROUNDS, null).addValue(PretrainSpec.ABSENT_CURRICULUM, null)
              .addValue(RoundsSpec.ABSENT_SYNC_STEPS, null)
              .addValue(RoundsSpec.ABSENT_OUTER_WARMUP, null))
          .build();

  private static final ObjectMapper PRETTY =
      JsonMapper.builder()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .serializationInclusion(JsonInclude.Include.ALWAYS)
          .build();

  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .serializationInclusion(JsonInclude.Include.ALWAYS)
          .build();

  private RecipeJson() {}

  /** The recipe as indented JSON, fields in declaration order, nulls written out. */
  public static String write(Recipe recipe) {
    try {
      return PRETTY.writeValueAsString(recipe) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize recipe " + recipe.name(), e);
    }
  }

  public static void write(Recipe recipe, Path file) {
    try {
      Files.writeString(file, write(recipe), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write recipe to " + file, e);
    }
  }

  public static Recipe read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new RecipeFormatException("", file + ": no such recipe file", e);
    } catch (IOException e) {
      throw new RecipeFormatException("", file + ": cannot read recipe file: " + e.getMessage(), e);
    }
    return read(text, file.toString());
  }

  /**
   * Parses and validates a recipe. {@code source} names the text in error messages (a file name).
   *
   * @throws RecipeFormatException naming the source, field and line of the first problem
   */
  public static Recipe read(String json, String source) {
    try {
      Recipe recipe = READER.readValue(json, Recipe.class);
      if (recipe == null) {
        throw new RecipeFormatException("", source + ": empty recipe (expected a JSON object)", null);
      }
      return recipe;
    } catch (UnrecognizedPropertyException e) {
      String field = join(path(e), e.getPropertyName());
      String known =
          e.getKnownPropertyIds().stream().map(String::valueOf).sorted().collect(Collectors.joining(", "));
      throw new RecipeFormatException(
          field, source + where(e) + ": unknown field '" + field + "'; valid fields here: " + known, e);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SpecException spec) {
        throw new RecipeFormatException(spec.field(), source + where(e) + ": " + spec.getMessage(), e);
      }
      throw new RecipeFormatException(path(e), source + where(e) + ": " + e.getOriginalMessage(), e);
    } catch (InvalidFormatException e) {
      String field = path(e);
      throw new RecipeFormatException(
          field,
          source + where(e) + ": field '" + field + "' has value " + quoted(e.getValue())
              + " which is not a valid " + e.getTargetType().getSimpleName()
              + validValues(e.getTargetType()),
          e);
    } catch (MismatchedInputException e) {
      Matcher m = MISSING.matcher(e.getOriginalMessage());
      if (m.find()) {
        String field = join(path(e), m.group(1));
        throw new RecipeFormatException(
            field, source + where(e) + ": missing field '" + field + "' (every field must be present; use null where allowed)", e);
      }
      String field = path(e);
      throw new RecipeFormatException(
          field, source + where(e) + ": field '" + field + "': " + firstLine(e.getOriginalMessage()), e);
    } catch (JsonProcessingException e) {
      throw new RecipeFormatException(
          "", source + where(e) + ": not valid JSON: " + firstLine(e.getOriginalMessage()), e);
    }
  }

  /** Sorted-key, whitespace-free JSON of any spec record: the input to fingerprints. */
  public static String canonical(Object spec) {
    try {
      return CANONICAL.writeValueAsString(spec);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + spec, e);
    }
  }

  /** SHA-256 (hex) of the canonical JSON of the given specs, in order. */
  public static String fingerprint(Object... specs) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Object spec : specs) {
        sha.update(canonical(spec).getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java platform", e);
    }
  }

  private static String path(JsonMappingException e) {
    StringBuilder s = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        s.append(s.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        s.append('[').append(ref.getIndex()).append(']');
      }
    }
    return s.toString();
  }

  private static String join(String parent, String child) {
    if (parent.endsWith("." + child) || parent.equals(child)) {
      return parent;
    }
    return parent.isEmpty() ? child : parent + "." + child;
  }

  private static String where(JsonProcessingException e) {
    JsonLocation loc = e.getLocation();
    return loc == null || loc.getLineNr() < 0
        ? ""
        : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
  }

  private static String validValues(Class<?> type) {
    if (type.isEnum()) {
      return "; valid values: " + List.of(type.getEnumConstants());
    }
    return "";
  }

  private static String quoted(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }

  private static String firstLine(String s) {
    int nl = s == null ? -1 : s.indexOf('\n');
    return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
  }
}
