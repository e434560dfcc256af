// meshcache console: polls /api/cluster once a second and draws it. Every
// value from the server is written with textContent, never as markup:
// addresses, node IDs and event texts are data.
"use strict";

const POLL_MS = 1000;
const HISTORY_MS = 5 * 60 * 1000; // charts keep the last five minutes
const SLOTS = 16384, GRID = 128;  // the slot map: 128 x 128 cells
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2",
  "#ff9da7", "#9c755f", "#e15759", "#86bc86", "#d4a6c8", "#79706e"];

let token = sessionStorage.getItem("meshcache-token") || "";
const history = new Map(); // node id -> [{t, ops, mem, p99, evictedRate}]
const lastEvicted = new Map(); // node id -> {t, n}
let view = null;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function headers(extra) {
  const h = Object.assign({}, extra);
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}

function bytes(n) {
  if (!n) return "0B";
  const u = ["B", "K", "M", "G", "T"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(2) : n.toFixed(0)) + u[i];
}

function micros(us) {
  if (!us) return "-";
  return us < 1000 ? us.toFixed(0) + "µs" : (us / 1000).toFixed(1) + "ms";
}

function short(id) { return id ? id.slice(0, 8) : "?"; }
function colour(i) { return i < 0 ? "#999" : PALETTE[i % PALETTE.length]; }

function showError(msg) {
  const e = $("error");
  e.hidden = !msg;
  e.textContent = msg || "";
}

async function poll() {
  try {
    const r = await fetch("/api/cluster", { headers: headers(), cache: "no-store" });
    if (r.status === 401) {
      $("login").hidden = false;
      showError("This node needs its admin token: sign in below.");
    } else if (!r.ok) {
      showError("The node answered " + r.status + ": " + (await r.text()));
    } else {
      $("login").hidden = true;
      showError("");
      view = await r.json();
      render(view);
    }
    await pollAction();
  } catch (err) {
    showError("The node does not answer: " + err.message);
    $("health").textContent = "node unreachable";
    $("health").className = "badge bad";
  }
  setTimeout(poll, POLL_MS);
}

function render(v) {
  const t = v.totals;
  const health = $("health");
  const gone = v.members.filter((m) => !m.alive && m.state === "draining").length; // drained and left
  const failed = v.members.filter((m) => !m.alive && m.state !== "draining").length;
  const unreached = v.members.filter((m) => m.alive && !m.reachable).length;
  const ok = v.healthy && failed === 0 && unreached === 0;
  health.textContent = !v.healthy ? "no majority" : ok ? "healthy" :
    [failed && failed + " failed", unreached && unreached + " unreachable"].filter(Boolean).join(", ");
  health.className = "badge " + (!v.healthy ? "bad" : ok ? "ok" : "warn");
  $("summary").textContent = (v.members.length - gone) + " nodes · epoch " + v.epoch + " · " + v.slots_assigned + "/" + v.slot_count +
    " slots · " + t.keys + " keys · " + bytes(t.used_memory) + " · " + Math.round(t.ops_per_sec) + " ops/s · " + t.connected_clients + " clients";
  $("updated").textContent = "via " + short(v.node) + " · " + new Date(v.at).toLocaleTimeString();
  record(v);
  renderMembers(v);
  renderSlots(v);
  renderCharts(v);
  renderEvents(v);
}

function record(v) {
  const now = Date.parse(v.at);
  for (const m of v.members) {
    if (!m.report) continue;
    const r = m.report;
    let rate = 0;
    const prev = lastEvicted.get(m.id);
    if (prev && now > prev.t && r.evicted_keys >= prev.n) rate = (r.evicted_keys - prev.n) * 1000 / (now - prev.t);
    lastEvicted.set(m.id, { t: now, n: r.evicted_keys });
    const h = history.get(m.id) || [];
    h.push({ t: now, ops: r.ops_per_sec, mem: r.used_memory, p99: r.latency_p99_us, evi: rate });
    while (h.length && h[0].t < now - HISTORY_MS) h.shift();
    history.set(m.id, h);
  }
}

function bar(value, max, label, hot) {
  const pct = max > 0 ? Math.min(100, 100 * value / max) : 0;
  const i = el("i", { class: hot ? "hot" : "" });
  i.style.width = pct.toFixed(1) + "%";
  return el("div", { class: "bar", title: label }, i, el("span", {}, label));
}

