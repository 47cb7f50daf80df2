"""numba kernels of :mod:`ibkit.metrics._boosting`: depth-limited regression trees grown on
presorted features, and the stage loop of gradient boosting with log loss.

Each kernel mirrors one piece of scikit-learn's exact algorithm (``BestSplitter`` with the
``squared_error`` criterion, ``DepthFirstTreeBuilder``, ``GradientBoostingClassifier``'s
Newton leaf update) so that, for the same seed, the trees are the same trees; see
``_boosting.py`` for the pinned settings.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

_MASK32 = 0xFFFFFFFF
_RAND_R_MOD = 2147483648  # RAND_R_MAX + 1
_FEATURE_THRESHOLD = np.float32(1e-7)  # values closer than this are ties (sklearn)
_EPSILON = np.finfo(np.float64).eps


@njit()
def _rand_int(state: np.ndarray, low: int, high: int) -> int:
    """sklearn's ``rand_int``: xorshift ``our_rand_r`` on a uint32 kept in ``state[0]``."""
    s = state[0]
    if s == 0:
        s = 1
    s ^= (s << 13) & _MASK32
    s ^= s >> 17
    s ^= (s << 5) & _MASK32
    state[0] = s
    return low + (s % _RAND_R_MOD) % (high - low)


@njit()
def _scan_feature(xs_f, g, idx_f, start, end, sum_total, best):
    """Best split of samples ``idx_f[start:end]`` (sorted by this feature) by the MSE proxy
    ``S_L²/n_L + S_R²/n_R``; updates ``best = [proxy, pos, threshold]`` on a strict gain.
    Sums move like sklearn's criterion: forward from the last position, or back from the end
    when that is shorter."""
    pos, sum_left = start, 0.0
    p = start
    prev = xs_f[idx_f[start]]
    cur = prev
    while True:
        p += 1
        while p < end:
            cur = xs_f[idx_f[p]]
            if cur > prev + _FEATURE_THRESHOLD:
                break
            prev = cur
            p += 1
        if p >= end:
            return
        if (p - pos) <= (end - p):
            for q in range(pos, p):
                sum_left += g[idx_f[q]]
        else:
            sum_left = sum_total
            for q in range(end - 1, p - 1, -1):
                sum_left -= g[idx_f[q]]
        pos = p
        n_left, n_right = float(p - start), float(end - p)
        sum_right = sum_total - sum_left
        proxy = sum_left * sum_left / n_left + sum_right * sum_right / n_right
        if proxy > best[0]:
            best[0] = proxy
            best[1] = p
            best[2] = np.float64(prev) / 2.0 + np.float64(cur) / 2.0
        prev = cur


@njit()
def _node_split(xt, g, idx, start, end, sum_total, features, constants, n_known, rng):
    """sklearn's ``node_split_best`` (max_features = all): visits features in the order its
    random draws give, skipping constant ones; returns (feature, pos, threshold, n_constant,
    order feature). ``pos == end`` means no valid split; the order feature is the last one
    whose sort reordered sklearn's sample array (-1: none)."""
    d = xt.shape[0]
    best = np.array([-np.inf, float(end), 0.0])
    best_feature, order_feature = -1, -1
    f_i, n_visited, n_found, n_drawn = d, 0, 0, 0
    n_total = n_known
    while f_i > n_total and (n_visited < d or n_visited <= n_found + n_drawn):
        n_visited += 1
        f_j = _rand_int(rng, n_drawn, f_i - n_found)
        if f_j < n_known:
            features[n_drawn], features[f_j] = features[f_j], features[n_drawn]
            n_drawn += 1
            continue
        f_j += n_found
        f = features[f_j]
        xs_f, idx_f = xt[f], idx[f]
        if xs_f[idx_f[end - 1]] != xs_f[idx_f[start]]:  # sorting all-equal values: no-op
            order_feature = f
        if xs_f[idx_f[end - 1]] <= xs_f[idx_f[start]] + _FEATURE_THRESHOLD:
            features[f_j], features[n_total] = features[n_total], features[f_j]
            n_found += 1
            n_total += 1
            continue
        f_i -= 1
        features[f_i], features[f_j] = features[f_j], features[f_i]
        old = best[0]
        _scan_feature(xs_f, g, idx_f, start, end, sum_total, best)
        if best[0] > old:
            best_feature = f
    features[:n_known] = constants[:n_known]
    constants[n_known : n_known + n_found] = features[n_known : n_known + n_found]
    return best_feature, int(best[1]), best[2], n_total, order_feature


