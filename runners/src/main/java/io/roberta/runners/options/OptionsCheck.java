package io.roberta.runners.options;

import io.roberta.pipelines.stage.Artifacts;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The one place where the command line's Beam options are parsed and checked, before any stage
 * starts: the runner is one this project runs on, Dataflow has its project, region and temporary
 * location, the work directory can be written, the training accelerator is a well-formed hint.
 * Every problem is an {@link InvalidOptionException} naming the option.
 *
 * <pre>{@code
 * RobertaPipelineOptions options = OptionsCheck.parse(List.of("--runner=FlinkRunner", "--flinkMaster=[local]"), "work");
 * }</pre>
 */
public final class OptionsCheck {
  /** The runners this project is built and tested with, by their short names. */
  public static final List<String> RUNNERS = List.of("DirectRunner", "FlinkRunner", "DataflowRunner");

  private static final Map<String, String> RUNNER_CLASSES = Map.of(
      "org.apache.beam.runners.direct.DirectRunner", "DirectRunner",
      "org.apache.beam.runners.flink.FlinkRunner", "FlinkRunner",
      "org.apache.beam.runners.dataflow.DataflowRunner", "DataflowRunner");

  /** Keys of a Dataflow accelerator hint ({@code type:nvidia-l4;count:1;install-nvidia-driver}). */
  static final Set<String> ACCELERATOR_KEYS = Set.of("type", "count", "install-nvidia-driver", "use_nvidia_mps");

  private static final Pattern ACCELERATOR_TYPE = Pattern.compile("[a-z0-9][a-z0-9-]*");

  private OptionsCheck() {}

  /** {@link #parse(List, String)} with the work directory from {@code --workDir} (default {@code work}). */
  public static RobertaPipelineOptions validate(String... args) {
    return parse(List.of(args), null);
  }

  /**
   * Parses and checks Beam options; {@code workDir} (the command's {@code --work-dir}), when not
   * null, overrides {@code --workDir}. On the DirectRunner, unless the arguments say otherwise,
   * one worker thread per core and no immutability or encodability checks (the stages' elements
   * are large and never mutated; the checks cost as much as the stage's work).
   */
  public static RobertaPipelineOptions parse(List<String> args, String workDir) {
    Set<String> given = new LinkedHashSet<>();
    for (String a : args) {
      if (!a.startsWith("--") || a.length() == 2) {
        throw new InvalidOptionException(a, "unexpected argument '" + a + "': Beam options are written --name=value");
      }
      int eq = a.indexOf('=');
      given.add(eq < 0 ? a : a.substring(0, eq));
    }
    String runner = runner(args);
    RobertaPipelineOptions options;
    try {
      options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().as(RobertaPipelineOptions.class);
    } catch (IllegalArgumentException e) {
      String option = args.stream().filter(a -> e.getMessage() != null && e.getMessage().contains(name(a))).findFirst().orElse("Beam options");
      throw new InvalidOptionException(option, "Beam options " + args + ": " + e.getMessage(), e);
    }
    if (workDir != null) {
      options.setWorkDir(workDir);
    }
    String dir = options.getWorkDir();
    String dirOption = workDir != null ? "--work-dir" : "--workDir";

    if (runner.equals("DataflowRunner")) {
      dataflow(given, dir, dirOption);
      fileSystem(dir, dirOption, options);
    } else {
      fileSystem(dir, dirOption, options);
      if (runner.equals("FlinkRunner") && remoteFlink(args) && scheme(dir) == null && !dir.startsWith("/")) {
        throw new InvalidOptionException(dirOption, dirOption + " " + dir + " is relative: the cluster's TaskManagers would resolve it against"
            + " their own working directory; give an absolute path (" + dirOption + "="
            + Artifacts.uri(Artifacts.dir(dir)) + ")");
      }
      writableLocalDirectory(dir, dirOption);
    }
    if (options.getTrainingAccelerator() != null) {
      accelerator(options.getTrainingAccelerator(), "--trainingAccelerator");
    }
    if (runner.equals("DirectRunner")) {
      DirectOptions direct = options.as(DirectOptions.class);
      if (!given.contains("--targetParallelism")) {
        direct.setTargetParallelism(Runtime.getRuntime().availableProcessors());
      }
      if (!given.contains("--enforceImmutability")) {
        direct.setEnforceImmutability(false);
      }
      if (!given.contains("--enforceEncodability")) {
        direct.setEnforceEncodability(false);
      }
    }
    return options;
  }

