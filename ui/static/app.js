"use strict";
// riposte web UI: plain JS, no framework, no build step. Alert fields are attacker-controlled
// text: everything is put on the page with textContent / createElement, never innerHTML.

const PRIORITIES = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"];
const COLORS = { Emergency: "#862e9c", Alert: "#a61e4d", Critical: "#c92a2a", Error: "#d9480f",
                 Warning: "#f08c00", Notice: "#1971c2", Informational: "#74c0fc", Debug: "#adb5bd" };
const FIELDS = ["rule", "source", "namespace", "pod", "node", "playbook", "outcome"];
const state = { csrf: "", filter: {}, next: 0, events: null, refreshTimer: 0 };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
function svg(tag, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

async function api(path, options) {
  const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
  if (opts.method === "POST") {
    opts.headers["Content-Type"] = "application/json";
    if (state.csrf) opts.headers["X-CSRF-Token"] = state.csrf;
  }
  const res = await fetch(path, opts);
  let body = {};
  try { body = await res.json(); } catch (e) { body = { error: res.statusText }; }
  if (res.status === 401 && !path.startsWith("/api/login") && !path.startsWith("/api/setup")) {
    boot();
    throw new Error(body.error || "log in first");
  }
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}
const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body || {}) });

function main() { return document.getElementById("main"); }

async function boot() {
  if (state.events) { state.events.close(); state.events = null; }
  const s = await api("/api/session");
  document.getElementById("logout").hidden = s.state !== "ok";
  document.getElementById("who").textContent = s.state === "ok" ? s.user : "";
  if (s.state === "setup") return showSetup();
  if (s.state === "login") return showLogin();
  state.csrf = s.csrf;
  showMain();
}

function authForm(title, intro, fields, submitId, onSubmit) {
  const msg = el("p", { class: "error", id: "auth-error" });
  const form = el("form", { class: "card auth", id: submitId + "-form" }, el("h2", {}, title), el("p", {}, intro),
    ...fields, el("button", { id: submitId, type: "submit" }, title), msg);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    msg.textContent = "";
    try { await onSubmit(); await boot(); } catch (e) { msg.textContent = e.message; }
  });
  main().replaceChildren(form);
}

function showSetup() {
  const token = el("input", { id: "setup-token", autocomplete: "off", required: true });
  const pw = el("input", { id: "setup-password", type: "password", autocomplete: "new-password", minlength: 12, required: true });
  authForm("Set the admin password",
    "First run: no admin password exists yet. The responder's log shows a one-time setup token " +
    "(\"UI first-run setup\"); give it here with the password to set (12 characters or more).",
    [el("label", {}, "Setup token ", token), el("label", {}, "New password ", pw)], "setup-submit",
    () => post("/api/setup", { token: token.value.trim(), password: pw.value }));
}

function showLogin() {
  const pw = el("input", { id: "login-password", type: "password", autocomplete: "current-password", required: true });
  authForm("Log in", "User admin.", [el("label", {}, "Password ", pw)], "login-submit",
    () => post("/api/login", { user: "admin", password: pw.value }));
}

function query(extra) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filter)) if (v) p.set(k, v);
  for (const [k, v] of Object.entries(extra || {})) if (v) p.set(k, v);
  return p.toString();
}

function showMain() {
  const inputs = {};
  const lists = [];
  const fieldLabels = FIELDS.map((f) => {
    inputs[f] = el("input", { id: "f-" + f, name: f, list: "l-" + f, value: state.filter[f] || "" });
    lists.push(el("datalist", { id: "l-" + f }));
    return el("label", {}, f, el("br"), inputs[f]);
  });
  const prio = el("div", { class: "prio", id: "f-priority" }, ...PRIORITIES.map((p) =>
    el("label", {}, el("input", { type: "checkbox", value: p, checked: (state.filter.priority || "").split(",").includes(p) }), " " + p)));
  const from = el("input", { id: "f-from", type: "datetime-local" });
  const to = el("input", { id: "f-to", type: "datetime-local" });
  const apply = () => {
    const f = {};
    for (const k of FIELDS) f[k] = inputs[k].value.trim();
    f.priority = [...prio.querySelectorAll("input:checked")].map((i) => i.value).join(",");
    if (from.value) f.from = String(new Date(from.value).getTime());
    if (to.value) f.to = String(new Date(to.value).getTime());
    state.filter = f;
    refresh();
  };
  const form = el("form", { class: "card filters", id: "filters" }, ...fieldLabels,
    el("label", {}, "from", el("br"), from), el("label", {}, "to", el("br"), to),
    el("div", {}, "priority", prio),
    el("button", { id: "apply", type: "submit" }, "Apply"),
    el("button", { id: "clear", type: "button", onclick: () => { state.filter = {}; showMain(); } }, "Clear"), ...lists);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); apply(); });
  const charts = el("section", { class: "charts card", id: "charts" });
  const table = el("table", { id: "timeline" },
    el("thead", {}, el("tr", {}, ...["time", "priority", "rule", "source", "namespace", "pod", "node", "runs"].map((h) => el("th", {}, h)))),
    el("tbody"));
  const more = el("button", { id: "more", hidden: true, onclick: () => loadRows(true) }, "Older alerts");
  main().replaceChildren(form, charts, el("p", { id: "summary", class: "muted" }), table, more);
  api("/api/facets").then((f) => {
    for (const k of FIELDS) {
      const list = document.getElementById("l-" + k);
      if (list) list.replaceChildren(...(f[k] || []).map((v) => el("option", { value: v })));
    }
  }).catch(() => {});
  refresh();
  startEvents();
}

