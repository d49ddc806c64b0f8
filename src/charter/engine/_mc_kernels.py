# mypy: ignore-errors
# ruff: noqa: SIM108  (explicit if/else blocks keep the numba kernels plain)
"""numba kernels of the Monte Carlo engine (see :mod:`charter.engine.montecarlo` for the model).

Every array indexed by task is in *rank* (topological) order.  A chunk of iterations is laid out as
``(blocks, rows, W)``: block ``s`` holds ``W`` consecutive iterations, so a task's values for one block are
contiguous and the per-link loops over the ``W`` iterations are vectorised.  Blocks are independent: the
chunk kernel runs them in parallel, and all random numbers are drawn before (results do not depend on
thread scheduling).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

FS, SS, FF, SF = 0, 1, 2, 3
TRIANGULAR, PERT, UNIFORM = 0, 1, 2


@njit(cache=True, nogil=True, fastmath=True)
def inverse(dist, a, c, b, u, tab):
    """Value of the three-point distribution (``a`` <= ``c`` <= ``b``) at probability ``u``."""
    w = b - a
    if w <= 0.0:
        return a
    if dist == UNIFORM:
        return a + u * w
    if dist == TRIANGULAR:
        fc = (c - a) / w
        if u < fc:
            return a + math.sqrt(u * w * (c - a))
        return b - math.sqrt((1.0 - u) * w * (b - c))
    # PERT-beta: bilinear interpolation in the quantile table (mode position x probability)
    nr = tab.shape[0] - 1
    nu = tab.shape[1] - 1
    x = (c - a) / w * nr
    i = min(int(x), nr - 1)
    fx = x - i
    y = u * nu
    j = min(int(y), nu - 1)
    fy = y - j
    q0 = tab[i, j] + fy * (tab[i, j + 1] - tab[i, j])
    q1 = tab[i + 1, j] + fy * (tab[i + 1, j + 1] - tab[i + 1, j])
    return a + w * (q0 + fx * (q1 - q0))


@njit(cache=True, nogil=True, fastmath=True)
def _sample_row(dist, a, c, b, u, out, tab):
    """``out[j] = inverse(u[j])`` for one task, the distribution branch taken once per row."""
    w = b - a
    m = u.size
    if w <= 0.0:
        for j in range(m):
            out[j] = a
    elif dist == UNIFORM:
        for j in range(m):
            out[j] = a + u[j] * w
    elif dist == TRIANGULAR:
        fc = (c - a) / w
        k1 = w * (c - a)
        k2 = w * (b - c)
        for j in range(m):
            x = np.float64(u[j])
            lo = a + math.sqrt(x * k1)
            hi = b - math.sqrt((1.0 - x) * k2)
            out[j] = lo if x < fc else hi
    else:
        for j in range(m):
            out[j] = inverse(dist, a, c, b, np.float64(u[j]), tab)


@njit(cache=True, nogil=True, fastmath=True)
def forward(d, es, pptr, psrc, ptyp, plag, fin):
    """Early starts ``es[v, j]`` (floor 0) of every iteration ``j``; ``fin[j]`` = latest early finish."""
    n, m = d.shape
    for j in range(m):
        fin[j] = 0.0
    for v in range(n):
        e = es[v]
        dv = d[v]
        for j in range(m):
            e[j] = 0.0
        for p in range(pptr[v], pptr[v + 1]):
            u = psrc[p]
            t = ptyp[p]
            lag = plag[p]
            eu = es[u]
            du = d[u]
            if t == FS:
                for j in range(m):
                    e[j] = max(e[j], eu[j] + du[j] + lag)
            elif t == SS:
                for j in range(m):
                    e[j] = max(e[j], eu[j] + lag)
            elif t == FF:
                for j in range(m):
                    e[j] = max(e[j], eu[j] + du[j] + lag - dv[j])
            else:
                for j in range(m):
                    e[j] = max(e[j], eu[j] + lag - dv[j])
        for j in range(m):
            fin[j] = max(fin[j], e[j] + dv[j])


@njit(cache=True, nogil=True, fastmath=True)
def backward_critical(d, es, sptr, sdst, styp, slag, fin, tol, crit):
    """Late finishes (capped by the project finish), overwriting ``es`` row by row in reverse rank order;
    ``crit[u]`` += the number of iterations in which task ``u`` has total float <= ``tol[j]``."""
    n, m = d.shape
    x = np.empty(m)
    for u in range(n - 1, -1, -1):
        du = d[u]
        for j in range(m):
            x[j] = fin[j]
        for p in range(sptr[u], sptr[u + 1]):
            v = sdst[p]
            t = styp[p]
            lag = slag[p]
            lv = es[v]  # already the late finish of v
            dv = d[v]
            if t == FS:
                for j in range(m):
                    x[j] = min(x[j], lv[j] - dv[j] - lag)
            elif t == SS:
                for j in range(m):
                    x[j] = min(x[j], lv[j] - dv[j] - lag + du[j])
            elif t == FF:
                for j in range(m):
                    x[j] = min(x[j], lv[j] - lag)
            else:
                for j in range(m):
                    x[j] = min(x[j], lv[j] - lag + du[j])
        e = es[u]
        c = 0
        for j in range(m):
            c += 1 if x[j] - e[j] - du[j] <= tol[j] else 0
            e[j] = x[j]
        crit[u] += c


@njit(cache=True, nogil=True, parallel=True)
def run_chunk(
    u,
    cu,
    ru,
    dist,
    lo,
    mode,
    hi,
    tab,
    pptr,
    psrc,
    ptyp,
    plag,
    sptr,
    sdst,
    styp,
    slag,
    rptr,
    rprob,
    rdist,
    rlo,
    rmode,
    rhi,
    cdist,
    clo,
    cmode,
    chi,
    rcdist,
    rclo,
    rcmode,
    rchi,
    threshold,
    with_crit,
    kmax,
    fin,
    cost,
    crit,
):
    """One chunk: per block sample durations (+ risk delays), forward pass, project finish, backward pass
    and criticality counts (``crit[s, v]``), and the sampled cost (task costs + risk cost impacts).

    ``u`` ``(S, n, W)`` task uniforms; ``cu`` ``(S, nc, W)`` cost uniforms of the tasks with a cost
    distribution (their rows follow ``cdist..chi``); ``ru`` ``(S, 3 R, W)`` risk uniforms (occurrence, delay,
    cost).  Risks are grouped by task rank: ``rptr[v]..rptr[v+1]``.
    """
    nb, n, w = u.shape
    nr = rprob.size
    nc = cdist.size
    for s in prange(nb):
        d = np.empty((n, w))
        es = np.empty((n, w))
        us = u[s]
        rs = ru[s]
        for v in range(n):
            dv = d[v]
            _sample_row(dist[v], lo[v], mode[v], hi[v], us[v], dv, tab)
            for r in range(rptr[v], rptr[v + 1]):
                pr = rprob[r]
                occ = rs[r]
                imp = rs[nr + r]
                for j in range(w):
                    if occ[j] < pr:
                        dv[j] += inverse(rdist[r], rlo[r], rmode[r], rhi[r], np.float64(imp[j]), tab)
        f = fin[s]
        forward(d, es, pptr, psrc, ptyp, plag, f)
        if with_crit:
            tol = np.empty(w)
            for j in range(w):
                tol[j] = threshold + 1e-9 * (1.0 + abs(f[j])) if s * w + j < kmax else -np.inf
            backward_critical(d, es, sptr, sdst, styp, slag, f, tol, crit[s])
        cs = cost[s]
        for j in range(w):
            cs[j] = 0.0
        if nc:
            cus = cu[s]
            tmp = np.empty(w)
            for i in range(nc):
                _sample_row(cdist[i], clo[i], cmode[i], chi[i], cus[i], tmp, tab)
                for j in range(w):
                    cs[j] += tmp[j]
        for r in range(nr):
            occ = rs[r]
            imp = rs[2 * nr + r]
            for j in range(w):
                if occ[j] < rprob[r]:
                    cs[j] += inverse(rcdist[r], rclo[r], rcmode[r], rchi[r], np.float64(imp[j]), tab)


@njit(cache=True, nogil=True)
def _phi(z):
    return 0.5 * math.erfc(-z * 0.7071067811865476)


@njit(cache=True, nogil=True, parallel=True)
def copula(u, rows, grp, rho, zg, ze):
    """Gaussian copula: ``u[s, rows[i], j] = Phi(sqrt(rho) zg[s, g, j] + sqrt(1 - rho) ze[s, i, j])`` with
    ``g = grp[i]`` and ``rho = rho[g]`` (one common factor per group)."""
    nb = u.shape[0]
    w = u.shape[2]
    for s in prange(nb):
        for i in range(rows.size):
            g = grp[i]
            a = math.sqrt(rho[g])
            b = math.sqrt(1.0 - rho[g])
            for j in range(w):
                x = _phi(a * zg[s, g, j] + b * ze[s, i, j])
                u[s, rows[i], j] = min(x, 0.99999994)  # float32 below 1


@njit(cache=True, nogil=True, parallel=True)
def accumulate(u, prob, fin, bins, kmax, acc_s, acc_sf, acc_m):
    """Per-row sums for the rank correlation with the project finish and for the tornado.

    Row ``v``'s variable is ``u[s, v, j]`` (``prob`` empty) or the occurrence indicator
    ``u[s, v, j] < prob[v]``.  ``fin`` is the chunk's (centred) project finish per iteration, ``bins`` its
    finish bin.  ``acc_s[v, b]`` / ``acc_sf[v, b]``: sums of x and x * fin over iterations in bin b;
    ``acc_m[v]``: sum x, sum x^2, count and finish sum for x in the low tail, the same for the high tail
    (u < 0.1 / u >= 0.9; for risks: not occurred / occurred).
    """
    nb, nrow, w = u.shape
    ind = prob.size > 0
    for v in prange(nrow):
        s1 = 0.0
        s2 = 0.0
        ln = 0.0
        lf = 0.0
        hn = 0.0
        hf = 0.0
        a_s = acc_s[v]
        a_f = acc_sf[v]
        for s in range(nb):
            row = u[s, v]
            for j in range(w):
                k = s * w + j
                if k >= kmax:
                    break
                y = fin[k]
                if ind:
                    x = 1.0 if row[j] < prob[v] else 0.0
                    low = x == 0.0
                    high = not low
                else:
                    x = np.float64(row[j])
                    low = x < 0.1
                    high = x >= 0.9
                b = bins[k]
                a_s[b] += x
                a_f[b] += x * y
                s1 += x
                s2 += x * x
                if low:
                    ln += 1.0
                    lf += y
                elif high:
                    hn += 1.0
                    hf += y
        acc_m[v, 0] += s1
        acc_m[v, 1] += s2
        acc_m[v, 2] += ln
        acc_m[v, 3] += lf
        acc_m[v, 4] += hn
        acc_m[v, 5] += hf
