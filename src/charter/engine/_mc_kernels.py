# mypy: ignore-errors
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
            left = x < fc
            r = math.sqrt(x * k1 if left else (1.0 - x) * k2)
            out[j] = a + r if left else b - r
    else:
        nr = tab.shape[0] - 1
        nu = tab.shape[1] - 1
        y = (c - a) / w * nr
        i = min(int(y), nr - 1)
        fy = y - i
        r0 = tab[i]
        r1 = tab[i + 1]
        for j in range(m):
            x = np.float64(u[j]) * nu
            k = min(int(x), nu - 1)
            fx = x - k
            q0 = r0[k] + fx * (r0[k + 1] - r0[k])
            q1 = r1[k] + fx * (r1[k + 1] - r1[k])
            out[j] = a + w * (q0 + fy * (q1 - q0))


@njit(cache=True, nogil=True, fastmath=True)
def forward(d, es, pptr, psrc, ptyp, plag, ppct, fin, prog, pmode, pbound, presume, pfloor):
    """Early starts ``es[v, j]`` (floor 0) of every iteration ``j``; ``fin[j]`` = latest early finish.
    A link's lag is ``plag[p]`` plus ``ppct[p]`` times its predecessor's duration in that iteration (a
    percent lag as a fraction; 0 for the others).

    With progress or constraints (``prog``; else the four arrays are not read): ``pmode[v]`` 0: task ``v``
    starts by logic no earlier than ``pbound[v]`` (the status time for a task not started, an SNET
    instant, 0 otherwise) nor than ``pfloor[v] - d`` (an FNET instant; very negative for the others);
    ``pmode[v]`` 1: it starts at ``pbound[v]`` (an actual start or an MSO instant), its links ignored;
    ``pmode[v]`` 2: it finishes at ``pbound[v]`` (MFO: starts at ``pbound[v] - d``), its links ignored.  A
    started task's remaining work resumes no earlier than the status time: its row of ``d`` (work done +
    remaining) is stretched in place by ``max(0, presume[v] - es)`` (``presume`` = status time - work done;
    very negative for the others).
    """
    n, m = d.shape
    for j in range(m):
        fin[j] = 0.0
    for v in range(n):
        e = es[v]
        dv = d[v]
        b0 = 0.0
        if prog:
            b0 = pbound[v]
        if not prog or pmode[v] == 0:
            for j in range(m):
                e[j] = b0
            if prog:
                ff = pfloor[v]
                for j in range(m):
                    e[j] = max(e[j], ff - dv[j])
            for p in range(pptr[v], pptr[v + 1]):
                u = psrc[p]
                t = ptyp[p]
                lag = plag[p]
                pc = ppct[p]
                eu = es[u]
                du = d[u]
                if pc != 0.0:  # a percent lag: of the predecessor's duration in each iteration
                    for j in range(m):
                        lj = lag + pc * du[j]
                        if t == FS:
                            e[j] = max(e[j], eu[j] + du[j] + lj)
                        elif t == SS:
                            e[j] = max(e[j], eu[j] + lj)
                        elif t == FF:
                            e[j] = max(e[j], eu[j] + du[j] + lj - dv[j])
                        else:
                            e[j] = max(e[j], eu[j] + lj - dv[j])
                elif t == FS:
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
        elif pmode[v] == 1:
            for j in range(m):
                e[j] = b0
        else:
            for j in range(m):
                e[j] = b0 - dv[j]
        if prog:
            r = presume[v]
            for j in range(m):
                dv[j] += max(0.0, r - e[j])
        for j in range(m):
            fin[j] = max(fin[j], e[j] + dv[j])