function refresh() { loadRows(false); loadCharts(); }

async function loadRows(append) {
  const tbody = document.querySelector("#timeline tbody");
  if (!tbody) return;
  const t0 = performance.now();
  const page = await api("/api/alerts?" + query({ limit: 50, before: append ? state.next : 0 }));
  state.next = page.next_before;
  const rows = page.rows.map(alertRow);
  if (append) tbody.append(...rows); else tbody.replaceChildren(...rows);
  document.getElementById("more").hidden = !page.next_before;
  document.getElementById("summary").textContent =
    `${page.matched} matching of ${page.indexed} alerts indexed (answered in ${Math.round(performance.now() - t0)} ms)`;
}

function alertRow(a) {
  return el("tr", { class: "alert", "data-seq": a.seq },
    el("td", {}, a.time.replace("T", " ").replace(/\.\d+Z$/, "Z")),
    el("td", { class: "p-" + a.priority }, a.priority),
    el("td", {}, a.rule), el("td", {}, a.source), el("td", {}, a.namespace), el("td", {}, a.pod), el("td", {}, a.node),
    el("td", {}, ...a.runs.map((r) => el("span", {
      class: "run " + r.outcome + (r.undone ? " undone" : ""), "data-run": r.id, title: "run " + r.id,
      onclick: () => showRun(r.id) }, r.playbook + ": " + r.outcome + (r.undone ? " (undone)" : "")))));
}

function startEvents() {
  if (state.events || !window.EventSource) return;
  const live = document.getElementById("live");
  const es = new EventSource("/api/events");
  state.events = es;
  es.onopen = () => { live.textContent = "live"; live.classList.add("on"); };
  es.onerror = () => { live.textContent = "reconnecting"; live.classList.remove("on"); };
  es.addEventListener("change", () => {
    // Live updates only while the newest page is shown (older pages stay put).
    if (state.refreshTimer || document.querySelectorAll("#timeline tbody tr").length > 50) return;
    state.refreshTimer = setTimeout(() => { state.refreshTimer = 0; refresh(); }, 300);
  });
}

// --- charts --------------------------------------------------------------------------------
async function loadCharts() {
  const box = document.getElementById("charts");
  if (!box) return;
  const s = await api("/api/stats?" + query({ buckets: 48 }));
  box.replaceChildren(
    chartCard("Alerts over time by priority", timeChart(s.buckets), "chart-time"),
    chartCard("Top rules", barChart(s.rules), "chart-rules"),
    chartCard("Alerts by node", barChart(s.nodes), "chart-nodes"),
    chartCard("Runs by outcome", barChart(Object.entries(s.outcomes).map(([name, count]) => ({ name, count }))), "chart-outcomes"));
}
function chartCard(title, chart, id) { return el("div", { id }, el("h3", {}, title), chart); }

function timeChart(buckets) {
  const W = 480, H = 140, s = svg("svg", { viewBox: `0 0 ${W} ${H + 16}`, width: "100%", role: "img" });
  if (!buckets.length) { const t = svg("text", { x: 10, y: 20 }); t.textContent = "no alerts"; s.append(t); return s; }
  const totals = buckets.map((b) => Object.values(b.counts).reduce((x, y) => x + y, 0));
  const max = Math.max(1, ...totals), bw = W / buckets.length;
  buckets.forEach((b, i) => {
    let y = H;
    for (const p of PRIORITIES) {
      const n = b.counts[p] || 0;
      if (!n) continue;
      const h = (n / max) * (H - 10);
      y -= h;
      const r = svg("rect", { x: i * bw + 1, y, width: Math.max(1, bw - 2), height: h, fill: COLORS[p] });
      const tip = svg("title"); tip.textContent = `${b.start}: ${n} ${p}`; r.append(tip);
      s.append(r);
    }
  });
  const l = svg("text", { x: 0, y: H + 14, "font-size": 10 }); l.textContent = buckets[0].start.slice(0, 19);
  const r = svg("text", { x: W, y: H + 14, "font-size": 10, "text-anchor": "end" }); r.textContent = "max " + max;
  s.append(l, r);
  return s;
}

