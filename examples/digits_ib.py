"""Cluster scikit-learn's digits (image × pixel co-occurrences) with IB, DIB, aIB, sIB, k-means.

Works offline: the 1797 8×8 digits ship inside scikit-learn. Run ``python examples/digits_ib.py``
(about 5 s on two cores); ``--n-samples 600`` runs on a random subset.
"""

from __future__ import annotations

import argparse
import sys

from ibkit.datasets.digits import digits_cooccurrence
from ibkit.exceptions import IBKitError
from ibkit.experiment.digits import DEFAULT_BETA, cluster_digits, format_table
from ibkit.measures import mutual_information


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clusters", type=int, default=10, help="clusters (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of subset and restarts")
    parser.add_argument("--n-samples", type=int, default=None, help="random subset of images")
    parser.add_argument("--beta", type=float, default=DEFAULT_BETA, help="β of IB and DIB")
    args = parser.parse_args(argv)
    try:
        rows = cluster_digits(
            args.n_clusters, beta=args.beta, seed=args.seed, n_samples=args.n_samples
        )
        data = digits_cooccurrence(n_samples=args.n_samples, seed=args.seed)
    except IBKitError as err:
        print(f"digits_ib: error: {err}", file=sys.stderr)
        return 2
    n_images = data.counts.shape[0]
    i_xy = float(mutual_information(data.joint))
    print(f"{data.name}: {n_images} images × 64 pixels, I(X;Y) = {i_xy:.4f} bits")
    print(f"{args.n_clusters} clusters, β = {args.beta:g} (IB, DIB), seed {args.seed}\n")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