function renderMembers(v) {
  const body = $("members").tBodies[0];
  const maxOps = Math.max(1, ...v.members.map((m) => (m.report ? m.report.ops_per_sec : 0)));
  const maxMem = Math.max(1, ...v.members.map((m) => (m.report ? m.report.used_memory : 0)));
  const rows = v.members.map((m, i) => {
    const failed = !m.alive || !m.reachable;
    const left = !m.alive && m.state === "draining"; // drained, then left the gossip
    const label = left ? "left" : !m.alive ? "failed" : !m.reachable ? "unreachable" : m.state;
    const tr = el("tr", { class: (left ? "left " : failed ? "failed " : "") + (m.self ? "self" : ""), "data-node": m.id,
      "data-state": left ? "left" : !m.alive ? "failed" : !m.reachable ? "unreachable" : m.state });
    const sw = el("span", { class: "swatch" });
    sw.style.background = colour(i);
    const state = el("span", { class: "badge " + (left ? "gone" : failed ? "bad" : m.state === "serving" ? "ok" : "warn") }, label);
    tr.append(el("td", { title: m.id }, sw, short(m.id) + (m.self ? " (this node)" : "")),
      el("td", {}, m.client_addr), el("td", {}, state),
      el("td", { class: "n" }, m.slots_led + " / " + m.slots_replicated));
    const r = m.report;
    if (!r) {
      const why = left ? "drained and left the cluster" : m.error || "no report";
      tr.append(el("td", { colSpan: 9, class: "muted err", title: why }, why));
    } else {
      const memLabel = bytes(r.used_memory) + (r.maxmemory ? " / " + bytes(r.maxmemory) : "");
      const memFull = r.maxmemory ? r.used_memory / r.maxmemory : r.used_memory / maxMem;
      tr.append(el("td", { class: "n" }, r.keys),
        el("td", {}, bar(memFull, 1, memLabel, r.maxmemory && memFull > 0.9)),
        el("td", {}, bar(r.ops_per_sec, maxOps, Math.round(r.ops_per_sec))),
        el("td", { class: "n" }, r.connected_clients),
        el("td", { class: "n" }, r.keyspace_hits + r.keyspace_misses ? (100 * r.hit_ratio).toFixed(1) : "-"),
        el("td", { class: "n" }, micros(r.latency_p50_us) + " / " + micros(r.latency_p99_us)),
        el("td", { class: "n" }, r.repl_lag_entries),
        el("td", { class: "n" }, r.degraded_slots),
        el("td", {}, r.transfers_running || r.replica_slots_syncing
          ? r.transfers_running + " transfers " + bytes(r.transfer_bytes_per_sec) + "/s, " + r.replica_slots_syncing + " syncing"
          : "idle"));
    }
    const drain = el("button", { type: "button", disabled: failed || m.self || m.state === "draining",
      title: m.self ? "drain this node from another node's console" : "hand off its slots and remove it (CLUSTER LEAVE)" }, "Drain");
    drain.dataset.action = "drain";
    drain.onclick = () => startAction({ action: "drain", node: m.id }, "Drain and remove node " + short(m.id) + "?");
    const fo = el("button", { type: "button", disabled: failed || m.slots_replicated === 0,
      title: "make it the primary of the slots it replicates (CLUSTER FAILOVER)" }, "Failover");
    fo.dataset.action = "failover";
    fo.onclick = () => startAction({ action: "failover", node: m.id }, "Move the slots node " + short(m.id) + " replicates to it?");
    tr.append(el("td", {}, drain, " ", fo));
    return tr;
  });
  body.replaceChildren(...rows);
}