function barChart(items) {
  const W = 480, row = 18, s = svg("svg", { viewBox: `0 0 ${W} ${Math.max(1, items.length) * row + 4}`, width: "100%", role: "img" });
  const max = Math.max(1, ...items.map((i) => i.count));
  items.forEach((it, i) => {
    const w = (it.count / max) * (W * 0.45);
    s.append(svg("rect", { x: W * 0.5, y: i * row + 3, width: Math.max(1, w), height: row - 6, fill: "#4dabf7" }));
    const t = svg("text", { x: W * 0.5 - 6, y: i * row + 14, "font-size": 11, "text-anchor": "end" });
    t.textContent = it.name.length > 40 ? it.name.slice(0, 39) + "…" : it.name;
    const c = svg("text", { x: W * 0.5 + w + 4, y: i * row + 14, "font-size": 11 }); c.textContent = it.count;
    s.append(t, c);
  });
  if (!items.length) { const t = svg("text", { x: 10, y: 14 }); t.textContent = "none"; s.append(t); }
  return s;
}

// --- a run's detail and its undo -----------------------------------------------------------
async function showRun(id) {
  let panel = document.getElementById("detail");
  if (!panel) { panel = el("aside", { id: "detail" }); document.body.append(panel); }
  panel.replaceChildren(el("p", {}, "loading run " + id));
  const d = await api("/api/runs/" + encodeURIComponent(id));
  const run = d.run || {};
  const steps = (run.steps || []).map((s, i) => el("div", { class: "step" },
    el("h4", {}, `step ${i + 1}: ${s.action} — ${s.status}`), el("p", {}, s.message || ""),
    ...(s.requests || []).map((r) => el("div", { class: "request" },
      el("pre", { class: "sent" }, `${r.method} ${r.path}\n\n${r.body || ""}`),
      r.answer ? el("pre", { class: "answer" }, r.answer.error ? "no answer: " + r.answer.error
                                                               : `HTTP ${r.answer.status}\n\n${r.answer.body || ""}`)
               : el("p", { class: "muted" }, run.dry_run || s.status === "dry-run" ? "not sent (dry run)" : "no answer recorded")))));
  const undoBox = el("div", { id: "undo" });
  if (d.undo_record) {
    undoBox.append(el("h3", {}, "Undone"), el("p", { id: "undo-result" },
      `by ${d.undo_record.user} at ${d.undo_record.time}: ${d.undo_record.outcome}`));
  } else if (d.undo.length) {
    const btn = el("button", { id: "undo-button" }, "Undo: " + d.undo.map((u) =>
      u.undo === "workload.restore" ? `scale ${u.target} back to ${u.replicas}` : `${u.undo} ${u.target}`).join(", "));
    const out = el("p", { id: "undo-result" });
    btn.addEventListener("click", async () => {
      if (!confirm("Undo these actions?")) return;
      btn.disabled = true;
      try {
        const r = await post("/api/runs/" + encodeURIComponent(id) + "/undo");
        out.textContent = "undo " + r.outcome + ": " + r.steps.map((s) => s.message).join("; ");
        refresh();
      } catch (e) { out.textContent = "undo refused: " + e.message; out.className = "error"; btn.disabled = false; }
    });
    undoBox.append(btn, out);
  }
  panel.replaceChildren(
    el("button", { id: "detail-close", onclick: () => panel.remove() }, "Close"),
    el("h2", {}, `${run.playbook}: ${run.outcome}`),
    el("p", { class: "muted" }, `run ${run.id} — ${run.started || ""} — replica ${run.replica || ""}`),
    undoBox, el("h3", {}, "Steps"), ...steps,
    el("h3", {}, "Alert"), el("pre", { id: "detail-alert" }, JSON.stringify(d.alert, null, 2)));
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("logout").addEventListener("click", async () => { await post("/api/logout"); boot(); });
  boot().catch((e) => main().replaceChildren(el("p", { class: "error" }, e.message)));
});