  /**
   * The short name of the runner {@code --runner} asks for ({@code DirectRunner} when absent);
   * accepts Beam's spellings ({@code flink}, {@code FlinkRunner}, the class name).
   */
  public static String runner(List<String> args) {
    String value = null;
    for (String a : args) {
      if (a.startsWith("--runner=")) {
        value = a.substring("--runner=".length());
      } else if (a.equals("--runner")) {
        throw new InvalidOptionException("--runner", "--runner needs a value: --runner=" + String.join("|", RUNNERS));
      }
    }
    if (value == null) {
      return "DirectRunner";
    }
    if (RUNNER_CLASSES.containsKey(value)) {
      return RUNNER_CLASSES.get(value);
    }
    String lower = value.toLowerCase(Locale.ROOT);
    for (String r : RUNNERS) {
      String l = r.toLowerCase(Locale.ROOT);
      if (lower.equals(l) || lower.equals(l.substring(0, l.length() - "runner".length()))) {
        return r;
      }
    }
    throw new InvalidOptionException("--runner",
        "--runner=" + value + " is not a runner this project runs on; valid: " + String.join(", ", RUNNERS));
  }

  /**
   * Checks a Beam accelerator resource hint in Dataflow's form: {@code type:<gpu type>} first or
   * anywhere, then optionally {@code count:<n>}, {@code install-nvidia-driver[:<version>]},
   * {@code use_nvidia_mps}, separated by {@code ;}. Returns the hint.
   */
  public static String accelerator(String hint, String option) {
    String help = " (expected e.g. type:nvidia-l4;count:1;install-nvidia-driver; keys: " + String.join(", ", ACCELERATOR_KEYS.stream().sorted().toList()) + ")";
    if (hint.isBlank()) {
      throw new InvalidOptionException(option, option + " is empty" + help);
    }
    boolean typed = false;
    Set<String> seen = new LinkedHashSet<>();
    for (String part : hint.split(";", -1)) {
      int colon = part.indexOf(':');
      String key = colon < 0 ? part : part.substring(0, colon);
      String value = colon < 0 ? null : part.substring(colon + 1);
      if (!ACCELERATOR_KEYS.contains(key)) {
        throw new InvalidOptionException(option, option + "=" + hint + ": unknown part '" + part + "'" + help);
      }
      if (!seen.add(key)) {
        throw new InvalidOptionException(option, option + "=" + hint + ": '" + key + "' given twice" + help);
      }
      switch (key) {
        case "type" -> {
          if (value == null || !ACCELERATOR_TYPE.matcher(value).matches()) {
            throw new InvalidOptionException(option, option + "=" + hint + ": type must be a GPU type such as nvidia-l4 or nvidia-tesla-t4" + help);
          }
          typed = true;
        }
        case "count" -> {
          int n;
          try {
            n = value == null ? -1 : Integer.parseInt(value);
          } catch (NumberFormatException e) {
            n = -1;
          }
          if (n < 1) {
            throw new InvalidOptionException(option, option + "=" + hint + ": count must be a whole number of GPUs >= 1, got '" + value + "'" + help);
          }
        }
        case "use_nvidia_mps" -> {
          if (value != null) {
            throw new InvalidOptionException(option, option + "=" + hint + ": use_nvidia_mps takes no value" + help);
          }
        }
        default -> {
          // install-nvidia-driver, with or without a driver version
        }
      }
    }
    if (!typed) {
      throw new InvalidOptionException(option, option + "=" + hint + ": the GPU type is missing (type:...)" + help);
    }
    return hint;
  }