@njit()
def _children_impurity(g, samples, start, pos, end, sum_total, sq_total):
    """MSE impurities of ``samples[start:pos]`` and ``samples[pos:end]`` as sklearn's
    criterion computes them after ``reset(); update(pos)``."""
    if (pos - start) <= (end - pos):
        sum_left = 0.0
        for q in range(start, pos):
            sum_left += g[samples[q]]
    else:
        sum_left = sum_total
        for q in range(end - 1, pos - 1, -1):
            sum_left -= g[samples[q]]
    sq_left = 0.0
    for q in range(start, pos):
        sq_left += g[samples[q]] * g[samples[q]]
    n_left, n_right = float(pos - start), float(end - pos)
    sum_right = sum_total - sum_left
    imp_left = sq_left / n_left - (sum_left / n_left) ** 2
    imp_right = (sq_total - sq_left) / n_right - (sum_right / n_right) ** 2
    return imp_left, imp_right


@njit()
def _swap_partition(x_split, samples, start, end, threshold):
    """sklearn's ``partition_samples_final``: left-to-right scan swapping right-goers to the
    end (this fixes the order the children's sums run in)."""
    lo, hi = start, end
    while lo < hi:
        if x_split[samples[lo]] <= threshold:
            lo += 1
        else:
            hi -= 1
            samples[lo], samples[hi] = samples[hi], samples[lo]


@njit()
def _partition(idx, goes_left, scratch, start, end):
    """Stable partition of every feature's sorted list ``idx[f, start:end]`` into the
    samples with ``goes_left`` (first) and the rest."""
    for f in range(idx.shape[0]):
        left, right = start, 0
        for q in range(start, end):
            i = idx[f, q]
            if goes_left[i]:
                idx[f, left] = i
                left += 1
            else:
                scratch[right] = i
                right += 1
        idx[f, left:end] = scratch[:right]


