package io.roberta.pipelines.corpus;

import java.io.Serializable;

/**
 * One shard file as written: {@code blocks} blocks of the stage's block length.
 *
 * @param file the file name inside the stage folder, e.g. {@code train-00003-of-00008.bin}
 * @param split {@code train} or {@code holdout}
 * @param documents document copies packed into it
 * @param contentTokens positions holding text tokens or separators
 * @param paddingTokens {@code <pad>} positions
 * @param bytes the file's size
 * @param sha256 the file's SHA-256, what workers check their staged copy against
 */
public record ShardInfo(String file, String split, long documents, long blocks, long contentTokens, long paddingTokens,
    long bytes, String sha256) implements Serializable {}
