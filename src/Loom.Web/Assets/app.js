// Loom's web view: the runs, a run's DAG, a job's steps and log, the cluster. Plain DOM and SVG; the layout is dagre's
// (served from the same origin, see vendor/). Live data comes as Server-Sent Events whose messages are the JSON objects
// `loom run --json` prints.
'use strict';

const main = document.getElementById('main');
const conn = document.getElementById('conn');
const SVG = 'http://www.w3.org/2000/svg';
const FINISHED = new Set(['success', 'failure', 'cancelled', 'skipped']);
const STATE_WORDS = {
  pending: 'waiting for needs', queued: 'queued', running: 'running', success: 'succeeded', failure: 'failed',
  cancelled: 'cancelled', skipped: 'skipped', interrupted: 'interrupted',
};

// ---- small helpers ----

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function s(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
}

function append(e, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children, leaving out the null and false ones. */
function fill(e, ...children) {
  e.replaceChildren();
  append(e, children);
}

function badge(state, text) {
  return h('span', { class: `badge s-${state}` }, text || STATE_WORDS[state] || state);
}

/** Seconds from .NET's TimeSpan text ("c" format: [-][d.]hh:mm:ss[.fffffff]). */
function spanSeconds(text) {
  if (typeof text === 'number') return text;
  if (!text) return 0;
  const m = /^(-)?(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  if (!m) return 0;
  const v = (+(m[2] || 0)) * 86400 + (+m[3]) * 3600 + (+m[4]) * 60 + parseFloat(m[5]);
  return m[1] ? -v : v;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || isNaN(seconds)) return '';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function runHref(runId) { return `/runs/${encodeURIComponent(runId)}`; }

function jobHref(runId, unit, attempt) {
  return `${runHref(runId)}/job?unit=${encodeURIComponent(unit)}${attempt ? `&attempt=${attempt}` : ''}`;
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

async function post(url) {
  const response = await fetch(url, { method: 'POST', headers: { 'X-Loom-Request': '1', Accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

/** An EventSource whose state shows in the header. */
function stream(url, handlers) {
  const source = new EventSource(url);
  source.onopen = () => { conn.textContent = 'live'; conn.className = 'conn live'; };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED || !source.ended) { conn.textContent = 'reconnecting…'; conn.className = 'conn lost'; }
  };
  for (const [kind, handler] of Object.entries(handlers)) {
    source.addEventListener(kind, e => handler(e.data ? JSON.parse(e.data) : null, e));
  }
  const close = source.close.bind(source);
  source.close = () => { source.ended = true; close(); conn.textContent = ''; conn.className = 'conn'; };
  return source;
}

let frameQueued = false;
const frameJobs = new Set();
/** Runs fn once at the next animation frame however often it is asked for (bursts of events render once). */
function later(fn) {
  frameJobs.add(fn);
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(() => {
    frameQueued = false;
    const jobs = [...frameJobs];
    frameJobs.clear();
    for (const job of jobs) job();
  });
}

function setPage(title, ...content) {
  document.title = `${title} · Loom`;
  main.replaceChildren(...content);
}

function markNav(path) {
  for (const a of document.querySelectorAll('.top nav a')) {
    if (a.getAttribute('href') === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// ---- runs ----

const FILTERS = [['', 'All'], ['running', 'Running'], ['success', 'Succeeded'], ['failure', 'Failed'], ['cancelled', 'Cancelled'], ['interrupted', 'Interrupted']];

function runsPage() {
  markNav('/');
  const state = new URLSearchParams(location.search).get('state') || '';
  const filters = h('ul', { class: 'filters', 'aria-label': 'Show runs' },
    FILTERS.map(([value, label]) => h('li', {}, h('a', { href: value ? `/?state=${value}` : '/', 'aria-current': value === state ? 'true' : null }, label))));
  const body = h('tbody', {});
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'runs' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Run'), h('th', { scope: 'col' }, 'Result'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Workflow'),
      h('th', { scope: 'col', class: 'hide-narrow' }, 'Started'), h('th', { scope: 'col', class: 'num' }, 'Duration'))),
    body));
  const empty = h('p', { class: 'muted', hidden: true }, state ? 'No run in this state.' : 'No runs yet: they appear here as they start.');
  setPage('Runs', h('h1', {}, 'Runs'), filters, table, empty);

  let runs = [];
  const render = () => {
    const now = Date.now();
    fill(body, ...runs.map(r => h('tr', { 'data-run': r.runId, class: `run s-${r.state}` },
      h('td', { class: 'id' }, h('a', { href: runHref(r.runId) }, r.runId)),
      h('td', {}, badge(r.state)),
      h('td', { class: 'hide-narrow' }, r.workflow),
      h('td', { class: 'hide-narrow' }, when(r.startedAt)),
      h('td', { class: 'num' }, r.state === 'running' ? duration((now - Date.parse(r.startedAt)) / 1000) : duration(r.duration)))));
    empty.hidden = runs.length > 0;
  };
  stream(`/api/runs/stream${state ? `?state=${encodeURIComponent(state)}` : ''}`, {
    runs: data => { runs = data; render(); },
  });
  setInterval(() => { if (runs.some(r => r.state === 'running')) render(); }, 1000);
}

// ---- a run: the model fed by its events ----

/** What a run's events say of its jobs and their units (a job itself, or each cell of its matrix). */
class RunModel {
  constructor(run) {
    this.run = run;
    this.state = run.state === 'running' ? 'running' : run.state;
    this.finished = FINISHED.has(run.state) || run.state === 'interrupted';
    this.duration = run.duration;
    this.startedAt = run.startedAt ? Date.parse(run.startedAt) : null;
    this.jobs = new Map();
    this.units = new Map();
    this.annotations = [];
    this.layoutChanged = true;
    for (const j of run.jobs) {
      const job = { id: j.id, name: j.name, needs: j.needs, matrix: j.matrix, cells: null, own: unit(j.id, j.id) };
      this.jobs.set(j.id, job);
      this.units.set(j.id, job.own);
    }
  }

  /** Applies one event (as `loom run --json` prints it); true when the graph's shape changed. */
  apply(e) {
    const at = e.at ? Date.parse(e.at) : Date.now();
    const u = e.jobId !== undefined ? this.unitOf(e.jobId) : null;
    switch (e.event) {
      case 'runStarted':
        this.startedAt = at;
        for (const id of e.jobs) if (!this.jobs.has(id)) {
          const job = { id, name: id, needs: [], matrix: false, cells: null, own: unit(id, id) };
          this.jobs.set(id, job);
          this.units.set(id, job.own);
          this.layoutChanged = true;
        }
        break;
      case 'matrixExpanded': {
        const job = this.jobs.get(e.jobId);
        if (!job) break;
        job.cells = e.cells.map(c => c.id);
        for (const c of e.cells) this.units.set(c.id, unit(c.id, e.jobId, c.matrixJson));
        this.layoutChanged = true;
        break;
      }
      case 'jobQueued': u && Object.assign(u, { state: 'queued', step: null }); break;
      case 'jobStarted':
        if (u) Object.assign(u, { state: 'running', start: at, end: null, attempt: e.attempt, title: e.title || u.title, step: null, reason: null, cancelling: false });
        break;
      case 'stepStarted': if (u) u.step = e.title; break;
      case 'stepFinished':
        if (u && e.conclusion === 'failure') u.reason = e.error || (e.exitCode !== null ? `step ${e.step + 1} exited with ${e.exitCode}` : `step ${e.step + 1} failed`);
        break;
      case 'jobFinished':
        if (!u) break;
        if (e.retrying) Object.assign(u, { state: 'queued', reason: `attempt ${u.attempt} failed; retrying`, step: null });
        else Object.assign(u, {
          state: e.result, end: at, duration: spanSeconds(e.duration), step: null,
          reason: e.cachedFrom ? `cached from run ${e.cachedFrom}` : (e.error || (e.result === 'failure' ? u.reason : null)),
        });
        break;
      case 'jobSkipped': u && Object.assign(u, { state: e.result, reason: e.reason, end: at }); break;
      case 'jobCarried': u && Object.assign(u, { state: e.result, reason: `carried from run ${e.fromRunId}`, end: at, duration: 0 }); break;
      case 'jobInterrupted': u && Object.assign(u, { state: 'queued', reason: `attempt ${e.attempt} interrupted; running again`, step: null }); break;
      case 'jobCancelling': if (u) u.cancelling = true; break;
      case 'runCancelling': this.cancelling = true; break;
      case 'runFinished':
        this.state = e.result; this.finished = true; this.duration = spanSeconds(e.duration);
        break;
      case 'annotation': this.annotations.push(e); break;
    }
  }

  unitOf(id) { return this.units.get(id); }

  /** A job's state: its own, or its cells' combined as GitHub combines them. */
  jobState(job) {
    if (!job.cells || FINISHED.has(job.own.state)) return job.own.state;
    const cells = job.cells.map(id => this.units.get(id));
    if (cells.length === 0) return job.own.state;
    if (cells.some(c => c.state === 'running')) return 'running';
    if (cells.some(c => c.state === 'queued' || c.state === 'pending')) return cells.some(c => FINISHED.has(c.state)) ? 'running' : 'queued';
    if (cells.some(c => c.state === 'failure')) return 'failure';
    if (cells.some(c => c.state === 'cancelled')) return 'cancelled';
    return cells.every(c => c.state === 'skipped') ? 'skipped' : 'success';
  }

  unitSeconds(u, now) {
    if (u.state === 'running' && u.start) return (now - u.start) / 1000;
    if (u.duration !== null && u.duration !== undefined) return u.duration;
    return null;
  }

  jobSeconds(job, now) {
    if (!job.cells || job.cells.length === 0) return this.unitSeconds(job.own, now);
    const cells = job.cells.map(id => this.units.get(id)).filter(c => c.start);
    if (cells.length === 0) return null;
    const start = Math.min(...cells.map(c => c.start));
    const end = Math.max(...cells.map(c => c.state === 'running' ? now : (c.end || c.start + 1000 * (c.duration || 0))));
    return (end - start) / 1000;
  }

  /** The chain of needs with the most time in it (what a faster run would have to shorten): job ids and the edges between them. */
  criticalPath(now) {
    const order = [];
    const seen = new Set();
    const visit = id => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const n of this.jobs.get(id).needs) if (this.jobs.has(n)) visit(n);
      order.push(id);
    };
    for (const id of this.jobs.keys()) visit(id);
    const best = new Map();
    const from = new Map();
    for (const id of order) {
      const job = this.jobs.get(id);
      let base = 0, prev = null;
      for (const n of job.needs) if (best.has(n) && best.get(n) > base) { base = best.get(n); prev = n; }
      best.set(id, base + (this.jobSeconds(job, now) || 0));
      from.set(id, prev);
    }
    let end = null, max = 0;
    for (const [id, v] of best) if (v > max) { max = v; end = id; }
    const nodes = new Set(), edges = new Set();
    if (max <= 0) return { nodes, edges };
    for (let id = end; id; id = from.get(id)) {
      nodes.add(id);
      if (from.get(id)) edges.add(`${from.get(id)}\u0000${id}`);
    }
    return { nodes, edges };
  }
}

function unit(id, jobId, matrixJson) {
  return { id, jobId, matrixJson, state: 'pending', attempt: 0, start: null, end: null, duration: null, reason: null, step: null, title: null };
}

// ---- a run: the page ----

async function runPage(runId) {
  markNav('');
  setPage(`Run ${runId}`, h('p', { class: 'muted' }, 'Loading…'));
  let run;
  try {
    run = await getJson(`/api/runs/${encodeURIComponent(runId)}`);
  } catch (e) {
    setPage('No such run', h('h1', {}, 'No such run'), h('p', {}, e.message), h('p', {}, h('a', { href: '/' }, 'All runs')));
    return;
  }
  const info = await infoPromise;
  const model = new RunModel(run);
  const stateBadge = h('span', {});
  const facts = h('ul', { class: 'facts' });
  const message = h('p', { class: 'message', role: 'status', 'aria-live': 'polite' });
  const cancel = h('button', { type: 'button', class: 'danger', hidden: true }, 'Cancel run');
  const retry = h('button', { type: 'button', hidden: true }, 'Retry failed jobs');
  const graph = h('div', { class: 'graph', role: 'group', 'aria-label': 'Jobs and their needs, left to right' });
  const legend = h('ul', { class: 'legend' },
    h('li', {}, 'Each job is a link to its steps and log.'),
    h('li', { class: 'crit' }, 'Thick orange: the critical path (the longest chain of needs in time).'));
  const jobsBody = h('tbody', {});
  setPage(`Run ${runId}`,
    h('p', { class: 'crumbs' }, h('a', { href: '/' }, 'Runs'), ' / ', runId),
    h('div', { class: 'headline' }, h('h1', {}, `Run ${runId}`), stateBadge),
    facts,
    h('div', { class: 'actions' }, cancel, retry),
    message,
    h('h2', {}, 'Graph'), graph, legend,
    h('h2', {}, 'Jobs'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'jobs' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Job'), h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Attempt'),
        h('th', { scope: 'col' }, 'Detail'))),
      jobsBody)));

  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    message.className = 'message';
    try {
      message.textContent = (await post(`/api/runs/${encodeURIComponent(runId)}/cancel`)).message;
    } catch (e) {
      message.className = 'message error';
      message.textContent = e.message;
      cancel.disabled = false;
    }
  });
  retry.addEventListener('click', async () => {
    retry.disabled = true;
    message.className = 'message';
    try {
      const answer = await post(`/api/runs/${encodeURIComponent(runId)}/retry`);
      message.textContent = answer.message;
      if (answer.runId) location.assign(runHref(answer.runId));
    } catch (e) {
      message.className = 'message error';
      message.textContent = e.message;
      retry.disabled = false;
    }
  });

  const view = new GraphView(graph, model, runId);
  const render = () => {
    const now = Date.now();
    fill(stateBadge, badge(model.state, model.cancelling && !model.finished ? 'cancelling' : null));
    const seconds = model.finished ? model.duration : (model.startedAt ? (now - model.startedAt) / 1000 : null);
    fill(facts, 
      h('li', {}, 'Workflow ', h('b', {}, run.workflow)),
      model.startedAt ? h('li', {}, 'Started ', h('b', {}, when(new Date(model.startedAt).toISOString()))) : null,
      seconds !== null && seconds !== undefined ? h('li', {}, model.finished ? 'Took ' : 'Running for ', h('b', {}, duration(seconds))) : null,
      h('li', {}, 'Jobs ', h('b', {}, String(model.jobs.size))));
    cancel.hidden = !(info.cancel && !model.finished);
    retry.hidden = !(info.retry === null && model.finished && model.state !== 'success');
    const critical = model.criticalPath(now);
    view.update(now, critical);
    renderJobs(now, critical);
  };
  const renderJobs = (now, critical) => {
    const rows = [];
    for (const job of model.jobs.values()) {
      const units = job.cells ? job.cells.map(id => model.units.get(id)) : [job.own];
      if (job.cells) {
        rows.push(h('tr', { class: critical.nodes.has(job.id) ? 'critical' : null, 'data-job': job.id },
          h('td', { class: 'id' }, job.name !== job.id ? `${job.name} (${job.id})` : job.id),
          h('td', {}, badge(model.jobState(job))),
          h('td', { class: 'num' }, duration(model.jobSeconds(job, now))),
          h('td', { class: 'hide-narrow' }, ''),
          h('td', {}, `matrix of ${job.cells.length}`)));
      }
      for (const u of units) {
        const name = u.title && u.title !== u.id ? `${u.title} (${u.id})` : (u === job.own && job.name !== job.id ? `${job.name} (${job.id})` : u.id);
        rows.push(h('tr', { class: !job.cells && critical.nodes.has(job.id) ? 'critical' : null, 'data-unit': u.id },
          h('td', { class: 'id' }, job.cells ? '\u2003' : '', h('a', { href: jobHref(runId, u.id) }, name)),
          h('td', {}, badge(u === job.own ? model.jobState(job) : u.state, u.cancelling && u.state === 'running' ? 'cancelling' : null)),
          h('td', { class: 'num' }, duration(model.unitSeconds(u, now))),
          h('td', { class: 'hide-narrow num' }, u.attempt > 1 ? String(u.attempt) : ''),
          h('td', {}, u.state === 'running' && u.step ? `▸ ${u.step}` : (u.reason || ''))));
      }
    }
    fill(jobsBody, ...rows);
  };
  render();
  stream(`/api/runs/${encodeURIComponent(runId)}/events`, {
    message: e => { model.apply(e); later(render); },
    end: (why, ev) => {
      ev.target.close();
      if (why === 'interrupted' && !model.finished) { model.state = 'interrupted'; model.finished = true; }
      later(render);
    },
  });
  setInterval(() => { if (!model.finished) later(render); }, 1000);
}