  /** A {@code --flinkMaster} of {@code host:port}: a cluster in other processes, not one embedded here. */
  static boolean remoteFlink(List<String> args) {
    for (String a : args) {
      if (a.startsWith("--flinkMaster=")) {
        String master = a.substring("--flinkMaster=".length());
        return !master.isEmpty() && !master.startsWith("[");
      }
    }
    return false;
  }

  private static void dataflow(Set<String> given, String workDir, String dirOption) {
    if (!given.contains("--project")) {
      throw new InvalidOptionException("--project", "--project is required on Dataflow: the Google Cloud project that runs the job (--project=my-project)");
    }
    if (!given.contains("--region")) {
      throw new InvalidOptionException("--region", "--region is required on Dataflow: where the workers run (--region=us-central1)");
    }
    if (!given.contains("--tempLocation") && !given.contains("--gcpTempLocation")) {
      throw new InvalidOptionException("--tempLocation",
          "--tempLocation (or --gcpTempLocation) is required on Dataflow: a gs:// folder for staging and temporary files (--tempLocation=gs://my-bucket/tmp)");
    }
    if (!workDir.startsWith("gs://")) {
      throw new InvalidOptionException(dirOption,
          dirOption + " " + workDir + " is not a gs:// path: Dataflow workers cannot see this machine's disk (" + dirOption + "=gs://my-bucket/roberta)");
    }
  }

  /**
   * The work dir is a well-formed URI of a file system Beam has registered: {@code gs:/b} (one
   * slash) and a scheme without its module on the class path fail here, before any stage.
   */
  static void fileSystem(String workDir, String option, PipelineOptions options) {
    try {
      Artifacts.checkUri(workDir);
    } catch (IllegalArgumentException e) {
      throw new InvalidOptionException(option, option + " " + e.getMessage(), e);
    }
    FileSystems.setDefaultPipelineOptions(options);
    try {
      FileSystems.matchNewResource(workDir, true);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() == null || !e.getMessage().startsWith("No filesystem found")) {
        throw new InvalidOptionException(option, option + " " + workDir + ": " + e.getMessage(), e);
      }
      String scheme = scheme(workDir);
      String module = "gs".equals(scheme)
          ? "org.apache.beam:beam-sdks-java-extensions-google-cloud-platform-core (Google Cloud Storage)"
          : "the Beam module that registers a FileSystemRegistrar for " + scheme + "://";
      throw new InvalidOptionException(option, option + " " + workDir + ": no Beam file system is registered for the scheme "
          + scheme + "://; add " + module + " to the class path", e);
    }
  }

  /** A local work dir (no scheme, or file://) can be created and written: a file is written there and deleted. */
  private static void writableLocalDirectory(String workDir, String option) {
    String scheme = scheme(workDir);
    if (scheme != null && !scheme.equals("file")) {
      return; // another Beam file system (gs://, ...): its own errors name the path
    }
    try {
      var dir = Artifacts.dir(workDir);
      String probe = ".write-probe-" + java.util.UUID.randomUUID();
      Artifacts.write(dir, probe, new byte[0]);
      Artifacts.delete(java.util.List.of(Artifacts.file(dir, probe)));
    } catch (RuntimeException e) {
      throw new InvalidOptionException(option, option + " " + workDir + " cannot be created or written: " + e.getMessage(), e);
    }
  }

  private static String scheme(String path) {
    int colon = path.indexOf("://");
    return colon > 0 ? path.substring(0, colon).toLowerCase(Locale.ROOT) : null;
  }

  private static String name(String arg) {
    int eq = arg.indexOf('=');
    return (eq < 0 ? arg : arg.substring(0, eq)).replaceFirst("^--", "");
  }
}