@njit(cache=True, nogil=True, fastmath=True)
def backward_critical(d, es, sptr, sdst, styp, slag, spct, fin, tol, crit, prog, pdone, pcapf, pcaps):
    """Late finishes (capped by the project finish), overwriting ``es`` row by row in reverse rank order;
    ``crit[u]`` += the number of iterations in which task ``u`` has total float <= ``tol[j]``.  With
    progress or constraints (``prog``) a complete task (``pdone``) is never critical and does not constrain
    its predecessors (as in :mod:`charter.engine.cpm`), and task ``u``'s late finish is also capped by
    ``pcapf[u]`` (FNLT, MFO, deadline) and ``pcaps[u] + d`` (SNLT, MSO; both very large for no cap), so a
    task that misses its constraint has negative float."""
    n, m = d.shape
    x = np.empty(m)
    for u in range(n - 1, -1, -1):
        if prog and pdone[u]:
            continue
        du = d[u]
        for j in range(m):
            x[j] = fin[j]
        if prog:
            cf = pcapf[u]
            cs = pcaps[u]
            for j in range(m):
                x[j] = min(x[j], min(cf, cs + du[j]))
        for p in range(sptr[u], sptr[u + 1]):
            v = sdst[p]
            if prog and pdone[v]:
                continue
            t = styp[p]
            lag = slag[p]
            pc = spct[p]
            lv = es[v]  # already the late finish of v
            dv = d[v]
            if pc != 0.0:  # a percent lag: of u's duration in each iteration
                for j in range(m):
                    lj = lag + pc * du[j]
                    if t == FS:
                        x[j] = min(x[j], lv[j] - dv[j] - lj)
                    elif t == SS:
                        x[j] = min(x[j], lv[j] - dv[j] - lj + du[j])
                    elif t == FF:
                        x[j] = min(x[j], lv[j] - lj)
                    else:
                        x[j] = min(x[j], lv[j] - lj + du[j])
            elif t == FS:
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
    group,
    dist,
    lo,
    mode,
    hi,
    tab,
    pptr,
    psrc,
    ptyp,
    plag,
    ppct,
    sptr,
    sdst,
    styp,
    slag,
    spct,
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
    kmax,
    fin,
    cost,
    crit,
    dbuf,
    ebuf,
    prog,
    pmode,
    pbound,
    presume,
    pdone,
    pfloor,
    pcapf,
    pcaps,
):
    """One chunk: sample durations (+ risk delays), forward pass, project finish ``fin[k]``, backward pass
    with criticality counts ``crit[b, v]`` and the sampled cost ``cost[k]`` (task costs + risk impacts).

    ``u`` ``(S, n, B)``: task uniforms of ``S`` random blocks of ``B`` iterations (iteration ``k = s B + j``);
    ``cu`` ``(S, nc, B)`` cost uniforms of the tasks with a cost spread (rows follow ``cdist..chi``); ``ru``
    ``(S, 3 R, B)`` risk uniforms (occurrence, delay, cost), risks grouped by task rank ``rptr``.  The
    kernel works on ``group`` random blocks at a time (wider rows amortise the per-link overhead): kernel
    block ``b`` runs on thread ``b % T`` with its working arrays ``dbuf[t]``, ``ebuf[t]``
    (flat, ``(T, >= n group B)``) and adds to ``crit[t]``.  Iterations from ``kmax`` on (a partial last block) are never counted as critical.
    ``prog``, ``pmode``, ``pbound``, ``presume``, ``pdone``, ``pfloor``, ``pcapf``, ``pcaps``: progress and
    constraints (see :func:`forward` and :func:`backward_critical`).
    """
    nb = u.shape[0]
    nr = rprob.size
    nc = cdist.size
    nk = (nb + group - 1) // group
    nt = dbuf.shape[0]
    for t in prange(nt):
        for b in range(t, nk, nt):
            _kernel_block(
                u, cu, ru, group, b, dist, lo, mode, hi, tab, pptr, psrc, ptyp, plag, ppct, sptr, sdst, styp, slag,
                spct, rptr, rprob, rdist, rlo, rmode, rhi, cdist, clo, cmode, chi, rcdist, rclo, rcmode, rchi,
                threshold, kmax, fin, cost, crit[t], dbuf[t], ebuf[t], nr, nc, prog, pmode, pbound, presume, pdone,
                pfloor, pcapf, pcaps,
            )  # fmt: skip


