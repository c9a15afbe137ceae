#!/usr/bin/env python3
"""Makes this folder's SentencePiece model and the spm_encode reference the tests compare with.

Run from the repository root (needs Debian's `sentencepiece` package: spm_train, spm_encode):

    python3 engine/src/test/resources/tokenizer/spm/make.py ../shared/data

1. Writes the training text: every line of Moby-Dick's chapters and of the State of the Union
   addresses' "text" fields (Brown is left out of training, so its files test unseen text).
2. Trains the model with exactly:
     spm_train --input=<text> --model_prefix=<folder>/xlmr-tiny --model_type=unigram
       --vocab_size=4000 --character_coverage=1.0 --num_threads=2 --input_sentence_size=0
   (SentencePiece's default specials: <unk>=0, <s>=1, </s>=2, as XLM-R's sentencepiece.bpe.model.)
3. For every shared file (Brown, Moby-Dick, SOTU) takes its lines (Brown and Moby-Dick: the file
   split on "\\n", a trailing "\\r" removed; SOTU: the "text" field split the same way), skips lines
   that are blank, runs spm_encode on them (--output_format=id and =piece) and writes one row per
   file to spm-encode.tsv: file, lines, pieces, sha256 of the id output, sha256 of the piece output
   (each line's output followed by "\\n", UTF-8). The Java test computes the same from its own
   encoding, so the whole 24 MB reference need not be committed.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"


def lines_of(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        text = json.loads(text)["text"]
    out = []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip():
            out.append(line)
    return out


def shared_files():
    files = []
    for folder in ("brown", "moby-dick", "sotu"):
        for name in sorted(os.listdir(os.path.join(data, folder))):
            if folder == "brown" and not (len(name) == 4 and name[0] == "c"):
                continue
            if folder == "moby-dick" and not name.startswith("chapter_"):
                continue
            if folder == "sotu" and not name.endswith(".json"):
                continue
            files.append(os.path.join(folder, name))
    return files


with tempfile.TemporaryDirectory() as tmp:
    train = os.path.join(tmp, "train.txt")
    with open(train, "w", encoding="utf-8") as out:
        for f in shared_files():
            if not f.startswith("brown/"):
                for line in lines_of(os.path.join(data, f)):
                    out.write(line + "\n")
    subprocess.run(["spm_train", "--input=" + train, "--model_prefix=" + os.path.join(here, "xlmr-tiny"),
                    "--model_type=unigram", "--vocab_size=4000", "--character_coverage=1.0",
                    "--num_threads=2", "--input_sentence_size=0"], check=True)
    os.remove(os.path.join(here, "xlmr-tiny.vocab"))
    model = os.path.join(here, "xlmr-tiny.model")
    rows = []
    for f in shared_files():
        lines = lines_of(os.path.join(data, f))
        src = os.path.join(tmp, "lines.txt")
        with open(src, "w", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        ids = subprocess.run(["spm_encode", "--model=" + model, "--output_format=id", "--input=" + src],
                             check=True, capture_output=True).stdout
        pieces = subprocess.run(["spm_encode", "--model=" + model, "--output_format=piece", "--input=" + src],
                                check=True, capture_output=True).stdout
        count = sum(len(l.split()) for l in ids.decode("utf-8").split("\n"))
        rows.append("\t".join([f, str(len(lines)), str(count), hashlib.sha256(ids).hexdigest(),
                               hashlib.sha256(pieces).hexdigest()]))
    with open(os.path.join(here, "spm-encode.tsv"), "w", encoding="utf-8") as out:
        out.write("# file\tlines\tpieces\tsha256(ids)\tsha256(pieces), from spm_encode (sentencepiece %s)\n"
                  % subprocess.run(["dpkg-query", "-W", "-f=${Version}", "sentencepiece"],
                                   capture_output=True, text=True).stdout)
        out.write("\n".join(rows) + "\n")
