/* Charter Gantt chart: a virtualised grid + SVG timeline over /projects/{id}/gantt.json.
   Drag a bar to move it (start-no-earlier-than at the dropped start), drag its right end to change its
   duration; the server recomputes and answers with the new schedule. No inline styles or scripts (CSP). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var ROW = 26, HEAD = 44, BUF = 12, DAY = 86400000, NS = "http://www.w3.org/2000/svg";
  var ZOOM = { day: 30, week: 9, month: 2.6, quarter: 0.95 };
  var COLS = [
    { key: "wbs", title: "WBS", w: 58 }, { key: "name", title: "Task", w: 230 },
    { key: "dur", title: "Dur.", w: 50 }, { key: "start", title: "Start", w: 84 },
    { key: "finish", title: "Finish", w: 84 }, { key: "tf", title: "Float", w: 50 }
  ];
  var GRID_W = COLS.reduce(function (a, c) { return a + c.w; }, 0);
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  window.ganttMetrics = window.ganttMetrics || { drags: [] };

  function parse(s) {
    if (!s) return null;
    return Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10), +(s.slice(11, 13) || 0), +(s.slice(14, 16) || 0));
  }
  function iso(ms) { return new Date(ms).toISOString().slice(0, 16); }
  function day(ms) { return ms == null ? "" : new Date(ms).toISOString().slice(0, 10); }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function codeCmp(a, b) {
    var x = a.split("."), y = b.split(".");
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      var d = (+x[i]) - (+y[i]);
      if (d) return d;
    }
    return x.length - y.length;
  }
  function svg(tag, attrs) {
    var el = document.createElementNS(NS, tag);
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    return el;
  }
  function weekdaysBetween(a, b) {  /* Mon-Fri days in [a, b) (b > a) */
    var n = 0;
    for (var t = a; t < b; t += DAY) { var w = new Date(t).getUTCDay(); if (w !== 0 && w !== 6) n++; }
    return n;
  }

  function Gantt(root) {
    this.root = root;
    this.project = root.getAttribute("data-project");
    this.baseline = root.getAttribute("data-baseline") || "";
    this.zoom = "week";
    this.collapsed = {};
    this.status = document.getElementById("gantt-status");
    this.csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
    var blob = root.querySelector("#gantt-data");
    var data = blob ? JSON.parse(blob.textContent) : null;
    this.build();
    if (data) this.load(data); else this.reload();
  }

  Gantt.prototype.build = function () {
    var r = this.root;
    r.textContent = "";
    this.scroller = document.createElement("div");
    this.scroller.className = "gantt-scroll";
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute("role", "region");
    this.scroller.setAttribute("aria-label", "Gantt chart");
    var head = document.createElement("div"); head.className = "gantt-head";
    var corner = document.createElement("div"); corner.className = "gantt-corner";
    this.gridHead = svg("svg", { width: GRID_W, height: HEAD, "class": "grid-head" });
    corner.appendChild(this.gridHead);
    this.timeHead = svg("svg", { height: HEAD, "class": "time-head", role: "img" });
    head.appendChild(corner); head.appendChild(this.timeHead);
    var body = document.createElement("div"); body.className = "gantt-body";
    var left = document.createElement("div"); left.className = "gantt-left";
    this.grid = svg("svg", { width: GRID_W, "class": "grid" });
    left.appendChild(this.grid);
    this.chart = svg("svg", { "class": "chart" });
    body.appendChild(left); body.appendChild(this.chart);
    this.scroller.appendChild(head); this.scroller.appendChild(body);
    r.appendChild(this.scroller);

    var defs = '<defs><marker id="g-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">' +
      '<path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker>';
    var x = 0, clips = "";
    COLS.forEach(function (c) { clips += '<clipPath id="g-clip-' + c.key + '"><rect x="' + x + '" y="0" width="' + (c.w - 6) + '" height="' + ROW + '"/></clipPath>'; c.x = x; x += c.w; });
    this.grid.innerHTML = "<defs>" + clips + '</defs><g class="grid-rows"></g>';
    this.chart.innerHTML = defs + '</defs><g class="bg"></g><g class="rows"></g><g class="links"></g><g class="bars"></g><line class="today" y1="0"/><line class="status-date" y1="0"/>';
    this.gridHead.innerHTML = COLS.map(function (c) {
      return '<text x="' + (c.x + 4) + '" y="' + (HEAD - 12) + '" class="colhead">' + c.title + "</text>";
    }).join("") + '<line x1="0" x2="' + GRID_W + '" y1="' + (HEAD - 0.5) + '" y2="' + (HEAD - 0.5) + '" class="sep"/>';
    this.gridRows = this.grid.querySelector(".grid-rows");
    this.bg = this.chart.querySelector(".bg");
    this.rowsG = this.chart.querySelector(".rows");
    this.linksG = this.chart.querySelector(".links");
    this.barsG = this.chart.querySelector(".bars");
    this.todayLine = this.chart.querySelector(".today");
    this.statusLine = this.chart.querySelector(".status-date");

    var self = this, pending = false;
    this.scroller.addEventListener("scroll", function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; self.renderRows(); self.drawScale(); });
    }, { passive: true });
    this.grid.addEventListener("click", function (e) {
      var t = e.target.closest("[data-toggle]");
      if (t) self.toggle(+t.getAttribute("data-toggle"));
    });
    this.grid.addEventListener("keydown", function (e) {
      var t = e.target.closest("[data-toggle]");
      if (t && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); self.toggle(+t.getAttribute("data-toggle"), true); }
    });
    this.chart.addEventListener("pointerdown", function (e) { self.dragStart(e); });
    this.chart.addEventListener("keydown", function (e) { self.keyMove(e); });
    document.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () { self.setZoom(b.getAttribute("data-zoom")); });
    });
    document.querySelectorAll("[data-action]").forEach(function (b) {
      b.addEventListener("click", function () { self.action(b.getAttribute("data-action")); });
    });
  };

  Gantt.prototype.load = function (data, m) {
    this.data = data;
    var items = [], byId = {}, wpParent = {};
    data.summaries.forEach(function (s) { wpParent[s.id] = s.parent_id; items.push({ kind: "s", code: s.wbs_code, o: s }); });
    data.tasks.forEach(function (t) {
      t.s = parse(t.start); t.f = parse(t.finish);
      if (t.baseline) { t.bs = parse(t.baseline.start); t.bf = parse(t.baseline.finish); }
      byId[t.id] = t;
      items.push({ kind: "t", code: t.wbs_code, o: t });
    });
    data.summaries.forEach(function (s) { s.s = parse(s.start); s.f = parse(s.finish); });
    items.sort(function (a, b) { return codeCmp(a.code, b.code) || (a.kind === "s" ? -1 : 1); });
    this.items = items; this.byId = byId; this.wpParent = wpParent;
    var lo = parse(data.start), hi = parse(data.finish) || lo;
    data.tasks.forEach(function (t) {
      if (t.s != null && t.s < lo) lo = t.s;
      if (t.f != null && t.f > hi) hi = t.f;
      if (t.bs != null && t.bs < lo) lo = t.bs;
      if (t.bf != null && t.bf > hi) hi = t.bf;
    });
    this.today = parse(data.today);
    this.statusDate = data.status_date ? parse(data.status_date) : null;
    var d0 = new Date(lo - 7 * DAY); d0.setUTCHours(0, 0, 0, 0);
    d0 = new Date(d0.getTime() - ((d0.getUTCDay() + 6) % 7) * DAY);
    this.t0 = d0.getTime();
    this.t1 = Math.max(hi, this.today || 0) + 21 * DAY;
    var fin = document.getElementById("project-finish");
    if (fin) fin.textContent = data.finish ? data.finish.slice(0, 16).replace("T", " ") : "—";
    if (m) m.merged = performance.now();
    this.layout(m);
  };

  // An edit's answer holds only what moved: the edited task's row ("tasks") and the computed fields of the
  // others ("changes", column-wise: a drag early in a chain moves thousands). Update them in place, roll the
  // summaries up again and redraw the visible rows; the rows' order and the time scale stay unless the
  // schedule outgrew the scale.
  Gantt.prototype.merge = function (data, m) {
    var byId = this.byId, need = -Infinity;
    data.tasks.forEach(function (n) {
      var t = byId[n.id];
      if (!t) return;
      Object.keys(n).forEach(function (k) { t[k] = n[k]; });
      t.s = parse(t.start); t.f = parse(t.finish);
      if (t.baseline) { t.bs = parse(t.baseline.start); t.bf = parse(t.baseline.finish); }
      if (t.f != null && t.f > need) need = t.f;
    });
    var c = data.changes;
    if (c) {
      for (var i = 0; i < c.id.length; i++) {
        var t = byId[c.id[i]];
        if (!t) continue;
        t.s = c.start[i] == null ? null : c.start[i] * 60000;
        t.f = c.finish[i] == null ? null : c.finish[i] * 60000;
        t.start = t.s == null ? null : iso(t.s); t.finish = t.f == null ? null : iso(t.f);
        t.total_float_days = c.tf[i]; t.free_float_days = c.ff[i];
        t.critical = c.critical[i]; t.violation = c.violation[i];
        if (t.f != null && t.f > need) need = t.f;
      }
    }
    var par = this.wpParent, sums = {};
    this.data.summaries.forEach(function (s) { s.s = null; s.f = null; s.critical = false; sums[s.id] = s; });
    this.data.tasks.forEach(function (t) {
      for (var wp = t.work_package_id; wp != null; wp = par[wp]) {
        var s = sums[wp];
        if (!s) break;
        if (t.s != null && (s.s == null || t.s < s.s)) s.s = t.s;
        if (t.f != null && (s.f == null || t.f > s.f)) s.f = t.f;
        if (t.critical) s.critical = true;
      }
    });
    ["finish", "plan_revision", "computed_at"].forEach(function (k) { this.data[k] = data[k]; }, this);
    var fin = document.getElementById("project-finish");
    if (fin) fin.textContent = data.finish ? data.finish.slice(0, 16).replace("T", " ") : "—";
    if (m) m.merged = performance.now();
    if (need + 7 * DAY > this.t1) {  /* the scale grows, with room for the next few drags */
      this.t1 = need + 60 * DAY;
      this.layout(m);
    } else {
      if (m) m.laid = performance.now();
      this.renderRows(true);
    }
  };

  Gantt.prototype.x = function (ms) { return (ms - this.t0) / DAY * this.ppd; };

  Gantt.prototype.visibleItems = function () {
    var out = [], col = this.collapsed, par = this.wpParent;
    function hidden(wp) {
      while (wp != null) { if (col[wp]) return true; wp = par[wp]; }
      return false;
    }
    this.items.forEach(function (it) {
      var up = it.kind === "s" ? it.o.parent_id : it.o.work_package_id;
      if (!hidden(up)) out.push(it);
    });
    return out;
  };

  Gantt.prototype.layout = function (m, left) {
    this.ppd = ZOOM[this.zoom];
    this.rows = this.visibleItems();
    this.index = {};
    for (var i = 0; i < this.rows.length; i++) if (this.rows[i].kind === "t") this.index[this.rows[i].o.id] = i;
    var w = Math.ceil(this.x(this.t1)), h = Math.max(this.rows.length * ROW, ROW);
    this.width = w; this.height = h;
    this.chart.setAttribute("width", w); this.chart.setAttribute("height", h);
    this.grid.setAttribute("height", h);
    this.timeHead.setAttribute("width", w);
    if (left != null) this.scroller.scrollLeft = Math.max(0, left);
    this.drawScale(true);
    if (this.today != null) {
      var tx = this.x(this.today);
      this.todayLine.setAttribute("x1", tx); this.todayLine.setAttribute("x2", tx); this.todayLine.setAttribute("y2", h);
    }
    // the status date (remaining work is scheduled from it): a line of its own, hidden when none is set
    var sx = this.statusDate != null ? this.x(this.statusDate) : -1;
    this.statusLine.setAttribute("x1", sx); this.statusLine.setAttribute("x2", sx);
    this.statusLine.setAttribute("y2", this.statusDate != null ? h : 0);
    this.first = -1;
    if (m) m.laid = performance.now();
    this.renderRows(true);
  };

  /* The unit's boundaries from the one at or before `from` to the last before `to` (both clamped to the
     project's drawn span). */
  Gantt.prototype.ticks = function (unit, from, to) {
    var a = Math.max(this.t0, from == null ? this.t0 : from), b = Math.min(this.t1, to == null ? this.t1 : to);
    var out = [], d = new Date(a);
    if (unit === "day") d = new Date(a - ((a - this.t0) % DAY));
    else if (unit === "week") d = new Date(a - ((a - this.t0) % (7 * DAY)));  /* t0 is a Monday */
    else if (unit === "month") d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    else if (unit === "quarter") d = new Date(Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1));
    else if (unit === "year") d = new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
    while (d.getTime() < b) {
      out.push(d.getTime());
      if (unit === "day") d = new Date(d.getTime() + DAY);
      else if (unit === "week") d = new Date(d.getTime() + 7 * DAY);
      else if (unit === "month") d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
      else if (unit === "quarter") d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 3, 1));
      else d = new Date(Date.UTC(d.getUTCFullYear() + 1, 0, 1));
    }
    return out;
  };

  function label(unit, ms) {
    var d = new Date(ms);
    if (unit === "day") return "MTWTFSS".charAt((d.getUTCDay() + 6) % 7) + d.getUTCDate();
    if (unit === "week") return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()];
    if (unit === "month") return MONTHS[d.getUTCMonth()];
    if (unit === "quarter") return "Q" + (Math.floor(d.getUTCMonth() / 3) + 1) + " " + d.getUTCFullYear();
    return String(d.getUTCFullYear());
  }

  /* The chart's horizontal extent in view (chart pixels; the grid on the left is sticky). */
  Gantt.prototype.viewX = function () {
    var sl = this.scroller.scrollLeft, vw = (this.scroller.clientWidth || 1200) - GRID_W;
    return [sl, sl + Math.max(vw, 200)];
  };

  /* The time scale (header ticks and labels, the background's month lines and weekends) is drawn for the
     part of the chart in view plus a viewport's width either side, and drawn again when a scroll or a zoom
     leaves that: a long project at the Day zoom has thousands of days. `force`: draw whatever is in view. */
  Gantt.prototype.drawScale = function (force) {
    if (!this.width) return;
    var v = this.viewX(), span = v[1] - v[0];
    if (!force && this.scaleTo != null) {
      var keep = span / 2;  /* redraw before the edge of what is drawn comes into view */
      var okLeft = this.scaleFrom <= 0 || v[0] - keep >= this.scaleFrom;
      var okRight = this.scaleTo >= this.width || v[1] + keep <= this.scaleTo;
      if (okLeft && okRight) { this.pinLabel(); return; }
    }
    var from = Math.max(0, v[0] - span), to = Math.min(this.width, v[1] + span);
    this.scaleFrom = from; this.scaleTo = to;
    var ta = this.t0 + from / this.ppd * DAY, tb = this.t0 + to / this.ppd * DAY;
    var tiers = { day: ["month", "day"], week: ["month", "week"], month: ["year", "month"], quarter: ["year", "quarter"] }[this.zoom];
    var self = this, top = "", bottom = "", bg = "", h = this.height;
    var major = this.ticks(tiers[0], ta, tb);
    this.majors = [];
    major.forEach(function (t, i) {
      var x = Math.max(0, self.x(t));
      if (x === 0 && i + 1 < major.length && self.x(major[i + 1]) < 90) return;
      self.majors.push(x);
      top += '<line x1="' + x + '" x2="' + x + '" y1="0" y2="' + HEAD / 2 + '" class="tick"/><text x="' + (x + 4) + '" y="15" class="tier1">' +
        (tiers[0] === "month" ? MONTHS[new Date(t).getUTCMonth()] + " " + new Date(t).getUTCFullYear() : label(tiers[0], t)) + "</text>";
      bg += '<line x1="' + x + '" x2="' + x + '" y1="0" y2="' + h + '" class="major"/>';
    });
    var minor = this.ticks(tiers[1], ta, tb);
    var labelled = self.ppd * (tiers[1] === "day" ? 1 : tiers[1] === "week" ? 7 : tiers[1] === "month" ? 30 : 91) > 22;
    minor.forEach(function (t) {
      var x = self.x(t);
      bottom += '<line x1="' + x + '" x2="' + x + '" y1="' + HEAD / 2 + '" y2="' + HEAD + '" class="tick"/>';
      if (labelled)
        bottom += '<text x="' + (x + 3) + '" y="' + (HEAD - 8) + '" class="tier2" data-date="' + day(t) + '">' + label(tiers[1], t) + "</text>";
    });
    if (this.zoom === "day" || this.zoom === "week") {
      this.ticks("day", ta - DAY, tb).forEach(function (t) {
        var w = new Date(t).getUTCDay();
        if (w === 6) bg += '<rect x="' + self.x(t) + '" y="0" width="' + 2 * self.ppd + '" height="' + h + '" class="weekend"/>';
      });
    }
    this.timeHead.innerHTML = top + bottom + '<line x1="0" x2="' + this.width + '" y1="' + (HEAD / 2) + '" y2="' + (HEAD / 2) + '" class="sep"/>' +
      '<line x1="0" x2="' + this.width + '" y1="' + (HEAD - 0.5) + '" y2="' + (HEAD - 0.5) + '" class="sep"/>';
    this.bg.innerHTML = bg;
    this.tier1 = this.timeHead.querySelectorAll("text.tier1");
    this.pinLabel();
  };

  /* Keep the upper tier's label of the period at the left edge of the view in view (it starts off-screen
     when the period began earlier), and name the dates in view for assistive technology. */
  Gantt.prototype.pinLabel = function () {
    var v = this.viewX(), xs = this.majors || [], labels = this.tier1 || [];
    for (var i = 0; i < xs.length; i++) {
      var x = xs[i] + 4;
      if (xs[i] < v[0]) x = Math.min(v[0] + 4, i + 1 < xs.length ? xs[i + 1] - 90 : Infinity);
      if (labels[i]) labels[i].setAttribute("x", Math.max(xs[i] + 4, x));
    }
    var a = this.t0 + v[0] / this.ppd * DAY, b = Math.min(this.t1, this.t0 + v[1] / this.ppd * DAY);
    this.timeHead.setAttribute("aria-label", "Time scale, " + day(a) + " to " + day(b));
  };

  Gantt.prototype.renderRows = function (force) {
    if (!this.rows || this.drag) return;
    var top = this.scroller.scrollTop, view = this.scroller.clientHeight || 600;
    var first = Math.max(0, Math.floor(top / ROW) - BUF);
    var last = Math.min(this.rows.length - 1, Math.ceil((top + view) / ROW) + BUF);
    if (!force && first === this.first && last === this.last) return;
    this.first = first; this.last = last;
    var pid = this.project, grid = "", stripes = "", bars = "", self = this;
    for (var i = first; i <= last; i++) {
      var it = this.rows[i], o = it.o, y = i * ROW, depth = it.code.split(".").length - 1;
      var cls = (it.kind === "s" ? "gsum" : "gtask") + (o.critical ? " critical" : "");
      stripes += '<rect x="0" y="' + y + '" width="' + this.width + '" height="' + ROW + '" class="stripe' + (i % 2 ? " odd" : "") + '"/>';
      var name;
      if (it.kind === "s") {
        var open = !this.collapsed[o.id];
        name = '<g data-toggle="' + o.id + '" role="button" tabindex="0" aria-expanded="' + open + '" aria-label="' + (open ? "Collapse " : "Expand ") + esc(o.name) + '" class="toggle">' +
          '<text x="' + (COLS[1].x + 4 + depth * 12) + '" y="17" clip-path="url(#g-clip-name)" class="wp-name">' + (open ? "▾ " : "▸ ") + esc(o.name) + "</text></g>";
      } else {
        name = '<a href="/projects/' + pid + "/tasks/" + o.id + '"><text x="' + (COLS[1].x + 16 + depth * 12) + '" y="17" clip-path="url(#g-clip-name)" class="task-name">' + esc(o.name) + "</text></a>";
      }
      grid += '<g transform="translate(0,' + y + ')" class="grow ' + cls + '" data-id="' + o.id + '">' +
        '<rect x="0" y="0" width="' + GRID_W + '" height="' + ROW + '" class="stripe' + (i % 2 ? " odd" : "") + '"/>' +
        '<text x="4" y="17" clip-path="url(#g-clip-wbs)">' + esc(o.wbs_code) + "</text>" + name +
        (it.kind === "t" ? '<text x="' + (COLS[2].x + 4) + '" y="17">' + esc(o.duration) + "</text>" : "") +
        '<text x="' + (COLS[3].x + 4) + '" y="17">' + day(o.s) + '</text><text x="' + (COLS[4].x + 4) + '" y="17">' + day(o.f) + "</text>" +
        (it.kind === "t" ? '<text x="' + (COLS[5].x + 4) + '" y="17" class="' + (o.total_float_days < 0 ? "neg" : "") + '">' + o.total_float_days + (o.float_unit || "d") + "</text>" : "") +
        "</g>";
      bars += this.barSvg(it, y);
    }
    this.gridRows.innerHTML = grid;
    this.rowsG.innerHTML = stripes;
    this.barsG.innerHTML = bars;
    this.renderLinks(first, last);
    if (this.focusId != null) {
      var f = this.barsG.querySelector('g.task[data-id="' + this.focusId + '"]');
      if (f) f.focus();
      this.focusId = null;
    }
  };

  Gantt.prototype.barSvg = function (it, y) {
    var o = it.o;
    if (o.s == null || o.f == null) return "";
    var x1 = this.x(o.s), x2 = this.x(o.f), title = "<title>" + esc(o.name) + ": " + day(o.s) + " – " + day(o.f) + "</title>";
    if (it.kind === "s") {
      var w = Math.max(2, x2 - x1);
      return '<g class="summary' + (o.critical ? " critical" : "") + '" data-wp="' + o.id + '">' + title +
        '<rect class="sbar" x="' + x1 + '" y="' + (y + 8) + '" width="' + w + '" height="6"/>' +
        '<path class="scap" d="M' + x1 + "," + (y + 8) + " l5,0 -5,9 z M" + (x1 + w) + "," + (y + 8) + ' l-5,0 5,9 z"/></g>';
    }
    var base = "";
    if (o.bs != null && o.bf != null) {
      var bx = this.x(o.bs), bw = Math.max(2, this.x(o.bf) - bx);
      base = '<rect class="baseline" x="' + bx + '" y="' + (y + 18) + '" width="' + bw + '" height="4"/>';
    }
    var crit = o.critical ? " critical" : "", ed = o.editable ? " editable" : "";
    var attrs = ' data-id="' + o.id + '"' + (o.editable ? ' tabindex="0" role="img" aria-label="' + esc(o.name) + ", " + day(o.s) + " to " + day(o.f) + (o.critical ? ", critical" : "") + '. Arrow keys move it by a day, Shift+arrows change the duration."' : "");
    if (o.milestone) {
      var cy = y + ROW / 2 - 2;
      return base + '<g class="task milestone' + crit + ed + '"' + attrs + ">" + title +
        '<path class="bar diamond' + crit + '" d="M' + x1 + "," + (cy - 7) + " l7,7 -7,7 -7,-7 z\"/>" +
        '<text class="mlabel" x="' + (x1 + 10) + '" y="' + (cy + 4) + '">' + day(o.s) + "</text></g>";
    }
    var bw2 = Math.max(3, x2 - x1), pc = Math.max(0, Math.min(100, o.percent_complete || 0));
    return base + '<g class="task' + crit + ed + '"' + attrs + ">" + title +
      '<rect class="bar' + crit + '" x="' + x1 + '" y="' + (y + 5) + '" width="' + bw2 + '" height="12" rx="2"/>' +
      (pc ? '<rect class="progress" x="' + x1 + '" y="' + (y + 9) + '" width="' + (bw2 * pc / 100) + '" height="4"/>' : "") +
      (o.editable ? '<rect class="handle" x="' + (x1 + bw2 - 4) + '" y="' + (y + 3) + '" width="8" height="16"/>' : "") + "</g>";
  };

  Gantt.prototype.renderLinks = function (first, last) {
    var out = "", idx = this.index, byId = this.byId, self = this;
    this.data.links.forEach(function (l) {
      var ia = idx[l.pred_id], ib = idx[l.succ_id];
      if (ia == null || ib == null) return;
      if (Math.max(ia, ib) < first || Math.min(ia, ib) > last) return;
      var a = byId[l.pred_id], b = byId[l.succ_id];
      if (a.s == null || b.s == null) return;
      var fromEnd = l.type === "FS" || l.type === "FF", toStart = l.type === "FS" || l.type === "SS";
      var sx = self.x(fromEnd ? a.f : a.s) + (a.milestone ? (fromEnd ? 7 : -7) : 0), sy = ia * ROW + ROW / 2 - 2;
      var tx = self.x(toStart ? b.s : b.f) + (b.milestone ? (toStart ? -7 : 7) : 0), ty = ib * ROW + ROW / 2 - 2;
      var ds = fromEnd ? 1 : -1, dt = toStart ? 1 : -1;
      var p1 = sx + ds * 8, pa = tx - dt * 8, d;
      if (ib !== ia && ((dt === 1 && p1 <= tx - 4) || (dt === -1 && p1 >= tx + 4))) {
        d = "M" + sx + "," + sy + " H" + p1 + " V" + ty + " H" + tx;
      } else {
        var ym = ty + (ib > ia ? -ROW / 2 : ROW / 2);
        d = "M" + sx + "," + sy + " H" + p1 + " V" + ym + " H" + pa + " V" + ty + " H" + tx;
      }
      var crit = a.critical && b.critical ? " critical" : "";
      out += '<path class="link' + crit + '" d="' + d + '" marker-end="url(#g-arrow)" data-link="' + l.id + '"/>';
    });
    this.linksG.innerHTML = out;
  };

  Gantt.prototype.toggle = function (wp, keepFocus) {
    this.collapsed[wp] = !this.collapsed[wp];
    this.layout();
    if (keepFocus) {
      var t = this.grid.querySelector('[data-toggle="' + wp + '"]');
      if (t) t.focus();
    }
  };

  Gantt.prototype.setZoom = function (z) {
    if (!ZOOM[z]) return;
    var mid = (this.scroller.scrollLeft + this.scroller.clientWidth / 2 - GRID_W) / this.ppd;
    this.zoom = z;
    document.querySelectorAll("[data-zoom]").forEach(function (b) { b.setAttribute("aria-pressed", b.getAttribute("data-zoom") === z ? "true" : "false"); });
    this.layout(null, mid * ZOOM[z] - this.scroller.clientWidth / 2 + GRID_W);
  };

  Gantt.prototype.action = function (a) {
    var self = this;
    if (a === "collapse-all") { this.data.summaries.forEach(function (s) { self.collapsed[s.id] = true; }); this.layout(); }
    if (a === "expand-all") { this.collapsed = {}; this.layout(); }
    if (a === "today" && this.today != null) this.scroller.scrollLeft = Math.max(0, this.x(this.today) - 100);
  };

  Gantt.prototype.say = function (msg, bad) {
    if (!this.status) return;
    this.status.textContent = msg;
    this.status.classList.toggle("error", !!bad);
  };

  Gantt.prototype.url = function (suffix) {
    return "/projects/" + this.project + suffix + (this.baseline ? "?baseline=" + encodeURIComponent(this.baseline) : "");
  };

  Gantt.prototype.reload = function () {
    var self = this;
    return fetch(this.url("/gantt.json"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { self.load(data); });
  };

  Gantt.prototype.dragStart = function (e) {
    var g = e.target.closest("g.task.editable");
    if (!g || e.button !== 0) return;
    var t = this.byId[g.getAttribute("data-id")];
    if (!t || t.s == null) return;
    e.preventDefault();
    var mode = e.target.classList.contains("handle") && !t.milestone ? "resize" : "move";
    var rect = g.querySelector(".bar"), handle = g.querySelector(".handle");
    this.drag = { g: g, t: t, mode: mode, x0: e.clientX, dx: 0, rect: rect, handle: handle,
      w0: rect && rect.getAttribute("width") ? +rect.getAttribute("width") : 0,
      hx0: handle ? +handle.getAttribute("x") : 0 };
    g.classList.add("dragging");
    this.chart.setPointerCapture(e.pointerId);
    var self = this;
    var move = function (ev) { self.dragMove(ev); };
    var up = function (ev) {
      self.chart.removeEventListener("pointermove", move);
      self.chart.removeEventListener("pointerup", up);
      self.chart.removeEventListener("pointercancel", up);
      self.dragEnd(ev);
    };
    this.chart.addEventListener("pointermove", move);
    this.chart.addEventListener("pointerup", up);
    this.chart.addEventListener("pointercancel", up);
  };

  Gantt.prototype.dragMove = function (e) {
    var d = this.drag;
    if (!d) return;
    d.dx = e.clientX - d.x0;
    var days = Math.round(d.dx / this.ppd);
    if (d.mode === "move") {
      d.g.setAttribute("transform", "translate(" + d.dx + ",0)");
      this.say("Start: " + day(d.t.s + days * DAY));
    } else {
      var w = Math.max(3, d.w0 + d.dx);
      d.rect.setAttribute("width", w);
      if (d.handle) d.handle.setAttribute("x", d.hx0 + (w - d.w0));
      this.say("Finish: " + day(d.t.f + days * DAY));
    }
  };

  Gantt.prototype.dragEnd = function (e) {
    var d = this.drag;
    this.drag = null;
    if (!d) return;
    d.g.classList.remove("dragging");
    var days = Math.round(d.dx / this.ppd);
    if (!days) { this.renderRows(true); this.say(""); return; }
    window.ganttMetrics.lastUp = performance.now();
    this.change(d.t, d.mode, days);
  };

  Gantt.prototype.keyMove = function (e) {
    var g = e.target.closest && e.target.closest("g.task.editable");
    if (!g || (e.key !== "ArrowLeft" && e.key !== "ArrowRight")) return;
    e.preventDefault();
    var t = this.byId[g.getAttribute("data-id")];
    this.focusId = t.id;
    this.change(t, e.shiftKey && !t.milestone ? "resize" : "move", e.key === "ArrowRight" ? 1 : -1);
  };

  Gantt.prototype.change = function (t, mode, days) {
    var body = { version: t.version };
    if (this.data.plan_revision != null) body.revision = this.data.plan_revision;  /* answered with what moved since */
    if (mode === "move") {
      body.start = iso(t.s + days * DAY);
    } else {
      var f0 = Date.UTC(new Date(t.f).getUTCFullYear(), new Date(t.f).getUTCMonth(), new Date(t.f).getUTCDate());
      var f1 = f0 + days * DAY;
      var delta = days > 0 ? weekdaysBetween(f0 + DAY, f1 + DAY) : -weekdaysBetween(f1 + DAY, f0 + DAY);
      if (t.float_unit === "ed") {  /* an elapsed (24x7) duration stays elapsed: calendar days */
        body.duration = Math.max(0, Math.round((t.duration_minutes / 1440 + days) * 100) / 100) + "ed";
      } else {
        var mpd = this.data.minutes_per_day || 480;
        var dur = Math.max(0, Math.round((t.duration_minutes / mpd + delta) * 100) / 100);
        body.duration = dur + "d";
      }
    }
    var self = this, started = window.ganttMetrics.lastUp || performance.now();
    var m = { up: started };  /* where the drag's time goes: window.ganttMetrics.breakdowns (benchmarks/gantt.py) */
    performance.mark("gantt-save", { startTime: started });
    this.say("Saving…");
    return fetch(this.url("/gantt/tasks/" + t.id), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": this.csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      m.headers = performance.now(); m.server = r.headers.get("Server-Timing") || "";
      return r.text().then(function (text) {
        m.body = performance.now(); m.bytes = text.length;
        var data = JSON.parse(text);
        m.parsed = performance.now();
        return { status: r.status, data: data };
      });
    }).then(function (res) {
      if (res.status === 200) {
        if (res.data.delta || res.data.partial) self.merge(res.data, m); else self.load(res.data, m);
        m.rendered = performance.now();
        requestAnimationFrame(function () {
          var now = performance.now();
          window.ganttMetrics.drags.push(now - started);
          window.ganttMetrics.breakdowns = window.ganttMetrics.breakdowns || [];
          window.ganttMetrics.breakdowns.push({
            total: now - started, request: m.headers - m.up, server: m.server, download: m.body - m.headers,
            bytes: m.bytes, moved: (res.data.changes ? res.data.changes.id.length : 0) + res.data.tasks.length, parse: m.parsed - m.body, merge: m.merged - m.parsed, layout: m.laid - m.merged,
            render: m.rendered - m.laid, frame: now - m.rendered
          });
          performance.measure("gantt-drag", "gantt-save");
          self.root.setAttribute("data-revision", res.data.plan_revision);
        });
        self.say((mode === "move" ? "Moved " : "Changed the duration of ") + t.name + "; the schedule was recalculated" +
          (res.data.refreshed ? ", and the chart now shows the changes others made meanwhile." : "."));
      } else if (res.status === 409) {
        self.say("Someone else changed “" + t.name + "” meanwhile; the chart was reloaded with their version. " + (res.data.message || ""), true);
        self.reload();
      } else if (res.status === 403) {
        self.say(res.data.message || "You may not edit this task.", true);
        self.renderRows(true);
      } else {
        self.say(res.data.message || "The change was refused.", true);
        self.renderRows(true);
      }
    }).catch(function () {
      self.say("The server could not be reached; nothing was changed.", true);
      self.renderRows(true);
    });
  };

  function init() {
    var root = document.getElementById("gantt");
    if (root && !root.ganttInstance) {
      root.ganttInstance = new Gantt(root);
      requestAnimationFrame(function () { requestAnimationFrame(function () {
        window.ganttMetrics.firstPaint = performance.now();
        root.setAttribute("data-ready", "1");
      }); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
  document.addEventListener("htmx:afterSettle", init);
})();
