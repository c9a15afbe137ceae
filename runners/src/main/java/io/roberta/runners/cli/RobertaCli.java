package io.roberta.runners.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code roberta} command line. Each subcommand is its own class in this package, listed in
 * {@link #newCommandLine()}.
 *
 * <pre>{@code roberta describe io.roberta.examples.TinyBrown}</pre>
 */
@Command(
    name = "roberta",
    mixinStandardHelpOptions = true,
    versionProvider = RobertaCli.Version.class,
    description = "RoBERTa recipes as Apache Beam pipelines.",
    footer = {"", "The ./roberta launcher also takes --recipe-classpath DIR|JAR[:...] (or ROBERTA_CLASSPATH) anywhere on the line:"
        + " your own recipe classes, e.g. a `roberta new` project's target/classes."},
    synopsisSubcommandLabel = "COMMAND")
public final class RobertaCli implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Read by {@link #main} before any logger exists ({@link Logging}); declared here for parsing and help. */
  @CommandLine.Option(names = Logging.VERBOSE, scope = CommandLine.ScopeType.INHERIT,
      description = "Show every library's log lines (Flink, Beam, ND4J, DJL) at INFO; by default only this project's"
          + " progress lines and warnings show.")
  boolean verbose;

  public static void main(String[] args) {
    Logging.configure(Logging.verbose(args));
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit status (used by tests in-process). */
  public static int run(String... args) {
    return newCommandLine().execute(args);
  }

  public static CommandLine newCommandLine() {
    CommandLine cli = new CommandLine(new RobertaCli());
    // One line per subcommand; keep the list in the order `roberta --help` should show.
    cli.addSubcommand(new RunCommand());
    cli.addSubcommand(new DescribeCommand());
    cli.addSubcommand(new ValidateCommand());
    cli.addSubcommand(new ExportCommand());
    cli.addSubcommand(new TasksCommand());
    cli.addSubcommand(new NewCommand());
    cli.addSubcommand(new TokenizerCommand());
    cli.addSubcommand(new CorpusCommand());
    cli.addSubcommand(new PretrainCommand());
    cli.addSubcommand(new ParityCommand());
    cli.addSubcommand(new FillMaskCommand());
    cli.addSubcommand(new BenchCommand());
    cli.addSubcommand(new FinetuneCommand());
    cli.addSubcommand(new EvalCommand());
    cli.addSubcommand(new PlanJobCommand());
    cli.setExecutionExceptionHandler(new ErrorHandler());
    cli.setExecutionStrategy(CommandChecks.before(new CommandLine.RunLast()));
    return cli;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(System.err);
    return 2;
  }

  /** Prints a user error as one clear line instead of a stack trace. */
  static final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
      if (e instanceof UserError || e instanceof IllegalArgumentException) {
        cli.getErr().println("error: " + e.getMessage());
        return 1;
      }
      throw new RuntimeException(e);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = RobertaCli.class.getPackage().getImplementationVersion();
      return new String[] {"roberta " + (v == null ? "(development build)" : v)};
    }
  }
}