@njit(cache=True, nogil=True)
def _kernel_block(
    u, cu, ru, group, b, dist, lo, mode, hi, tab, pptr, psrc, ptyp, plag, ppct, sptr, sdst, styp, slag, spct,
    rptr, rprob, rdist, rlo, rmode, rhi, cdist, clo, cmode, chi, rcdist, rclo, rcmode, rchi,
    threshold, kmax, fin, cost, crit, dbuf, ebuf, nr, nc, prog, pmode, pbound, presume, pdone, pfloor, pcapf,
    pcaps,
):  # fmt: skip
    nb, n, bw = u.shape
    s0 = b * group
    ns = min(group, nb - s0)
    w = ns * bw
    k0 = s0 * bw
    d = dbuf[: n * w].reshape((n, w))
    es = ebuf[: n * w].reshape((n, w))
    for v in range(n):
        dv = d[v]
        for q in range(ns):
            _sample_row(dist[v], lo[v], mode[v], hi[v], u[s0 + q, v], dv[q * bw : (q + 1) * bw], tab)
        for r in range(rptr[v], rptr[v + 1]):
            pr = rprob[r]
            for q in range(ns):
                occ = ru[s0 + q, r]
                imp = ru[s0 + q, nr + r]
                for j in range(bw):
                    if occ[j] < pr:
                        dv[q * bw + j] += inverse(rdist[r], rlo[r], rmode[r], rhi[r], np.float64(imp[j]), tab)
    f = fin[k0 : k0 + w]
    forward(d, es, pptr, psrc, ptyp, plag, ppct, f, prog, pmode, pbound, presume, pfloor)
    tol = np.empty(w)
    for j in range(w):
        tol[j] = threshold + 1e-9 * (1.0 + abs(f[j])) if k0 + j < kmax else -np.inf
    backward_critical(d, es, sptr, sdst, styp, slag, spct, f, tol, crit, prog, pdone, pcapf, pcaps)
    cs = cost[k0 : k0 + w]
    for j in range(w):
        cs[j] = 0.0
    tmp = np.empty(bw)
    for q in range(ns):
        for i in range(nc):
            _sample_row(cdist[i], clo[i], cmode[i], chi[i], cu[s0 + q, i], tmp, tab)
            for j in range(bw):
                cs[q * bw + j] += tmp[j]
        for r in range(nr):
            occ = ru[s0 + q, r]
            imp = ru[s0 + q, 2 * nr + r]
            for j in range(bw):
                if occ[j] < rprob[r]:
                    cs[q * bw + j] += inverse(rcdist[r], rclo[r], rcmode[r], rchi[r], np.float64(imp[j]), tab)


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


@njit(cache=True, nogil=True, parallel=True, fastmath=True)
def accumulate(u, prob, rank, fin, kmax, mom):
    """Per-row sums for the rank correlation with the project finish and for the tornado.

    Row ``v``'s variable x is ``u[s, v, j]`` (``prob`` empty) or the occurrence indicator
    ``u[s, v, j] < prob[v]``; iteration ``k = s B + j`` (``k < kmax``) has the centred finish rank
    ``rank[k]`` and (centred) finish ``fin[k]``.  Adds to ``mom[v]``: sum x, sum x^2, sum x rank, low
    count, low finish sum, high count, high finish sum, where low/high: x < 0.1 / x >= 0.9 (risks: not
    occurred / occurred).
    """
    nb, nrow, bw = u.shape
    ind = prob.size > 0
    for v in prange(nrow):
        s1 = 0.0
        s2 = 0.0
        sr = 0.0
        ln = 0.0
        lf = 0.0
        hn = 0.0
        hf = 0.0
        x = np.empty(bw)
        for s in range(nb):
            jm = min(bw, kmax - s * bw)
            if jm <= 0:
                break
            row = u[s, v]
            if ind:
                p = prob[v]
                for j in range(jm):
                    x[j] = 1.0 if row[j] < p else 0.0
            else:
                for j in range(jm):
                    x[j] = row[j]
            k0 = s * bw
            for j in range(jm):
                xj = x[j]
                f = fin[k0 + j]
                s1 += xj
                s2 += xj * xj
                sr += xj * rank[k0 + j]
                low = 1.0 if xj < 0.1 else 0.0
                high = 1.0 if xj >= 0.9 else 0.0
                ln += low
                lf += low * f
                hn += high
                hf += high * f
        mom[v, 0] += s1
        mom[v, 1] += s2
        mom[v, 2] += sr
        mom[v, 3] += ln
        mom[v, 4] += lf
        mom[v, 5] += hn
        mom[v, 6] += hf
