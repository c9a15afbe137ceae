package io.roberta.pipelines.corpus;

import io.roberta.spec.SourceSpec;

/**
 * Makes {@code CUSTOM} sources: a recipe names a provider ({@code Sources.custom("brown", path)}),
 * and the registry finds the provider by that name. Providers are found with
 * {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/io.roberta.pipelines.corpus.SourceProvider}) or registered with
 * {@link SourceRegistry#register}; class names are never read from a recipe.
 *
 * <pre>{@code
 * public final class BrownSourceProvider implements SourceProvider {
 *   public String name() { return "brown"; }
 *   public Source create(SourceSpec spec) { return new BrownSource(spec.name(), spec.path()); }
 * }
 * }</pre>
 */
public interface SourceProvider {
  /** The provider name recipes use; a lower-case identifier. */
  String name();

  Source create(SourceSpec spec);
}
