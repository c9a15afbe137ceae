package io.roberta.runners.cli;

import io.roberta.runners.help.Suggestions;
import io.roberta.runners.options.RobertaPipelineOptions;
import java.beans.Introspector;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Checks the command line makes sense before a command runs, in one place for every command:
 * numeric options have values that mean something (no negative counts, no zero learning rate),
 * and the arguments a command passes through to Beam name options Beam or this command knows
 * ({@code --wrok-dir} gets "did you mean '--work-dir'?", never an internal class name).
 *
 * <pre>{@code cli.setExecutionStrategy(CommandChecks.before(new CommandLine.RunLast()));}</pre>
 */
public final class CommandChecks {
  /** How a numeric option may be set; options not listed here must be positive. */
  enum Rule {
    /** Any whole number (seeds). */
    ANY,
    /** 0 or more (0 means "all" or "none"). */
    NON_NEGATIVE,
    /** Greater than 0. */
    POSITIVE,
    /** A fraction in [0, 1). */
    FRACTION
  }

  /** Every numeric option that is not simply "positive", by name. */
  static final Map<String, Rule> RULES = Map.of(
      "--seed", Rule.ANY,
      "--mask-seed", Rule.ANY,
      "--train-examples", Rule.NON_NEGATIVE,
      "--holdout-blocks", Rule.NON_NEGATIVE, // 0: no holdout score at the end of pretraining
      "--weight-decay", Rule.NON_NEGATIVE,
      "--warmup-ratio", Rule.FRACTION,
      "--outer-momentum", Rule.NON_NEGATIVE, // bench rounds: 0 is plain outer SGD
      "--stop-after", Rule.NON_NEGATIVE); // bench rounds: 0 is no limit

  private CommandChecks() {}

  /** An execution strategy that checks the parsed command line, then runs {@code next}. */
  public static CommandLine.IExecutionStrategy before(CommandLine.IExecutionStrategy next) {
    return parseResult -> {
      ParseResult last = parseResult;
      while (last.hasSubcommand()) {
        last = last.subcommand();
      }
      String problem = problem(last);
      if (problem != null) {
        CommandLine cli = last.commandSpec().commandLine();
        cli.getErr().println("error: " + problem);
        cli.getErr().flush();
        return 2;
      }
      return next.execute(parseResult);
    };
  }

  /** The first problem with the options of the command that would run, or null. */
  static String problem(ParseResult command) {
    for (OptionSpec option : command.matchedOptions()) {
      String p = numeric(option);
      if (p != null) {
        return p;
      }
    }
    for (String arg : command.unmatched()) {
      if (!arg.startsWith("--") || arg.length() == 2) {
        continue; // OptionsCheck explains stray words in its own terms
      }
      int eq = arg.indexOf('=');
      String name = arg.substring(2, eq < 0 ? arg.length() : eq);
      if (!beamOptionNames().contains(name)) {
        List<String> candidates = new ArrayList<>();
        command.commandSpec().options().forEach(o -> candidates.addAll(List.of(o.names())));
        beamOptionNames().forEach(n -> candidates.add("--" + n));
        String command_ = command.commandSpec().qualifiedName();
        return "unknown option '--" + name + "'" + Suggestions.didYouMean("--" + name, candidates)
            + " (" + command_ + " --help lists this command's options; Beam's pipeline options such as --runner,"
            + " --flinkMaster and --parallelism pass through to the stages)";
      }
    }
    return null;
  }

  private static String numeric(OptionSpec option) {
    Class<?> type = option.type();
    boolean integral = type == int.class || type == Integer.class || type == long.class || type == Long.class;
    boolean real = type == double.class || type == Double.class || type == float.class || type == Float.class;
    if (!integral && !real) {
      return null;
    }
    Object value = option.getValue();
    if (value == null) {
      return null;
    }
    double v = ((Number) value).doubleValue();
    String name = option.longestName();
    Rule rule = RULES.getOrDefault(name, Rule.POSITIVE);
    String shown = name + " " + value;
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return shown + " is not a number this option can use; give a finite value";
    }
    return switch (rule) {
      case ANY -> null;
      case NON_NEGATIVE -> v < 0 ? shown + " is negative; it must be 0 or more" : null;
      case POSITIVE -> v <= 0 ? shown + " must be " + (integral ? "at least 1" : "greater than 0") + explain(name) : null;
      case FRACTION -> v < 0 || v >= 1 ? shown + " must be a fraction from 0 up to (not including) 1" : null;
    };
  }

  private static String explain(String option) {
    return switch (option) {
      case "--stop-after-steps" -> " (leave it out to train the whole schedule)";
      case "--shards" -> " (1 evaluates in one piece)";
      default -> "";
    };
  }

  private static Set<String> beamNames;

  /** Every option name Beam would accept here: the registered option interfaces and this project's. */
  static synchronized Set<String> beamOptionNames() {
    if (beamNames == null) {
      Set<String> names = new TreeSet<>();
      List<Class<? extends PipelineOptions>> types = new ArrayList<>(PipelineOptionsFactory.getRegisteredOptions());
      types.add(RobertaPipelineOptions.class);
      for (Class<? extends PipelineOptions> type : types) {
        for (Method m : type.getMethods()) {
          String n = m.getName();
          if (m.getParameterCount() == 0 && n.startsWith("get") && n.length() > 3) {
            names.add(Introspector.decapitalize(n.substring(3)));
          } else if (m.getParameterCount() == 0 && n.startsWith("is") && n.length() > 2
              && (m.getReturnType() == boolean.class || m.getReturnType() == Boolean.class)) {
            names.add(Introspector.decapitalize(n.substring(2)));
          }
        }
      }
      names.remove("class");
      beamNames = names;
    }
    return beamNames;
  }
}