@njit()
def _grow_tree(xt, order, g, max_depth, seed, tree_feature, tree_threshold, tree_left,
               tree_right, leaf_of, importance, idx, samples, scratch, goes_left):  # fmt: skip
    """Grow one regression tree on ``g`` (n,) depth-first exactly like sklearn's
    ``DepthFirstTreeBuilder`` (min_samples_split = 2, min_samples_leaf = 1). Fills the node
    arrays, ``leaf_of`` (n,) and the unnormalised impurity importances ``(d,)``; returns the
    node count. ``idx`` ``(d, n)``, ``samples``, ``scratch``, ``goes_left`` (n,) are work
    space (reused across trees: allocating them per tree costs page faults)."""
    d, n = order.shape
    idx[:, :] = order
    for i in range(n):
        samples[i] = i  # sklearn's sample array, in its order
    features = np.arange(d)
    constants = np.zeros(d, dtype=np.int64)
    rng = np.array([seed], dtype=np.int64)
    cap = tree_feature.shape[0]
    st_start, st_end = np.empty(cap, np.int64), np.empty(cap, np.int64)
    st_depth, st_parent = np.empty(cap, np.int64), np.empty(cap, np.int64)
    st_is_left, st_nconst = np.empty(cap, np.bool_), np.empty(cap, np.int64)
    st_impurity = np.empty(cap)
    node_impurity, node_weight = np.empty(cap), np.empty(cap)
    top, node_count = 0, 0
    st_start[0], st_end[0], st_depth[0], st_parent[0] = 0, n, 0, -1
    st_is_left[0], st_nconst[0], st_impurity[0] = False, 0, np.inf
    top = 1
    while top > 0:
        top -= 1
        start, end, depth = st_start[top], st_end[top], st_depth[top]
        parent, is_left, n_known = st_parent[top], st_is_left[top], st_nconst[top]
        sum_total, sq_total = 0.0, 0.0
        for q in range(start, end):
            v = g[samples[q]]
            sum_total += v
            sq_total += v * v
        n_node = end - start
        impurity = st_impurity[top]
        if node_count == 0:
            impurity = sq_total / n_node - (sum_total / n_node) ** 2
        is_leaf = depth >= max_depth or n_node < 2 or impurity <= _EPSILON
        feature, pos, threshold, n_const, order_feature = -1, end, 0.0, n_known, -1
        if not is_leaf:
            feature, pos, threshold, n_const, order_feature = _node_split(
                xt, g, idx, start, end, sum_total, features, constants, n_known, rng
            )
            is_leaf = pos >= end
        node = node_count
        node_count += 1
        if parent >= 0:
            if is_left:
                tree_left[parent] = node
            else:
                tree_right[parent] = node
        node_impurity[node], node_weight[node] = impurity, float(n_node)
        tree_left[node], tree_right[node] = -1, -1
        if is_leaf:
            tree_feature[node], tree_threshold[node] = -1, 0.0
            for q in range(start, end):
                leaf_of[samples[q]] = node
            continue
        tree_feature[node], tree_threshold[node] = feature, threshold
        if order_feature >= 0:
            samples[start:end] = idx[order_feature, start:end]
        _swap_partition(xt[feature], samples, start, end, threshold)
        imp_left, imp_right = _children_impurity(
            g, samples, start, pos, end, sum_total, sq_total
        )
        if depth + 1 < max_depth:  # children at max_depth are leaves: no search there
            for q in range(start, end):
                goes_left[samples[q]] = q < pos
            _partition(idx, goes_left, scratch, start, end)
        importance[feature] += (
            n_node * impurity - (pos - start) * imp_left - (end - pos) * imp_right
        )
        for child_start, child_end, child_left, child_imp in (
            (pos, end, False, imp_right), (start, pos, True, imp_left)
        ):  # fmt: skip
            st_start[top], st_end[top], st_depth[top] = child_start, child_end, depth + 1
            st_parent[top], st_is_left[top] = node, child_left
            st_nconst[top], st_impurity[top] = n_const, child_imp
            top += 1
    importance /= float(n)
    return node_count


@njit()
def _apply_tree(xt, tree_feature, tree_threshold, tree_left, tree_right, out):
    """Leaf index of every column of ``xt`` ``(d, m)`` (``x <= threshold`` goes left)."""
    for i in range(xt.shape[1]):
        node = 0
        while tree_left[node] >= 0:
            if xt[tree_feature[node], i] <= tree_threshold[node]:
                node = tree_left[node]
            else:
                node = tree_right[node]
        out[i] = node


@njit()
def _negative_gradient(raw, y, neg_g):
    """Negative gradient of the half log loss ``(T, n)``: ``1[y=k] − softmax_k`` for T ≥ 3
    classes, ``y − expit(raw)`` for one binary row (sklearn's stable forms)."""
    n_trees, n = raw.shape
    if n_trees == 1:
        for i in range(n):
            r, t = raw[0, i], float(y[i])
            if r > -37:
                e = np.exp(-r)
                neg_g[0, i] = -(((1 - t) - t * e) / (1 + e))
            else:
                neg_g[0, i] = -(np.exp(r) - t)
        return
    p = np.empty(n_trees)
    for i in range(n):
        top = raw[0, i]
        for k in range(1, n_trees):
            top = max(top, raw[k, i])
        total = 0.0
        for k in range(n_trees):
            p[k] = np.exp(raw[k, i] - top)
            total += p[k]
        for k in range(n_trees):
            neg_g[k, i] = -(p[k] / total - (1.0 if y[i] == k else 0.0))


