package io.roberta.pipelines.corpus;

import io.roberta.spec.SourceSpec;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a {@link SourceSpec} into a {@link Source}: TEXT and JSONL are built in; CUSTOM sources
 * come from providers registered by name.
 *
 * <pre>{@code Source source = SourceRegistry.create(spec);}</pre>
 */
public final class SourceRegistry {
  private static final Map<String, SourceProvider> REGISTERED = new ConcurrentHashMap<>();

  private SourceRegistry() {}

  /** Registers a provider under its name, replacing one found by the service loader. */
  public static void register(SourceProvider provider) {
    REGISTERED.put(provider.name(), provider);
  }

  public static Source create(SourceSpec spec) {
    return switch (spec.format()) {
      case TEXT -> FileSource.text(spec.name(), spec.path(), spec.unit())
          .withPolicies(spec.invalidUtf8Policy(), spec.oversizedPolicy());
      case JSONL -> FileSource.jsonLines(spec.name(), spec.path(), spec.textField())
          .withPolicies(spec.invalidUtf8Policy(), spec.oversizedPolicy());
      case CUSTOM -> {
        Map<String, SourceProvider> providers = providers();
        SourceProvider provider = providers.get(spec.provider());
        if (provider == null) {
          throw new IllegalArgumentException(
              "corpus.sources[" + spec.name() + "].provider = \"" + spec.provider()
                  + "\" names no registered source; known providers: " + providers.keySet()
                  + " (register one with SourceRegistry.register or META-INF/services/"
                  + SourceProvider.class.getName() + ")");
        }
        yield provider.create(spec);
      }
    };
  }

  /** All providers by name: those on the class path, then those registered in code. */
  public static Map<String, SourceProvider> providers() {
    Map<String, SourceProvider> all = new TreeMap<>();
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = SourceRegistry.class.getClassLoader();
    }
    for (SourceProvider p : ServiceLoader.load(SourceProvider.class, loader)) {
      all.put(p.name(), p);
    }
    all.putAll(REGISTERED);
    return all;
  }
}