/** The run's DAG as SVG, laid out left to right by dagre; node colours and texts follow the model. */
class GraphView {
  constructor(container, model, runId) {
    this.container = container;
    this.model = model;
    this.runId = runId;
    this.nodes = new Map();
    this.edges = [];
  }

  static CELL_ROWS = 12;
  static WIDTH = 210;

  layout() {
    const model = this.model;
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 56, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const job of model.jobs.values()) {
      const rows = job.cells ? Math.min(job.cells.length, GraphView.CELL_ROWS) + (job.cells.length > GraphView.CELL_ROWS ? 1 : 0) : 0;
      g.setNode(job.id, { width: GraphView.WIDTH, height: 46 + (rows ? rows * 22 + 6 : 0) });
    }
    for (const job of model.jobs.values()) for (const n of job.needs) if (model.jobs.has(n)) g.setEdge(n, job.id);
    dagre.layout(g);
    const size = g.graph();
    const svg = s('svg', { width: Math.ceil(size.width), height: Math.ceil(size.height), viewBox: `0 0 ${Math.ceil(size.width)} ${Math.ceil(size.height)}`, role: 'img', 'aria-label': 'The graph of jobs' },
      s('defs', {},
        s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z' })),
        s('marker', { id: 'arrow-critical', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z' }))));
    svg.removeAttribute('role');
    this.edges = [];
    for (const e of g.edges()) {
      const points = g.edge(e).points;
      const d = points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
      const path = s('path', { class: 'edge', d, 'marker-end': 'url(#arrow)', 'data-from': e.v, 'data-to': e.w });
      svg.append(path);
      this.edges.push({ key: `${e.v}\u0000${e.w}`, path });
    }
    this.nodes.clear();
    for (const job of model.jobs.values()) {
      const n = g.node(job.id);
      const x = n.x - n.width / 2, y = n.y - n.height / 2;
      const group = s('g', { class: 'node', transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`, 'data-job': job.id });
      const box = s('rect', { class: 'box', width: n.width, height: n.height, rx: 7 });
      const bar = s('rect', { class: 'bar', x: 0, y: 0, width: 6, height: n.height, rx: 3 });
      const name = s('text', { class: 'name', x: 14, y: 19 }, clip(job.name, 24));
      const meta = s('text', { class: 'meta', x: 14, y: 37 });
      const tip = s('title', {});
      const entry = { group, meta, tip, cells: new Map(), job };
      if (job.cells) {
        // A matrix job: its cells grouped inside it, each a link to its own log.
        group.append(box, bar, name, meta, tip);
        job.cells.slice(0, GraphView.CELL_ROWS).forEach((id, i) => {
          const cell = this.model.units.get(id);
          const label = cellLabel(job.id, id);
          const row = s('a', { href: jobHref(this.runId, id), class: 'cell', 'data-unit': id },
            s('rect', { x: 14, y: 46 + i * 22, width: n.width - 22, height: 19, rx: 4 }),
            s('text', { x: 20, y: 60 + i * 22 }),
            s('title', {}));
          group.append(row);
          entry.cells.set(id, { row, cell, label });
        });
        if (job.cells.length > GraphView.CELL_ROWS) {
          group.append(s('text', { class: 'meta', x: 20, y: 60 + GraphView.CELL_ROWS * 22 }, `+ ${job.cells.length - GraphView.CELL_ROWS} more (see the table)`));
        }
      } else {
        const link = s('a', { href: jobHref(this.runId, job.id) }, box, bar, name, meta, tip);
        group.append(link);
        entry.link = link;
      }
      svg.append(group);
      this.nodes.set(job.id, entry);
    }
    this.container.replaceChildren(svg);
    model.layoutChanged = false;
  }

  update(now, critical) {
    if (typeof dagre === 'undefined') {
      this.container.replaceChildren(h('p', { class: 'muted' }, 'The graph layout did not load; the table below lists the jobs.'));
      return;
    }
    if (this.model.layoutChanged) this.layout();
    for (const entry of this.nodes.values()) {
      const job = entry.job;
      const state = this.model.jobState(job);
      const seconds = this.model.jobSeconds(job, now);
      const u = job.own;
      const title = !job.cells && u.title && u.title !== job.id ? u.title : job.name;
      entry.group.querySelector('text.name').textContent = clip(title, 24);
      const words = [STATE_WORDS[state] || state];
      if (seconds !== null) words.push(duration(seconds));
      if (!job.cells && u.attempt > 1) words.push(`attempt ${u.attempt}`);
      if (job.cells) words.push(`${job.cells.length} cells`);
      entry.meta.textContent = words.join(' · ');
      entry.group.setAttribute('class', `node s-${state}${critical.nodes.has(job.id) ? ' critical' : ''}`);
      const detail = u.reason || (u.step ? `step: ${u.step}` : '');
      entry.tip.textContent = `${title} (${job.id}): ${words.join(', ')}${detail ? ` — ${detail}` : ''}`;
      if (entry.link) entry.link.setAttribute('aria-label', entry.tip.textContent);
      for (const [id, c] of entry.cells) {
        const cell = this.model.units.get(id);
        const cs = this.model.unitSeconds(cell, now);
        c.row.setAttribute('class', `cell s-${cell.state}`);
        c.row.querySelector('text').textContent = clip(`${c.label}${cs !== null ? ` · ${duration(cs)}` : ''}`, 27);
        const text = `${id}: ${STATE_WORDS[cell.state] || cell.state}${cs !== null ? `, ${duration(cs)}` : ''}`;
        c.row.querySelector('title').textContent = text;
        c.row.setAttribute('aria-label', text);
      }
    }
    for (const e of this.edges) {
      const on = critical.edges.has(e.key);
      e.path.setAttribute('class', on ? 'edge critical' : 'edge');
      e.path.setAttribute('marker-end', on ? 'url(#arrow-critical)' : 'url(#arrow)');
    }
  }
}

function clip(text, n) { return text.length > n ? `${text.slice(0, n - 1)}…` : text; }

function cellLabel(jobId, cellId) {
  return cellId.startsWith(`${jobId} (`) && cellId.endsWith(')') ? cellId.slice(jobId.length + 2, -1) : cellId;
}

// ---- a job: steps, annotations, log ----

async function jobPage(runId, unitId, wantedAttempt) {
  markNav('');
  if (!unitId) { location.replace(runHref(runId)); return; }
  let run;
  try {
    run = await getJson(`/api/runs/${encodeURIComponent(runId)}`);
  } catch (e) {
    setPage('No such run', h('h1', {}, 'No such run'), h('p', {}, e.message), h('p', {}, h('a', { href: '/' }, 'All runs')));
    return;
  }
  const model = new RunModel(run);
  const stateBadge = h('span', {});
  const facts = h('ul', { class: 'facts' });
  const attempts = h('ul', { class: 'attempts', 'aria-label': 'Attempts' });
  const stepsBody = h('tbody', {});
  const annotationList = h('ul', { class: 'annotations', 'aria-label': 'Annotations' });
  const log = h('pre', { class: 'log', tabindex: '0', 'aria-label': 'Log', 'aria-live': 'off' });
  const noLog = h('p', { class: 'muted' }, 'Nothing printed yet.');
  setPage(unitId,
    h('p', { class: 'crumbs' }, h('a', { href: '/' }, 'Runs'), ' / ', h('a', { href: runHref(runId) }, runId), ' / ', unitId),
    h('div', { class: 'headline' }, h('h1', {}, unitId), stateBadge),
    facts, attempts,
    h('h2', {}, 'Steps'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'steps' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'Step'), h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col', class: 'num' }, 'Exit code'))),
      stepsBody)),
    h('h2', { id: 'annotations-heading', hidden: true }, 'Annotations'), annotationList,
    h('h2', {}, 'Log'), noLog, log);

  // Steps per attempt, from the run's events.
  const steps = new Map(); // attempt -> [{ title, state, start, seconds, exitCode, error }]
  let latest = 0;
  let shown = wantedAttempt ? +wantedAttempt : 0;
  let logSource = null;
  const openLog = attempt => {
    if (logSource) logSource.close();
    log.replaceChildren();
    annotationList.replaceChildren();
    noLog.hidden = false;
    logSource = stream(`/api/runs/${encodeURIComponent(runId)}/log?unit=${encodeURIComponent(unitId)}&attempt=${attempt}`, {
      lines: lines => appendLog(lines),
      end: (_, ev) => {
        ev.target.close();
        log.append(h('span', { class: 'end' }, '— end of log —'));
      },
    });
  };
  const appendLog = lines => {
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      if (line.kind === 'step') fragment.append(h('span', { class: 'step-header' }, `▸ Step ${line.step}: ${line.title}`));
      else if (line.kind === 'annotation') {
        const where = line.file ? ` (${line.file}${line.line ? `:${line.line}` : ''}${line.col ? `:${line.col}` : ''})` : '';
        const text = `${line.level}${line.title ? ` ${line.title}` : ''}: ${line.message}${where}`;
        fragment.append(h('span', { class: `ann ${line.level}` }, text));
        annotationList.append(h('li', { class: line.level }, `${line.level}: `, h('span', {}, `${line.title ? `${line.title}: ` : ''}${line.message}${where}`)));
        document.getElementById('annotations-heading').hidden = false;
      } else fragment.append(`${line.text}\n`);
    }
    log.append(fragment);
    noLog.hidden = log.childNodes.length > 0;
    if (stick) log.scrollTop = log.scrollHeight;
  };

  const render = () => {
    const now = Date.now();
    const u = model.unitOf(unitId) || unit(unitId, unitId);
    fill(stateBadge, badge(u.state, u.cancelling && u.state === 'running' ? 'cancelling' : null));
    const seconds = model.unitSeconds(u, now);
    fill(facts, 
      u.title && u.title !== unitId ? h('li', {}, 'Name ', h('b', {}, u.title)) : null,
      u.jobId !== unitId ? h('li', {}, 'Matrix cell of ', h('b', {}, u.jobId)) : null,
      seconds !== null ? h('li', {}, u.state === 'running' ? 'Running for ' : 'Took ', h('b', {}, duration(seconds))) : null,
      u.reason ? h('li', {}, h('b', {}, u.reason)) : null);
    fill(attempts, ...(latest > 1 ? Array.from({ length: latest }, (_, i) => i + 1).map(a =>
      h('li', {}, h('a', { href: jobHref(runId, unitId, a), 'aria-current': a === shown ? 'true' : null }, `attempt ${a}`))) : []));
    const list = steps.get(shown) || [];
    fill(stepsBody, ...list.map((st, i) => st && h('tr', {},
      h('td', { class: 'num' }, String(i + 1)),
      h('td', {}, st.title, st.error ? h('div', { class: 'muted' }, st.error) : null),
      h('td', {}, badge(st.state)),
      h('td', { class: 'num' }, duration(st.state === 'running' ? (now - st.start) / 1000 : st.seconds)),
      h('td', { class: 'num' }, st.exitCode === null || st.exitCode === undefined ? '' : String(st.exitCode)))).filter(Boolean));
  };

  stream(`/api/runs/${encodeURIComponent(runId)}/events`, {
    message: e => {
      model.apply(e);
      if (e.jobId === unitId) {
        if (e.event === 'jobStarted') {
          latest = e.attempt;
          steps.set(e.attempt, []);
          // Follow the newest attempt unless one was asked for.
          if (!wantedAttempt && shown !== e.attempt) { shown = e.attempt; openLog(shown); }
        } else if (e.event === 'stepStarted') {
          (steps.get(latest) || steps.set(latest, []).get(latest))[e.step] = { title: e.title, state: 'running', start: Date.parse(e.at), exitCode: null };
        } else if (e.event === 'stepFinished') {
          const list = steps.get(latest) || steps.set(latest, []).get(latest);
          const st = list[e.step] || (list[e.step] = { title: `step ${e.step + 1}` });
          Object.assign(st, { state: e.outcome === 'failure' && e.conclusion === 'success' ? 'failure' : e.conclusion, seconds: spanSeconds(e.duration), exitCode: e.exitCode, error: e.error });
        }
      }
      later(render);
    },
    end: (_, ev) => { ev.target.close(); later(render); },
  });
  if (shown) openLog(shown);
  render();
  setInterval(() => later(render), 1000);
}

// ---- the cluster ----

async function clusterPage() {
  markNav('/cluster');
  const body = h('tbody', {});
  const facts = h('ul', { class: 'facts' });
  const message = h('p', { class: 'message', role: 'status' });
  const running = h('ul', { class: 'running-runs' });
  setPage('Cluster', h('h1', {}, 'Cluster'), facts, message,
    h('div', { class: 'table-wrap' }, h('table', { class: 'members' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Node'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Labels'),
        h('th', { scope: 'col', class: 'num' }, 'Running jobs'), h('th', { scope: 'col', class: 'num' }, 'Capacity'), h('th', { scope: 'col' }, 'Taking jobs'))),
      body)),
    h('h2', {}, 'Runs going on'), running);
  const refresh = async () => {
    try {
      const c = await getJson('/api/cluster');
      message.textContent = '';
      fill(facts, 
        h('li', {}, 'This node ', h('b', {}, c.self)),
        h('li', {}, 'Leader ', h('b', {}, c.leader || 'none')),
        c.waiting !== null ? h('li', {}, 'Jobs waiting for a node ', h('b', {}, String(c.waiting))) : null);
      fill(body, ...c.members.map(m => h('tr', { 'data-member': m.address },
        h('td', { class: 'id' }, m.address, m.isSelf ? ' (this node)' : ''),
        h('td', {}, m.status),
        h('td', {}, m.labels.join(', ')),
        h('td', { class: 'num' }, m.running === null ? '?' : String(m.running)),
        h('td', { class: 'num' }, String(m.capacity)),
        h('td', {}, m.accepting === null ? '?' : (m.accepting ? 'yes' : 'no (draining)')))));
      const runs = await getJson('/api/runs?state=running');
      fill(running, runs.length ? runs.map(r => h('li', {}, h('a', { href: runHref(r.runId) }, r.runId), ` ${r.workflow}, started ${when(r.startedAt)}`))
        : h('li', { class: 'muted' }, 'none'));
    } catch (e) {
      message.textContent = e.message;
    }
  };
  await refresh();
  setInterval(refresh, 2000);
}

// ---- start ----

const infoPromise = getJson('/api/info').catch(() => ({ title: '', cancel: false, retry: 'unavailable', cluster: false }));

(async () => {
  const info = await infoPromise;
  document.getElementById('where').textContent = info.title;
  document.getElementById('cluster-link').hidden = !info.cluster;
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  let m;
  if (path === '/' || path === '') runsPage();
  else if ((m = /^\/runs\/([^/]+)\/?$/.exec(path))) runPage(decodeURIComponent(m[1]));
  else if ((m = /^\/runs\/([^/]+)\/job\/?$/.exec(path))) jobPage(decodeURIComponent(m[1]), params.get('unit'), params.get('attempt'));
  else if (path === '/cluster' && info.cluster) clusterPage();
  else setPage('Not found', h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/' }, 'All runs')));
})();
