"""An evalset on disk: ``corpus/`` documents plus a ``gold.jsonl`` of questions with determinations."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from assistant.schema import Determination
from ingest.documents import discover

REQUIRED_KEYS = ("id", "question", "determination")
_STATUSES = frozenset({"met", "not_met", "unknown"})


class EvalsetError(ValueError):
    pass


@dataclass
class GoldItem:
    id: str
    question: str
    determination: str
    doc_ids: list[str] = field(default_factory=list)
    rationale: str = ""
    # Earlier turns of the conversation (oldest first): the question is asked as their follow-up.
    history: list[str] = field(default_factory=list)
    # The criteria that decide it: {"criterion": a quote of the document's words, "status": met|not_met|unknown}.
    decisive: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Evalset:
    root: Path
    corpus: Path
    gold_path: Path
    items: list[GoldItem]

    @property
    def name(self) -> str:
        return self.root.resolve().name


def load_gold(path: Path) -> list[GoldItem]:
    items: list[GoldItem] = []
    seen: set[str] = set()
    valid = {d.value for d in Determination}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalsetError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
            missing = [k for k in REQUIRED_KEYS if not data.get(k)]
            if missing:
                raise EvalsetError(f"{path}:{lineno}: missing key '{missing[0]}'")
            if data["determination"] not in valid:
                raise EvalsetError(
                    f"{path}:{lineno}: determination '{data['determination']}' is not one of {sorted(valid)}"
                )
            if data["id"] in seen:
                raise EvalsetError(f"{path}:{lineno}: duplicate id '{data['id']}'")
            seen.add(data["id"])
            history = data.get("history") or []
            decisive = data.get("decisive") or []
            if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
                raise EvalsetError(f"{path}:{lineno}: 'history' must be a list of earlier questions")
            if not isinstance(decisive, list) or not all(
                isinstance(d, dict) and d.get("criterion") and d.get("status") in _STATUSES for d in decisive
            ):
                raise EvalsetError(
                    f"{path}:{lineno}: 'decisive' must be a list of {{criterion, status}} "
                    f"with status in {sorted(_STATUSES)}"
                )
            items.append(
                GoldItem(
                    str(data["id"]),
                    str(data["question"]),
                    data["determination"],
                    [str(d) for d in data.get("doc_ids") or []],
                    str(data.get("rationale") or ""),
                    [str(h) for h in history],
                    [{"criterion": str(d["criterion"]), "status": str(d["status"])} for d in decisive],
                )
            )
    if not items:
        raise EvalsetError(f"{path}: no questions")
    return items


def load_evalset(root: Path, gold: Path | None = None, corpus: Path | None = None) -> Evalset:
    """An evalset folder; ``corpus`` overrides ``root/corpus`` (the necessity set runs on the project's corpus/)."""
    if corpus is None:
        corpus = root / "corpus"
        if not corpus.is_dir():
            raise EvalsetError(f"{root}: no corpus/ folder (expected corpus/ and gold.jsonl; or pass --corpus PATH)")
    elif not corpus.is_dir():
        raise EvalsetError(f"{corpus}: the corpus folder does not exist")
    gold_path = gold or root / "gold.jsonl"
    if not gold_path.is_file():
        raise EvalsetError(f"{gold_path}: gold file not found")
    return Evalset(root=root, corpus=corpus, gold_path=gold_path, items=load_gold(gold_path))


def corpus_hash(corpus: Path) -> str:
    """Content hash of every document file (names and bytes): the key of the evalset's index."""
    digest = hashlib.sha256()
    for path in discover([corpus]):
        digest.update(str(path.relative_to(corpus)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def stratified_sample(items: list[GoldItem], n: int) -> list[GoldItem]:
    """A deterministic sample of n questions keeping the class proportions (largest remainder)."""
    if n >= len(items):
        return list(items)
    groups: dict[str, list[GoldItem]] = defaultdict(list)
    for item in items:
        groups[item.determination].append(item)
    for members in groups.values():
        members.sort(key=lambda it: hashlib.sha1(it.id.encode()).hexdigest())
    quotas = {k: n * len(v) / len(items) for k, v in groups.items()}
    counts = {k: int(q) for k, q in quotas.items()}
    for k in sorted(quotas, key=lambda k: -(quotas[k] - counts[k]))[: n - sum(counts.values())]:
        counts[k] += 1
    chosen = {it.id for k, members in groups.items() for it in members[: counts[k]]}
    return [it for it in items if it.id in chosen]