function renderSlots(v) {
  const c = $("slotmap");
  const g = c.getContext("2d");
  const cell = c.width / GRID;
  g.fillStyle = "#e6e9ee";
  g.fillRect(0, 0, c.width, c.height);
  let drawn = 0, moving = 0;
  for (const r of v.slots) {
    g.fillStyle = colour(r.primary);
    for (let s = r.start; s <= r.end; s++) {
      g.fillRect((s % GRID) * cell, Math.floor(s / GRID) * cell, cell, cell);
    }
    drawn += r.end - r.start + 1;
  }
  g.fillStyle = "#000";
  for (const r of v.slots) {
    if (r.state === "stable") continue;
    for (let s = r.start; s <= r.end; s++) { // moving slots: a dark dot in the cell
      g.fillRect((s % GRID) * cell + cell / 4, Math.floor(s / GRID) * cell + cell / 4, cell / 2, cell / 2);
      moving++;
    }
  }
  c.dataset.drawn = drawn;
  c.dataset.moving = moving;
  $("slotinfo").textContent = drawn + " of " + SLOTS + " slots assigned, " + moving + " moving (dotted)";
  const legend = v.members.map((m, i) => {
    const sw = el("span", { class: "swatch" });
    sw.style.background = colour(i);
    return el("span", {}, sw, short(m.id) + " " + m.slots_led);
  });
  $("legend").replaceChildren(...legend);
}

function renderCharts(v) {
  chart($("c-ops"), v, (p) => p.ops, (x) => Math.round(x) + "");
  chart($("c-mem"), v, (p) => p.mem, bytes);
  chart($("c-lat"), v, (p) => p.p99, micros);
  chart($("c-evi"), v, (p) => p.evi, (x) => x.toFixed(1));
}

// chart draws one line per node of f over the last HISTORY_MS.
function chart(c, v, f, fmt) {
  const g = c.getContext("2d");
  const w = c.width, h = c.height, top = 14;
  g.clearRect(0, 0, w, h);
  const now = Date.parse(v.at);
  let max = 0, oldest = now;
  for (const m of v.members) {
    for (const p of history.get(m.id) || []) { max = Math.max(max, f(p)); oldest = Math.min(oldest, p.t); }
  }
  // The x axis spans the history kept: a minute at first, growing to HISTORY_MS.
  const span = Math.min(HISTORY_MS, Math.max(60 * 1000, now - oldest));
  const scale = max > 0 ? max * 1.1 : 1;
  g.strokeStyle = "#eef1f5";
  g.beginPath();
  for (let k = 1; k < 4; k++) { g.moveTo(0, top + (h - top) * k / 4); g.lineTo(w, top + (h - top) * k / 4); }
  g.stroke();
  v.members.forEach((m, i) => {
    const pts = history.get(m.id) || [];
    g.strokeStyle = colour(i);
    g.lineWidth = 1.5;
    g.beginPath();
    pts.forEach((p, k) => {
      const x = w - (now - p.t) * w / span;
      const y = h - (h - top) * f(p) / scale;
      if (k) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
  });
  g.fillStyle = "#687083";
  g.font = "11px system-ui, sans-serif";
  g.fillText("max " + fmt(max) + " · last " + Math.round(span / 60000) + " min", 4, 11);
}

function renderEvents(v) {
  const items = v.events.slice().reverse().slice(0, 100).map((e) =>
    el("li", { "data-kind": e.kind },
      el("time", { dateTime: e.at }, new Date(e.at).toLocaleTimeString()),
      el("span", { class: "kind " + e.kind }, e.kind),
      e.text + " ", el("span", { class: "muted" }, "(seen by " + short(e.observer) + ")")));
  $("events").replaceChildren(...items);
}

async function startAction(body, question) {
  if (question && !confirm(question)) return;
  try {
    const r = await fetch("/api/actions", { method: "POST", headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(body) });
    const j = await r.json().catch(() => ({ error: r.statusText }));
    if (!r.ok) { showAction({ state: "failed", text: j.error || r.statusText }); return; }
    showAction(j);
  } catch (err) {
    showAction({ state: "failed", text: err.message });
  }
}

async function pollAction() {
  const r = await fetch("/api/actions", { headers: headers(), cache: "no-store" });
  if (!r.ok) return;
  const j = await r.json();
  if (j.current) showAction(j.current);
}

function showAction(a) {
  const e = $("action");
  e.className = a.state || "";
  e.dataset.state = a.state || "";
  e.textContent = (a.action ? a.action + (a.node ? " " + short(a.node) : "") + ": " : "") + (a.state || "") +
    (a.text ? " · " + a.text : "") + (a.error ? " · " + a.error : "");
}

$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("token").value;
  sessionStorage.setItem("meshcache-token", token);
  $("token").value = "";
});

$("rate").addEventListener("submit", (ev) => {
  ev.preventDefault();
  startAction({ action: "migration-rate", value: $("rate-value").value.trim() });
});

poll();
