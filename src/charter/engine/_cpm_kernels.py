# mypy: ignore-errors
# ruff: noqa: SIM108, SIM109  (explicit comparisons and if/else blocks keep the numba kernels plain)
"""numba kernels of the CPM engine (see :mod:`charter.engine.cpm` for the model and conventions).

All times here are integer working minutes on the *task's own* calendar, counted from the calendar range
start; calendars are given as stacked tables (``cum[k, day]``, ``shs/shc[k, shift]``, ``nsh[k]``) and
converted through elapsed minutes ("abs", minutes since the range start 00:00) when a link joins tasks
on different calendars or carries an elapsed lag.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NONE = -(2**62)
BIG = 2**62
DAY = 1440

FS, SS, FF, SF = 0, 1, 2, 3
WORK, ELAPSED = 0, 1


@njit(cache=True, nogil=True, error_model="numpy")
def w2abs_row(shs, shc, k, wdy, last, mpd, w, finish):
    """Elapsed minutes of working time ``w`` on one calendar (finish side = earliest instant).

    ``shs``/``shc``/``wdy`` are that calendar's rows, ``k`` its number of shifts, ``last`` its number of
    working days (> 0) and ``mpd`` its working minutes per day (passed in: loading it here makes the loops
    several times slower).  Every working day has the same hours, so the working day is ``w // mpd``.
    """
    if w < 0:
        w = 0
    j = w // mpd
    r = w - j * mpd
    if j >= last:
        j = last - 1
        r = mpd
    elif r == 0 and finish and j > 0:
        j -= 1
        r = mpd
    d = wdy[j]
    i = 0
    if r > 0 and (finish or r == mpd):
        while i < k - 1 and shc[i + 1] < r:
            i += 1
    else:
        while i < k - 1 and shc[i + 1] <= r:
            i += 1
    return d * DAY + shs[i] + r - shc[i]


@njit(cache=True, nogil=True, error_model="numpy")
def abs2w_row(cum, shs, she, k, a):
    """Working minutes on one calendar elapsed by the instant ``a`` (elapsed minutes)."""
    ndays = cum.size - 1
    if a <= 0:
        return cum[0]
    if a >= ndays * DAY:
        return cum[ndays]
    d = a // DAY
    base = cum[d]
    if cum[d + 1] == base:
        return base
    m = a - d * DAY
    w = 0
    for j in range(k):
        s = shs[j]
        if m <= s:
            break
        e = she[j]
        w += (m if m < e else e) - s
    return base + w


@njit(cache=True, nogil=True, error_model="numpy")
def w2abs(shs, shc, nsh, wdy, nwd, c, w, finish):
    """:func:`w2abs_row` on calendar ``c`` of the stacked tables."""
    k = nsh[c]
    return w2abs_row(shs[c], shc[c], k, wdy[c], nwd[c], shc[c, k], w, finish)


@njit(cache=True, nogil=True, error_model="numpy")
def abs2w(cum, shs, she, nsh, c, a):
    """:func:`abs2w_row` on calendar ``c`` of the stacked tables."""
    return abs2w_row(cum[c], shs[c], she[c], nsh[c], a)


@njit(cache=True, nogil=True, error_model="numpy")
def w2abs_many(shs, shc, nsh, wdy, nwd, cal, w, finish):
    n = w.size
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = w2abs(shs, shc, nsh, wdy, nwd, cal[i], w[i], finish[i])
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def abs2w_many(cum, shs, she, nsh, cal, a):
    n = a.size
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = abs2w(cum, shs, she, nsh, cal[i], a[i])
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def abs2w_scalar_many(cum, shs, she, nsh, cal, a):
    """Working time of one instant ``a`` on each task's calendar."""
    n = cal.size
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = abs2w(cum, shs, she, nsh, cal[i], a)
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def group(n, key):
    """Counting sort: (indptr, perm) with perm[indptr[v]:indptr[v+1]] the positions where key == v."""
    m = key.size
    indptr = np.zeros(n + 1, np.int64)
    for k in range(m):
        indptr[key[k] + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    fill = indptr[:-1].copy()
    perm = np.empty(m, np.int64)
    for k in range(m):
        v = key[k]
        perm[fill[v]] = k
        fill[v] += 1
    return indptr, perm


@njit(cache=True, nogil=True, error_model="numpy")
def topo_order(n, src, dst):
    """Kahn's algorithm. Returns (order, count, indeg); count < n means a cycle among indeg > 0."""
    m = src.size
    sptr = np.zeros(n + 1, np.int64)
    indeg = np.zeros(n, np.int64)
    for k in range(m):
        sptr[src[k] + 1] += 1
        indeg[dst[k]] += 1
    for v in range(n):
        sptr[v + 1] += sptr[v]
    fill = sptr[:-1].copy()
    sdst = np.empty(m, np.int64)  # successors grouped by source, so the queue loop reads them in a row
    for k in range(m):
        u = src[k]
        sdst[fill[u]] = dst[k]
        fill[u] += 1
    order = np.empty(n, np.int64)
    tail = 0
    for v in range(n):
        if indeg[v] == 0:
            order[tail] = v
            tail += 1
    head = 0
    while head < tail:
        u = order[head]
        head += 1
        for p in range(sptr[u], sptr[u + 1]):
            w = sdst[p]
            indeg[w] -= 1
            if indeg[w] == 0:
                order[tail] = w
                tail += 1
    return order, tail, indeg


@njit(cache=True, nogil=True, error_model="numpy")
def transpose(pptr, psrc, ptyp, plag, pkind):
    """Successor CSR from the predecessor CSR (both in rank space)."""
    n = pptr.size - 1
    m = psrc.size
    sptr = np.zeros(n + 1, np.int64)
    for p in range(m):
        sptr[psrc[p] + 1] += 1
    for v in range(n):
        sptr[v + 1] += sptr[v]
    fill = sptr[:-1].copy()
    sdst = np.empty(m, np.int64)
    styp = np.empty(m, np.int8)
    slag = np.empty(m, np.int64)
    skind = np.empty(m, np.int8)
    for v in range(n):
        for p in range(pptr[v], pptr[v + 1]):
            u = psrc[p]
            q = fill[u]
            fill[u] = q + 1
            sdst[q] = v
            styp[q] = ptyp[p]
            slag[q] = plag[p]
            skind[q] = pkind[p]
    return sptr, sdst, styp, slag, skind


@njit(cache=True, nogil=True, error_model="numpy")
def renumber_links(order, rank, ptr, perm, far, typ, lag, kind):
    """CSR in rank space: for the node at rank r (= order[r]) its links in original ``ptr/perm`` grouping.

    ``far`` is the other end of each link (dst for successor lists, src for predecessor lists), returned
    as ranks.  The link fields are first packed per link, so that each link costs one cache miss.
    """
    n = order.size
    m = perm.size
    pk = np.empty((m, 3), np.int64)
    for q in range(m):
        pk[q, 0] = far[q]
        pk[q, 1] = lag[q]
        pk[q, 2] = np.int64(typ[q]) | (np.int64(kind[q]) << 8)
    optr = np.empty(n + 1, np.int64)
    ofar = np.empty(m, np.int64)
    otyp = np.empty(m, np.int8)
    olag = np.empty(m, np.int64)
    okind = np.empty(m, np.int8)
    q = 0
    optr[0] = 0
    for r in range(n):
        v = order[r]
        for p in range(ptr[v], ptr[v + 1]):
            k = perm[p]
            ofar[q] = pk[k, 0]
            olag[q] = pk[k, 1]
            tk = pk[k, 2]
            otyp[q] = tk & 255
            okind[q] = tk >> 8
            q += 1
        optr[r + 1] = q
    for q in range(m):
        ofar[q] = rank[ofar[q]]
    return optr, ofar, otyp, olag, okind


@njit(cache=True, nogil=True, error_model="numpy")
def _fwd_bound(cum, shs, she, shc, nsh, wdy, nwd, cal, mfin, es, ef, u, v, t, lag, kind):
    """Lower bound from link u->v on v's start (FS, SS) or finish (FF, SF), in v's calendar units."""
    if t == FS or t == FF:
        val = ef[u]
        fin = True
    else:
        val = es[u]
        fin = mfin[u]
    cu = cal[u]
    cv = cal[v]
    if kind == WORK:
        if cu == cv:
            return val + lag
        a = w2abs(shs, shc, nsh, wdy, nwd, cu, val, fin)
        return abs2w(cum, shs, she, nsh, cv, a) + lag
    a = w2abs(shs, shc, nsh, wdy, nwd, cu, val, fin) + lag
    return abs2w(cum, shs, she, nsh, cv, a)


@njit(cache=True, nogil=True, error_model="numpy")
def _bwd_bound(cum, shs, she, shc, nsh, wdy, nwd, cal, ls, lf, u, v, t, lag, kind):
    """Upper bound from link u->v on u's finish (FS, FF) or start (SS, SF), in u's calendar units.

    v's time is taken at its *latest* instant (start side): the forward bound only required v's working
    time to reach a value, so any instant carrying that value is allowed; the latest one makes the
    round trip u -> v -> u monotone, hence no float is lost crossing non-working time of v's calendar.
    """
    if t == FS or t == SS:
        val = ls[v]
    else:
        val = lf[v]
    cu = cal[u]
    cv = cal[v]
    if kind == WORK:
        if cu == cv:
            return val - lag
        a = w2abs(shs, shc, nsh, wdy, nwd, cv, val - lag, False)
        return abs2w(cum, shs, she, nsh, cu, a)
    a = w2abs(shs, shc, nsh, wdy, nwd, cv, val, False) - lag
    return abs2w(cum, shs, she, nsh, cu, a)


@njit(cache=True, nogil=True, error_model="numpy")
def forward(
    pptr,
    psrc,
    ptyp,
    plag,
    pkind,
    cal,
    dur,
    floor0,
    es_floor,
    fixed_es,
    mode,
    as_w,
    af_w,
    done,
    rem,
    status_w,
    cum,
    shs,
    she,
    shc,
    nsh,
    wdy,
    nwd,
    general,
    has_floor,
    has_fixed,
    has_progress,
):
    """Early dates in rank (topological) order.

    mode 0: scheduled by logic; 1: actual start fixed; 2: actual start and finish fixed.  Per-task arrays
    that a flag says are absent are not read (pass a dummy).  Returns es, ef, es_req (start required by
    logic and floors, before MSO/MFO pinning), drv (rank of the predecessor whose link set es, or -1)
    and mfin: the side on which a milestone's date is shown - the finish side when a finish drives it
    (a milestone after a task ending Monday 18:00 is at Monday 18:00), else the start side (a milestone
    at the project start or pinned by a constraint is at the next working instant).
    """
    n = dur.size
    es = np.empty(n, np.int64)
    ef = np.empty(n, np.int64)
    es_req = np.empty(n if has_fixed else 0, np.int64)
    drv = np.empty(n, np.int64)
    mfin = np.zeros(n, np.bool_)  # milestone shown on the finish side (driven by a finish)
    for v in range(n):
        md = 0
        if has_progress:
            md = mode[v]
            if md == 2:
                es[v] = as_w[v]
                ef[v] = af_w[v]
                if has_fixed:
                    es_req[v] = as_w[v]
                drv[v] = -1
                continue
        d = -1
        dp = 0
        dfin = False
        if md == 1:
            b = as_w[v]
        else:
            b = es_floor[v] if has_floor else floor0
            for p in range(pptr[v], pptr[v + 1]):
                u = psrc[p]
                t = ptyp[p]
                if general:
                    x = _fwd_bound(
                        cum, shs, she, shc, nsh, wdy, nwd, cal, mfin, es, ef, u, v, t, plag[p], pkind[p]
                    )
                elif t == FS or t == FF:
                    x = ef[u] + plag[p]
                else:
                    x = es[u] + plag[p]
                if t == FF or t == SF:
                    x -= dur[v]
                if x > b:
                    b = x
                    d = u
                    dp = p
                    dfin = t == FS or t == FF or mfin[u]
        if has_fixed:
            es_req[v] = b
            if md == 0 and fixed_es[v] != NONE:
                b = fixed_es[v]
                d = -1
        drv[v] = d
        if d >= 0 and dfin and dur[v] == 0:
            if general and (cal[d] != cal[v] or pkind[dp] != WORK):
                # across calendars the finish side of the milestone's working time may come before
                # the instant that drives it (a finish in the milestone calendar's non-working time)
                t = ptyp[dp]
                src_fin = t == FS or t == FF or mfin[d]
                a = w2abs(shs, shc, nsh, wdy, nwd, cal[d], ef[d] if t == FS or t == FF else es[d], src_fin)
                if pkind[dp] != WORK:
                    a += plag[dp]
                elif plag[dp] != 0:
                    a = -BIG  # a working lag already moved it into the milestone's own working time
                dfin = w2abs(shs, shc, nsh, wdy, nwd, cal[v], b, True) >= a
            mfin[v] = dfin
        es[v] = b
        if has_progress:
            s = b + done[v]
            if status_w[v] > s:
                s = status_w[v]
            ef[v] = s + rem[v]
        else:
            ef[v] = b + dur[v]
    return es, ef, es_req, drv, mfin


@njit(cache=True, nogil=True, error_model="numpy")
def backward(
    sptr,
    sdst,
    styp,
    slag,
    skind,
    cal,
    dur,
    mfin,
    es,
    ef,
    cap0,
    lf_cap,
    complete,
    cum,
    shs,
    she,
    shc,
    nsh,
    wdy,
    nwd,
    general,
    has_cap,
    has_progress,
):
    """Late dates and link free float in reverse rank order (complete tasks keep their actual dates)."""
    n = dur.size
    ls = np.empty(n, np.int64)
    lf = np.empty(n, np.int64)
    ffl = np.empty(n, np.int64)
    for u in range(n - 1, -1, -1):
        span = ef[u] - es[u]
        if has_progress and complete[u]:
            ls[u] = es[u]
            lf[u] = ef[u]
            ffl[u] = 0
            continue
        x = lf_cap[u] if has_cap else cap0
        f = BIG
        for p in range(sptr[u], sptr[u + 1]):
            v = sdst[p]
            if has_progress and complete[v]:
                continue
            t = styp[p]
            lag = slag[p]
            kd = skind[p]
            if general:
                b = _fwd_bound(cum, shs, she, shc, nsh, wdy, nwd, cal, mfin, es, ef, u, v, t, lag, kd)
                y = _bwd_bound(cum, shs, she, shc, nsh, wdy, nwd, cal, ls, lf, u, v, t, lag, kd)
            elif t == FS:
                b = ef[u] + lag
                y = ls[v] - lag
            elif t == SS:
                b = es[u] + lag
                y = ls[v] - lag
            elif t == FF:
                b = ef[u] + lag
                y = lf[v] - lag
            else:
                b = es[u] + lag
                y = lf[v] - lag
            if general and (kd != WORK or cal[u] != cal[v]):
                # across calendars: the slack in u's own working time (v's early date at its latest instant)
                e = _bwd_bound(cum, shs, she, shc, nsh, wdy, nwd, cal, es, ef, u, v, t, lag, kd)
                if t == FS or t == FF:
                    slack = e - ef[u]
                else:
                    slack = e - es[u]
            elif t == FS or t == SS:
                slack = es[v] - b
            else:
                slack = ef[v] - b
            if slack < f:
                f = slack
            if t == SS or t == SF:
                y += span
            if y < x:
                x = y
        lf[u] = x
        ls[u] = x - span
        ffl[u] = f
    return ls, lf, ffl


@njit(cache=True, nogil=True, error_model="numpy")
def finalize(
    cal,
    mfin,
    es_r,
    ef_r,
    ls_r,
    lf_r,
    ffl_r,
    complete,
    threshold,
    origin,
    cum,
    shs,
    she,
    shc,
    nsh,
    wdy,
    nwd,
    multi,
    has_progress,
):
    """Results in rank order (rank order keeps the calendar lookups local; the caller permutes back).

    In place: es_r, ef_r, ls_r, lf_r become project working time relative to ``origin`` and ffl_r the
    free float.  Returns total float (own calendar), critical flags and the elapsed-minute instants of
    the four dates.
    """
    n = es_r.size
    tf = np.empty(n, np.int64)
    crit = np.empty(n, np.bool_)
    a_es = np.empty(n, np.int64)
    a_ef = np.empty(n, np.int64)
    a_ls = np.empty(n, np.int64)
    a_lf = np.empty(n, np.int64)
    # project calendar rows, hoisted (2-D indexing inside the loop costs several times more)
    cum0 = cum[0]
    shs0 = shs[0]
    she0 = she[0]
    shc0 = shc[0]
    k0 = nsh[0]
    wdy0 = wdy[0]
    last0 = nwd[0]
    mpd0 = shc0[k0]
    for v in range(n):
        t = lf_r[v] - ef_r[v]
        tf[v] = t
        g = ffl_r[v]
        if t < g:
            g = t
        if g < 0:
            g = 0
        ffl_r[v] = g
        k = t <= threshold
        if has_progress and complete[v]:
            k = False
        crit[v] = k
        mil = mfin[v]
        c = cal[v] if multi else 0
        if c == 0:
            a_es[v] = w2abs_row(shs0, shc0, k0, wdy0, last0, mpd0, es_r[v], mil)
            a_ef[v] = w2abs_row(shs0, shc0, k0, wdy0, last0, mpd0, ef_r[v], True)
            a_ls[v] = w2abs_row(shs0, shc0, k0, wdy0, last0, mpd0, ls_r[v], mil)
            a_lf[v] = w2abs_row(shs0, shc0, k0, wdy0, last0, mpd0, lf_r[v], True)
            es_r[v] -= origin
            ef_r[v] -= origin
            ls_r[v] -= origin
            lf_r[v] -= origin
        else:
            a_es[v] = w2abs(shs, shc, nsh, wdy, nwd, c, es_r[v], mil)
            a_ef[v] = w2abs(shs, shc, nsh, wdy, nwd, c, ef_r[v], True)
            a_ls[v] = w2abs(shs, shc, nsh, wdy, nwd, c, ls_r[v], mil)
            a_lf[v] = w2abs(shs, shc, nsh, wdy, nwd, c, lf_r[v], True)
            es_r[v] = abs2w_row(cum0, shs0, she0, k0, a_es[v]) - origin
            ef_r[v] = abs2w_row(cum0, shs0, she0, k0, a_ef[v]) - origin
            ls_r[v] = abs2w_row(cum0, shs0, she0, k0, a_ls[v]) - origin
            lf_r[v] = abs2w_row(cum0, shs0, she0, k0, a_lf[v]) - origin
    return tf, crit, a_es, a_ef, a_ls, a_lf


@njit(cache=True, nogil=True, error_model="numpy")
def critical_chains(crit, drv, key):
    """Critical chains (rank space) along driving links, without repeating tasks.

    Chains end at critical tasks that drive no critical task, taken by decreasing ``key`` (early finish),
    and are followed back through driving predecessors while critical.  A chain that reaches a task of
    an earlier chain stops there, including it: it is a branch of that chain.
    Returns (flat ranks in chain order, offsets).
    """
    n = crit.size
    drives = np.zeros(n, np.bool_)
    ncrit = 0
    for v in range(n):
        if crit[v]:
            ncrit += 1
            if drv[v] >= 0 and crit[drv[v]]:
                drives[drv[v]] = True
    leaves = np.empty(n, np.int64)
    nl = 0
    for v in range(n):
        if crit[v] and not drives[v]:
            leaves[nl] = v
            nl += 1
    leaves = leaves[:nl]
    lk = np.empty(nl, np.int64)
    for i in range(nl):
        lk[i] = -key[leaves[i]]
    leaves = leaves[np.argsort(lk, kind="mergesort")]
    covered = np.zeros(n, np.bool_)
    out = np.empty(ncrit + nl, np.int64)
    offsets = np.zeros(nl + 1, np.int64)
    buf = np.empty(ncrit + 1, np.int64)
    pos = 0
    for i in range(nl):
        u = leaves[i]
        ln = 0
        while True:
            buf[ln] = u
            ln += 1
            if covered[u]:
                break
            covered[u] = True
            u = drv[u]
            if u < 0 or not crit[u]:
                break
        for j in range(ln):
            out[pos + j] = buf[ln - 1 - j]
        pos += ln
        offsets[i + 1] = pos
    return out[:pos], offsets