@njit()
def _pairwise_sum(a, lo, n):
    """NumPy's ``pairwise_sum`` of ``a[lo:lo + n]`` (8 accumulators up to 128, then halves),
    so means round exactly as ``np.mean`` does."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= 128:
        r = a[lo : lo + 8].copy()
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += a[lo + i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_sum(a, lo, n2) + _pairwise_sum(a, lo + n2, n - n2)


@njit()
def _leaf_values(neg_g_k, is_k, leaf_of, node_count, factor, g_sorted, h_sorted):
    """Newton leaf update ``factor · mean(g) / mean(p(1 − p))`` with ``p = y − g`` per leaf
    (0 where the denominator is below 1e-150), as sklearn's ``_update_terminal_regions``
    (the leaf's rows in ascending order, NumPy's pairwise sums)."""
    n = neg_g_k.shape[0]
    count = np.zeros(node_count + 1, np.int64)
    for i in range(n):
        count[leaf_of[i] + 1] += 1
    offset = np.cumsum(count)  # rows of leaf j at [offset[j], offset[j + 1])
    fill = offset[:-1].copy()
    for i in range(n):
        leaf = leaf_of[i]
        g = neg_g_k[i]
        prob = is_k[i] - g
        g_sorted[fill[leaf]] = g
        h_sorted[fill[leaf]] = prob * (1 - prob)
        fill[leaf] += 1
    values = np.zeros(node_count)
    for leaf in range(node_count):
        m = offset[leaf + 1] - offset[leaf]
        if m > 0:
            numerator = _pairwise_sum(g_sorted, offset[leaf], m) / m * factor
            denominator = _pairwise_sum(h_sorted, offset[leaf], m) / m
            if abs(denominator) >= 1e-150:
                values[leaf] = numerator / denominator
    return values


@njit()
def boost(xt, order, y, xt_test, raw_init, seeds, learning_rate, max_depth):  # pragma: no cover
    """Gradient boosting with log loss: ``seeds.shape[0]`` stages of ``T = seeds.shape[1]``
    depth-``max_depth`` trees on the presorted training codes ``xt`` ``(d, n)`` float32 and
    labels ``y`` (n,) in 0..K−1 (T = K for K ≥ 3, T = 1 for two classes).

    Runs without the GIL (callers thread over factors). Returns (importance sum over trees
    with a split ``(d,)``, number of such trees, raw scores of the training rows ``(T, n)``
    and of ``xt_test`` ``(d, m)`` → ``(T, m)``).
    """
    d, n = order.shape
    m = xt_test.shape[1]
    n_stages, n_trees = seeds.shape
    cap = 2 ** (max_depth + 1) - 1
    factor = 1.0 if n_trees == 1 else (n_trees - 1) / n_trees
    raw, raw_test, neg_g = np.empty((n_trees, n)), np.empty((n_trees, m)), np.empty((n_trees, n))
    is_k = np.empty((n_trees, n))
    for k in range(n_trees):
        raw[k, :] = raw_init[k]
        raw_test[k, :] = raw_init[k]
        for i in range(n):
            is_k[k, i] = (1.0 if y[i] == k else 0.0) if n_trees > 1 else float(y[i])
    idx, samples, scratch = np.empty((d, n), order.dtype), np.empty(n, order.dtype), np.empty(
        n, order.dtype
    )
    goes_left, leaf_of, leaf_test = np.empty(n, np.bool_), np.empty(n, np.int64), np.empty(
        m, np.int64
    )
    g_sorted, h_sorted = np.empty(n), np.empty(n)
    t_feat, t_thr = np.empty(cap, np.int64), np.empty(cap)
    t_left, t_right = np.empty(cap, np.int64), np.empty(cap, np.int64)
    importance, imp = np.zeros(d), np.zeros(d)
    n_relevant = 0
    for stage in range(n_stages):
        _negative_gradient(raw, y, neg_g)
        for k in range(n_trees):  # sklearn's order: stage by stage, tree by tree
            imp[:] = 0.0
            count = _grow_tree(xt, order, neg_g[k], max_depth, seeds[stage, k], t_feat, t_thr,
                               t_left, t_right, leaf_of, imp, idx, samples, scratch,
                               goes_left)  # fmt: skip
            values = _leaf_values(neg_g[k], is_k[k], leaf_of, count, factor, g_sorted, h_sorted)
            for i in range(n):
                raw[k, i] += learning_rate * values[leaf_of[i]]
            _apply_tree(xt_test, t_feat, t_thr, t_left, t_right, leaf_test)
            for i in range(m):
                raw_test[k, i] += learning_rate * values[leaf_test[i]]
            if count > 1:
                importance += imp
                n_relevant += 1
    return importance, n_relevant, raw, raw_test
