// Cordon control room console. Plain JavaScript, no dependencies, no inline code (the
// page's Content-Security-Policy forbids it). Everything an officer wrote is put on the
// page with textContent, never as markup.
'use strict';

const api = '/console/api';
const state = {
  csrf: null,
  operator: null,
  open: [],
  resolved: [],
  officers: [],
  postOrders: [],
  movements: [],
  reports: [],
  messages: [],
  openReports: new Set(),
  selected: null,
  seenRaised: new Set(),
  firstLoad: true,
  events: null,
  audio: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

// ---- what an operator is typing survives the live refresh ----
// Every change at the office draws the lists again. A field made with draft() keeps its
// value across those redraws, and keepingFocus() gives the focus and the caret back to
// the field being typed in, so a refresh never eats a review note or a reason.
state.drafts = {};
function draft(field, key) {
  field.dataset.draft = key;
  if (Object.prototype.hasOwnProperty.call(state.drafts, key)) field.value = state.drafts[key];
  const keep = () => { state.drafts[key] = field.value; };
  field.addEventListener('input', keep);
  field.addEventListener('change', keep);
  return field;
}
function forgetDrafts(suffix) {
  Object.keys(state.drafts).filter((k) => k.endsWith(suffix)).forEach((k) => { delete state.drafts[k]; });
}
function keepingFocus(draw) {
  const active = document.activeElement;
  const key = active && active.dataset ? active.dataset.draft : undefined;
  const caret = key && typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd] : null;
  draw();
  if (!key || document.body.contains(active)) return;
  const again = [...document.querySelectorAll('[data-draft]')].find((f) => f.dataset.draft === key);
  if (!again) return;
  again.focus();
  if (caret && typeof again.setSelectionRange === 'function') again.setSelectionRange(caret[0], caret[1]);
}

// ---- time ----
function clockText(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}
function ageText(iso) {
  const secs = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (secs < 60) return secs + ' s';
  if (secs < 3600) return Math.floor(secs / 60) + ' min ' + (secs % 60) + ' s';
  return Math.floor(secs / 3600) + ' h ' + Math.floor((secs % 3600) / 60) + ' min';
}

// ---- sound: a beep made with WebAudio (no sound file) ----
function ensureAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  if (!state.audio) state.audio = new Ctx();
  if (state.audio.state === 'suspended') state.audio.resume();
  return state.audio;
}
function beep() {
  const ctx = ensureAudio();
  if (!ctx) return;
  const now = ctx.currentTime;
  [0, 0.3, 0.6].forEach((offset) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.3, now + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.22);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + offset);
    osc.stop(now + offset + 0.25);
  });
  document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
}

// ---- HTTP ----
async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && state.csrf) init.headers['X-CSRF-Token'] = state.csrf;
  const response = await fetch(api + path, init);
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (response.status === 401 && path !== '/login') {
    signedOut();
    throw new Error('Signed out: sign in again.');
  }
  if (!response.ok) {
    const message = data && data.error ? data.error.message : 'The server answered ' + response.status;
    throw new Error(message);
  }
  return data;
}

// ---- signing in and out ----
function signedOut() {
  state.csrf = null;
  state.operator = null;
  if (state.events) { state.events.close(); state.events = null; }
  $('desk').hidden = true;
  $('logout').hidden = true;
  $('who').hidden = true;
  $('login').hidden = false;
  setLink(false, 'signed out');
  $('login-form').elements.organisation.focus();
}

function signedIn(session) {
  state.csrf = session.csrf_token;
  state.operator = session.operator;
  $('login').hidden = true;
  $('desk').hidden = false;
  $('logout').hidden = false;
  $('who').hidden = false;
  $('who').textContent = session.operator.username + ' (' + session.operator.role + ') · ' + session.operator.organisation_id;
  connect();
  refresh();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  ensureAudio(); // a user gesture: the browser lets the page make sound from now on
  const form = event.target;
  $('login-error').textContent = '';
  try {
    const session = await call('POST', '/login', {
      organisation: form.elements.organisation.value.trim(),
      username: form.elements.username.value.trim(),
      password: form.elements.password.value,
    });
    form.elements.password.value = '';
    signedIn(session);
  } catch (e) {
    $('login-error').textContent = e.message;
  }
});

$('logout').addEventListener('click', async () => {
  try { await call('POST', '/logout'); } catch (_) { /* signed out either way */ }
  signedOut();
});

// ---- live updates ----
function setLink(live, text) {
  $('link').textContent = text;
  $('link').classList.toggle('live', live);
}

function connect() {
  if (state.events) state.events.close();
  const source = new EventSource(api + '/events');
  state.events = source;
  source.addEventListener('open', () => setLink(true, 'live'));
  source.addEventListener('changed', () => { setLink(true, 'live'); refresh(); });
  source.addEventListener('error', async () => {
    setLink(false, 'reconnecting…');
    try { await call('GET', '/session'); } catch (_) { /* signedOut() ran on 401 */ }
  });
}

let refreshing = null;
let again = false;
async function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    try {
      const [alarms, officers, reports, messages, postOrders, sightings, movements] = await Promise.all([
        call('GET', '/alarms'), call('GET', '/officers'), call('GET', '/reports'), call('GET', '/messages'),
        call('GET', '/post-orders'), call('GET', '/sightings'), call('GET', '/movements'),
      ]);
      state.sightings = sightings;
      state.movements = movements.assignments;
      state.postOrders = postOrders.post_orders;
      state.messages = messages.messages;
      state.open = alarms.open;
      state.resolved = alarms.resolved;
      state.officers = officers.on_duty;
      state.reports = reports.reports;
      keepingFocus(render);
      await refreshDevices();
      await refreshDuty();
      // How many refreshes have been drawn (a browser test waits on it).
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
    } catch (e) {
      $('action-error').textContent = e.message;
    }
  })();
  await refreshing;
  refreshing = null;
  if (again) { again = false; refresh(); }
}

// ---- rendering ----
const KIND = { duress: 'Duress', panic: 'Panic', overdue: 'Overdue', overdue_leg: 'Overdue leg' };

function render() {
  const raised = state.open.filter((a) => a.state === 'raised');
  const fresh = raised.filter((a) => !state.seenRaised.has(a.id));
  raised.forEach((a) => state.seenRaised.add(a.id));
  if (fresh.length > 0) beep();
  state.firstLoad = false;
  document.body.dataset.unacknowledged = String(raised.length);

  // Keep the operator on the alarm they are working; once it is resolved (or gone),
  // move to the most urgent open one.
  if (!state.open.some((a) => a.id === state.selected) && state.open.length > 0) {
    state.selected = state.open[0].id;
  }
  if (!state.open.concat(state.resolved).some((a) => a.id === state.selected)) state.selected = null;

  renderQueue();
  renderDetail();
  renderOfficers();
  renderPostOrders();
  renderResolved();
  renderReports();
  renderMessages();
  renderSightings();
  renderMovements();
}

function renderQueue() {
  const list = $('alarm-queue');
  list.replaceChildren();
  $('open-count').textContent = String(state.open.length);
  $('queue-empty').hidden = state.open.length > 0;
  state.open.forEach((a) => {
    const item = el('li', null, 'alarm state-' + a.state);
    item.dataset.alarmId = a.id;
    item.dataset.kind = a.kind;
    item.dataset.state = a.state;
    const button = el('button');
    button.type = 'button';
    button.setAttribute('aria-current', String(a.id === state.selected));
    const kind = el('span', KIND[a.kind] || a.kind, 'kind kind-' + a.kind);
    const who = el('span', a.officer_id + (a.assignment_id ? ' · ' + a.assignment_id : ''));
    who.append(el('span', a.state, 'flag'));
    if (a.escalated) who.append(el('span', 'escalated', 'flag'));
    if (a.leg) who.append(el('span', legText(a.leg), 'leg'));
    if (a.explained) who.append(el('span', a.leg ? 'leg reported since' : 'explained by a check-in', 'flag explained'));
    const age = el('span', ageText(a.raised_at), 'age');
    age.dataset.since = a.raised_at;
    button.append(kind, who, age);
    button.addEventListener('click', () => { state.selected = a.id; renderQueue(); renderDetail(); });
    item.append(button);
    list.append(item);
  });
}

function fact(list, name, value) {
  if (value === null || value === undefined || value === '') return;
  list.append(el('dt', name), el('dd', value));
}

function positionText(p) {
  if (!p) return '';
  let text = p.latitude.toFixed(5) + ', ' + p.longitude.toFixed(5);
  if (p.accuracy_m !== null && p.accuracy_m !== undefined) text += ' ±' + Math.round(p.accuracy_m) + ' m';
  if (p.fix_time) text += ' (fix ' + clockText(p.fix_time) + ')';
  return text;
}

function eventText(e) {
  let text = clockText(e.at) + '  ' + e.kind + ' by ' + e.actor;
  if (e.outcome) text += ' · outcome: ' + e.outcome.replace(/_/g, ' ');
  if (e.police_reference) text += ' · police ref: ' + e.police_reference;
  if (e.check_in_id) {
    text += ' · ' + (e.check_in_kind || 'check-in').replace(/_/g, ' ') + ' made at ' + clockText(e.check_in_at);
  }
  if (e.note) text += '\n' + e.note;
  return text;
}

function renderDetail() {
  const alarm = state.open.concat(state.resolved).find((a) => a.id === state.selected);
  $('detail').hidden = !alarm;
  if (!alarm) return;
  $('detail').dataset.alarmId = alarm.id;
  $('detail').dataset.state = alarm.state;
  $('detail-title').textContent = (KIND[alarm.kind] || alarm.kind) + ' alarm · ' + alarm.officer_id;
  const facts = $('detail-facts');
  facts.replaceChildren();
  fact(facts, 'State', alarm.state + (alarm.escalated ? ' (escalated)' : '') + (alarm.explained ? ' (explained by a late check-in)' : ''));
  fact(facts, 'Officer', alarm.officer_id);
  fact(facts, 'Assignment', alarm.assignment_id);
  fact(facts, alarm.kind === 'overdue' || alarm.kind === 'overdue_leg' ? 'Deadline missed' : 'Happened (device)', clockText(alarm.occurred_at));
  if (alarm.leg) fact(facts, 'Leg', legText(alarm.leg));
  fact(facts, 'Raised (office)', clockText(alarm.raised_at) + ' · ' + ageText(alarm.raised_at) + ' ago');
  fact(facts, 'Position', alarm.location ? positionText(alarm.location) : '');
  fact(facts, 'Officer\'s note', alarm.note);
  const events = $('detail-events');
  events.replaceChildren();
  alarm.events.forEach((e) => events.append(el('li', eventText(e), 'event-' + e.kind)));
  $('ack-form').hidden = alarm.state !== 'raised';
  $('resolve-form').hidden = alarm.state !== 'acknowledged';
}

function welfareText(w) {
  switch (w.state) {
    case 'on_time': return 'on time · due ' + clockText(w.due_at);
    case 'due': return 'DUE · overdue at ' + clockText(w.overdue_at);
    case 'overdue': return 'OVERDUE since ' + clockText(w.overdue_at);
    default: return 'off duty';
  }
}

function renderOfficers() {
  const body = $('officers').tBodies[0];
  body.replaceChildren();
  const overdue = $('overdue');
  overdue.replaceChildren();
  state.officers.forEach((d) => {
    const row = el('tr');
    row.dataset.officer = d.officer_id;
    row.dataset.welfare = d.welfare.state;
    if (d.welfare.state === 'overdue') row.className = 'is-overdue';
    const last = d.last_check_in
      ? d.last_check_in.kind.replace(/_/g, ' ') + ' at ' + clockText(d.last_check_in.occurred_at) + ' (' + ageText(d.last_check_in.occurred_at) + ' ago)'
      : 'none';
    row.append(
      el('td', d.officer_id),
      el('td', d.assignment_reference + ' · ' + d.assignment_title),
      el('td', last),
      el('td', welfareText(d.welfare)),
      el('td', positionText(d.position) || 'unknown'),
    );
    body.append(row);
    if (d.welfare.state === 'overdue') {
      const item = el('li', d.officer_id + ' on ' + d.assignment_reference + ': ' + welfareText(d.welfare));
      item.dataset.officer = d.officer_id;
      overdue.append(item);
    }
  });
  if (overdue.children.length === 0) overdue.append(el('li', 'None', 'empty'));
}

// Who has acknowledged which version of each assignment's post orders.
function renderPostOrders() {
  const body = $('post-orders').tBodies[0];
  body.replaceChildren();
  state.postOrders.forEach((p) => {
    const row = el('tr');
    row.dataset.assignment = p.assignment_id;
    row.dataset.officer = p.officer_id;
    row.dataset.acknowledged = String(p.current_acknowledged);
    if (!p.current_acknowledged) row.className = 'is-unacknowledged';
    let acknowledged = 'not acknowledged';
    if (p.acknowledged_version !== null) {
      acknowledged = 'v' + p.acknowledged_version + ' at ' + clockText(p.acknowledged_at)
        + (p.current_acknowledged ? '' : ' (not the current version)');
    }
    row.append(
      el('td', p.assignment_id + ' · ' + p.title),
      el('td', p.officer_id),
      el('td', 'v' + p.current_version),
      el('td', acknowledged),
    );
    body.append(row);
  });
  $('post-orders-empty').hidden = state.postOrders.length > 0;
}

function renderResolved() {
  const list = $('resolved');
  list.replaceChildren();
  state.resolved.forEach((a) => {
    const last = a.events[a.events.length - 1];
    let text = clockText(last.at) + ' · ' + (KIND[a.kind] || a.kind) + ' · ' + a.officer_id + ' · ' + (last.outcome || '').replace(/_/g, ' ');
    if (last.police_reference) text += ' · ref ' + last.police_reference;
    const item = el('li', text);
    item.dataset.alarmId = a.id;
    list.append(item);
  });
}

function chainText(integrity) {
  switch (integrity.state) {
    case 'intact': return 'chain intact (' + integrity.amendments + ' amendment' + (integrity.amendments === 1 ? '' : 's') + ')';
    case 'broken': return 'CHAIN BROKEN at link ' + integrity.link + ': ' + integrity.reason;
    default: return 'draft';
  }
}

function renderReports() {
  const list = $('reports');
  list.replaceChildren();
  $('reports-empty').hidden = state.reports.length > 0;
  const supervisor = state.operator && state.operator.role === 'supervisor';
  state.reports.forEach((r) => {
    const item = el('li');
    item.dataset.reportId = r.id;
    item.dataset.integrity = r.integrity.state;
    const details = el('details');
    details.open = state.openReports.has(r.id);
    details.addEventListener('toggle', () => {
      if (details.open) state.openReports.add(r.id); else state.openReports.delete(r.id);
    });
    const c = r.content;
    const review = r.reviews.length ? r.reviews[r.reviews.length - 1] : null;
    const summary = el('summary');
    summary.append(
      el('span', clockText(r.submitted_at || r.updated_at) + ' · ' + r.officer_id + ' · ' + c.category.replace(/_/g, ' ') + ' · ' + c.severity + ' · ' + r.state + ' · '),
      el('span', chainText(r.integrity), r.integrity.state === 'broken' ? 'chain-broken' : (r.integrity.state === 'intact' ? 'chain-intact' : '')),
    );
    if (review) summary.append(el('span', ' · ' + review.outcome + ' by ' + review.reviewer));
    if (r.route && r.route.reviewer) summary.append(el('span', ' · for ' + r.route.reviewer, 'routed'));
    details.append(summary);
    const facts = el('dl', null, 'facts');
    fact(facts, 'Occurred (device)', clockText(c.occurred_at));
    fact(facts, 'Assignment', c.assignment_id);
    fact(facts, 'Position', c.location ? positionText(c.location) : '');
    fact(facts, 'Police reference', c.police_reference);
    fact(facts, 'Control room reference', c.control_room_reference);
    fact(facts, 'Actions taken', c.actions_taken);
    fact(facts, 'Injuries', c.injuries);
    fact(facts, 'Persons involved', c.persons && c.persons.length ? c.persons.map((p) => p.role + ': ' + p.description).join('\n') : '');
    fact(facts, 'Attachments', r.attachments.length ? r.attachments.map((a) => a.kind + ' ' + a.file_name + ' (' + a.size_bytes + ' bytes)').join('\n') : '');
    details.append(facts, el('p', c.narrative, 'narrative'));
    if (r.amendments.length) {
      details.append(el('h3', 'Amendments'));
      const amendments = el('ol', null, 'events');
      r.amendments.forEach((a) => amendments.append(el('li', '#' + a.sequence + ' ' + clockText(a.created_at) + ' by ' + a.author + ': ' + a.reason + ' (' + a.changed_fields.join(', ') + ')')));
      details.append(amendments);
    }
    r.reviews.forEach((v) => details.append(el('p', 'Review: ' + v.outcome + ' by ' + v.reviewer + ' at ' + clockText(v.reviewed_at) + (v.note ? ' · ' + v.note : ''))));
    const routedToMe = r.route && state.operator && r.route.reviewer === state.operator.username;
    if ((supervisor || routedToMe) && r.state === 'submitted') details.append(reviewForm(r.id, 'reports'));
    item.append(details);
    list.append(item);
  });
}

// `place` tells the report list and the queue for my review apart: the same report may
// stand in both, each with its own draft.
function reviewForm(reportId, place) {
  const form = el('form', null, 'review-form');
  const outcome = el('select');
  outcome.name = 'outcome';
  [['accepted', 'Accept'], ['returned', 'Return to the officer']].forEach(([value, text]) => {
    const option = el('option', text);
    option.value = value;
    outcome.append(option);
  });
  draft(outcome, 'review-outcome:' + place + ':' + reportId);
  const note = el('input');
  note.name = 'note';
  note.maxLength = 2000;
  draft(note, 'review-note:' + place + ':' + reportId);
  const outcomeLabel = el('label', 'Review ');
  outcomeLabel.append(outcome);
  const noteLabel = el('label', 'Note ');
  noteLabel.append(note);
  const button = el('button', 'Record review');
  button.type = 'submit';
  button.dataset.action = 'review';
  form.append(outcomeLabel, noteLabel, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await act('/reports/' + encodeURIComponent(reportId) + '/review', { outcome: outcome.value, note: note.value })) {
      forgetDrafts(':' + reportId);
    }
  });
  return form;
}

// Sent, then delivered (the officer's phone pulled it), then read (the phone's clock).
function messageState(m) {
  let text = 'sent ' + clockText(m.sent_at);
  text += m.delivered_at ? ' · delivered ' + clockText(m.delivered_at) : ' · not yet delivered';
  if (m.read_at) text += ' · read at ' + clockText(m.read_at);
  const state = m.read_at ? 'read' : (m.delivered_at ? 'delivered' : 'sent');
  return { state, text };
}

function renderMessages() {
  const list = $('messages');
  list.replaceChildren();
  $('messages-empty').hidden = state.messages.length > 0;
  state.messages.forEach((m) => {
    const item = el('li', null, 'message');
    const status = messageState(m);
    item.dataset.messageId = m.id;
    item.dataset.state = status.state;
    let head = clockText(m.sent_at) + ' · to ' + m.officer_id + ' · from ' + m.sender;
    if (m.alarm_id) head += ' · about alarm ' + m.alarm_id.slice(0, 8);
    item.append(
      el('p', head, 'message-head'),
      el('p', m.body, 'message-body'),
      el('p', status.text, 'message-state state-' + status.state),
    );
    list.append(item);
  });
}

// ---- actions ----
async function act(path, body) {
  $('action-error').textContent = '';
  try {
    await call('POST', path, body);
    await refresh();
    return true;
  } catch (e) {
    $('action-error').textContent = e.message;
    return false;
  }
}

$('ack-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  if (!state.selected) return;
  if (await act('/alarms/' + encodeURIComponent(state.selected) + '/acknowledge', { note: form.elements.note.value })) {
    form.reset();
    $('resolve-form').elements.outcome.focus();
  }
});

$('resolve-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  if (!state.selected) return;
  const ok = await act('/alarms/' + encodeURIComponent(state.selected) + '/resolve', {
    outcome: form.elements.outcome.value,
    police_reference: form.elements.police_reference.value,
    note: form.elements.note.value,
  });
  if (ok) form.reset();
});

$('message-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  $('message-error').textContent = '';
  try {
    await call('POST', '/messages', {
      officer_id: form.elements.officer_id.value.trim(),
      body: form.elements.body.value,
      alarm_id: form.elements.alarm_id.value.trim() || null,
    });
    form.elements.body.value = '';
    form.elements.alarm_id.value = '';
    await refresh();
  } catch (e) {
    $('message-error').textContent = e.message;
  }
});

$('message-about').addEventListener('click', () => {
  const alarm = state.open.concat(state.resolved).find((a) => a.id === state.selected);
  if (!alarm) return;
  const form = $('message-form');
  form.elements.officer_id.value = alarm.officer_id;
  form.elements.alarm_id.value = alarm.id;
  form.elements.body.focus();
});

// ---- keyboard ----
document.addEventListener('keydown', (event) => {
  const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement.tagName);
  if (typing || event.ctrlKey || event.metaKey || event.altKey || $('desk').hidden) return;
  const index = state.open.findIndex((a) => a.id === state.selected);
  if (event.key === 'j' || event.key === 'k') {
    const next = state.open[Math.min(state.open.length - 1, Math.max(0, index + (event.key === 'j' ? 1 : -1)))];
    if (next) { state.selected = next.id; renderQueue(); renderDetail(); }
  } else if (event.key === 'a' && !$('ack-form').hidden) {
    event.preventDefault();
    $('ack-form').elements.note.focus();
  } else if (event.key === 'r' && !$('resolve-form').hidden) {
    event.preventDefault();
    $('resolve-form').elements.outcome.focus();
  }
});

// ---- movements of the principal ----
// A leg as one line: path, officer in charge, ETA now, and its latest event.
function legText(leg) {
  let text = leg.origin + ' → ' + leg.destination + ' · ' + leg.officer_in_charge + ' in charge · ETA ' + clockText(leg.eta);
  if (leg.last_event) text += ' · last: ' + leg.last_event.replace(/_/g, ' ') + ' at ' + clockText(leg.last_event_at);
  return text;
}

// Each assignment with legs: its legs (status now) and the day's movement log.
function renderMovements() {
  const box = $('movements');
  box.replaceChildren();
  state.movements.forEach((m) => {
    const part = el('article', null, 'movement');
    part.dataset.assignment = m.assignment_id;
    part.append(el('h3', m.reference + ' · ' + m.title + ' · ' + m.day));
    const legs = el('ul', null, 'movement-legs');
    m.legs.forEach((l) => {
      const s = l.state;
      const item = el('li', s.leg.origin + ' → ' + s.leg.destination + ' · ETA ' + clockText(s.eta) + ' · ' + l.officer_id, 'leg-' + s.status);
      item.dataset.leg = s.leg.id;
      item.dataset.status = s.status;
      item.prepend(el('span', s.status.replace(/_/g, ' '), 'flag'));
      legs.append(item);
    });
    const log = el('ol', null, 'movement-log');
    m.log.forEach((e) => {
      const line = el('li', e.text);
      line.dataset.leg = e.leg_id;
      log.append(line);
    });
    part.append(legs, log);
    box.append(part);
  });
  $('movements-empty').hidden = state.movements.length > 0;
}

// ---- clock, ages, repeats ----
$('clock').textContent = clockText(new Date().toISOString());
setInterval(() => {
  $('clock').textContent = clockText(new Date().toISOString());
  document.querySelectorAll('[data-since]').forEach((node) => { node.textContent = ageText(node.dataset.since); });
}, 1000);
// The welfare clock moves with time alone: read the officers again now and then.
setInterval(() => { if (state.csrf) refresh(); }, 15000);
// An unacknowledged alarm keeps sounding.
setInterval(() => { if (state.csrf && state.open.some((a) => a.state === 'raised')) beep(); }, 20000);

// ---- the duty rota, handover notes, reports for my review ----
// Every officer-written field (a handover's texts, a report's narrative) goes on the page
// with textContent only.
state.rota = [];
state.handovers = { unacknowledged: [], handovers: [] };
state.forMe = [];

async function refreshDuty() {
  const [rota, handovers, forMe] = await Promise.all([
    call('GET', '/rota'), call('GET', '/handovers'), call('GET', '/reports/for-me'),
  ]);
  state.rota = rota.shifts;
  state.handovers = handovers;
  state.forMe = forMe.reports;
  keepingFocus(() => {
    renderRota();
    renderHandovers();
    renderForMe();
  });
}

function shiftStatus(s) {
  if (s.stood_down_at) return 'stood down ' + clockText(s.stood_down_at) + ' by ' + s.stood_down_by;
  if (s.called_in_at) return 'CALLED IN ' + clockText(s.called_in_at) + ' by ' + s.called_in_by;
  return s.role === 'on_call' ? 'on call' : 'on duty';
}

function rotaButton(text, action, shiftId) {
  const button = el('button', text, 'secondary');
  button.type = 'button';
  button.dataset.action = action;
  button.addEventListener('click', () => act('/rota/' + encodeURIComponent(shiftId) + '/' + action, {}));
  return button;
}

function renderRota() {
  const body = $('rota').tBodies[0];
  body.replaceChildren();
  const now = Date.now();
  state.rota.forEach((s) => {
    const row = el('tr');
    row.dataset.shiftId = s.shift_id;
    row.dataset.officer = s.officer_id;
    if (s.called_in_at && !s.stood_down_at) row.className = 'is-called-in';
    const actions = el('td');
    if (s.role === 'on_call' && !s.called_in_at && Date.parse(s.ends_at) > now) actions.append(rotaButton('Call in', 'call-in', s.shift_id));
    if (s.called_in_at && !s.stood_down_at) actions.append(rotaButton('Stand down', 'stand-down', s.shift_id));
    row.append(
      el('td', s.assignment_id),
      el('td', s.officer_id),
      el('td', s.role.replace('_', ' ')),
      el('td', clockText(s.starts_at) + ' – ' + clockText(s.ends_at)),
      el('td', shiftStatus(s), 'shift-status'),
      actions,
    );
    body.append(row);
  });
  $('rota-empty').hidden = state.rota.length > 0;
}

function handoverItem(h) {
  const item = el('li', null, 'handover');
  item.dataset.handoverId = h.id;
  item.dataset.acknowledged = String(Boolean(h.acknowledged_at));
  item.append(el('p', clockText(h.written_at) + ' · ' + h.assignment_id + ' · from ' + h.from_officer_id + ' to ' + h.to_officer_id, 'handover-head'));
  const facts = el('dl', null, 'facts');
  fact(facts, "Principal's state", h.principal_state);
  fact(facts, 'Open issues', h.open_issues);
  fact(facts, 'Equipment and keys', h.equipment_and_keys);
  fact(facts, 'Anything to watch', h.watch_for);
  item.append(facts, el('p', h.acknowledged_at
    ? 'acknowledged by ' + h.to_officer_id + ' at ' + clockText(h.acknowledged_at)
    : 'NOT ACKNOWLEDGED by ' + h.to_officer_id, h.acknowledged_at ? 'handover-state state-read' : 'handover-state is-unacknowledged'));
  return item;
}

function renderHandovers() {
  const waiting = $('handovers-unacknowledged');
  waiting.replaceChildren(...state.handovers.unacknowledged.map(handoverItem));
  $('handovers-unacknowledged-empty').hidden = state.handovers.unacknowledged.length > 0;
  $('handovers').replaceChildren(...state.handovers.handovers.map(handoverItem));
}

function renderForMe() {
  const list = $('for-review');
  list.replaceChildren();
  state.forMe.forEach((r) => {
    const item = el('li');
    item.dataset.reportId = r.id;
    item.append(
      el('p', clockText(r.submitted_at) + ' · ' + r.officer_id + ' · ' + r.content.category.replace(/_/g, ' ') + ' · ' + r.content.severity + ' · routed ' + r.route.routed_by.replace(/_/g, ' '), 'handover-head'),
      el('p', r.content.narrative, 'narrative'),
      reviewForm(r.id, 'for-me'),
    );
    list.append(item);
  });
  $('for-review-empty').hidden = state.forMe.length > 0;
}

// ---- start ----
(async () => {
  try {
    signedIn(await call('GET', '/session'));
  } catch (_) {
    signedOut();
  }
})();

// ---- devices, and revoking a lost one (supervisors) ----
state.devices = [];

async function refreshDevices() {
  state.devices = (await call('GET', '/devices')).devices;
  keepingFocus(renderDevices);
}

function deviceState(d) {
  const r = d.revocation;
  if (!r) return 'enrolled';
  const revoked = 'revoked ' + clockText(r.revoked_at) + ' by ' + r.revoked_by + ' (' + r.reason + ')';
  if (!r.confirmed_at) return revoked + '; not yet told';
  const named = r.unsent.map((u) => u.kind + ' ' + u.record_id).join(', ');
  return revoked + '; erased ' + clockText(r.confirmed_at) + ', ' + r.unsent_total + ' not sent'
    + (named ? ': ' + named : '');
}

function revokeForm(deviceId) {
  const form = el('form', null, 'revoke-form');
  const reason = el('input');
  reason.name = 'reason';
  reason.required = true;
  reason.maxLength = 256;
  reason.placeholder = 'Why (lost, seized…)';
  reason.setAttribute('aria-label', 'Reason for revoking ' + deviceId);
  draft(reason, 'revoke-reason:' + deviceId);
  const button = el('button', 'Revoke', 'danger');
  button.type = 'submit';
  form.append(reason, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const sent = reason.value;
    if (await act('/devices/' + encodeURIComponent(deviceId) + '/revoke', { reason: sent })) {
      forgetDrafts('revoke-reason:' + deviceId);
    }
  });
  return form;
}

function renderDevices() {
  const body = $('devices').tBodies[0];
  body.replaceChildren();
  const supervisor = state.operator && state.operator.role === 'supervisor';
  state.devices.forEach((d) => {
    const row = el('tr');
    row.dataset.device = d.device_id;
    row.dataset.revoked = String(Boolean(d.revocation));
    if (d.revocation) row.className = 'is-revoked';
    const action = el('td');
    if (supervisor && !d.revocation) action.append(revokeForm(d.device_id));
    row.append(
      el('td', d.officer_id),
      el('td', d.device_id.slice(0, 8), 'mono'),
      el('td', clockText(d.enrolled_at)),
      el('td', deviceState(d), 'device-state'),
      action,
    );
    body.append(row);
  });
  $('devices-empty').hidden = state.devices.length > 0;
}
// ---- surveillance log: BOLO list, sightings (matches first), repeat sightings ----
// A BOLO match must not be missed: the banner at the top stays until the operator says
// they have seen every match received so far (kept for this browser tab).
state.sightings = { bolo: [], sightings: [], repeats: [], repeat_window_secs: 0 };
const BOLO_SEEN = 'cordon.bolo.seen';

function matchText(label, m) {
  return m ? label + ' match: ' + m.registration + ' (' + m.priority + ') ' + m.reason : label + ': no match';
}

function vehicleText(v) {
  if (!v) return '';
  return [v.colour, v.make, v.model, v.registration].filter((x) => x).join(' ');
}

function renderSightings() {
  const data = state.sightings;
  const bolo = $('bolo');
  bolo.replaceChildren();
  data.bolo.forEach((e) => {
    const row = el('tr');
    row.dataset.boloId = e.id;
    const withdraw = el('button', 'Withdraw');
    withdraw.type = 'button';
    withdraw.dataset.action = 'withdraw';
    withdraw.addEventListener('click', () => act('/bolo/' + encodeURIComponent(e.id) + '/withdraw', {}));
    const actions = el('td');
    actions.append(withdraw);
    row.append(el('td', e.priority), el('td', e.registration || '-'), el('td', e.description || ''),
      el('td', e.reason), el('td', 'v' + e.version), actions);
    bolo.append(row);
  });
  $('bolo-empty').hidden = data.bolo.length > 0;

  const seen = sessionStorage.getItem(BOLO_SEEN) || '';
  const list = $('sightings');
  list.replaceChildren();
  let unseen = 0;
  data.sightings.forEach((s) => {
    const matched = Boolean(s.bolo_match || s.office_match);
    if (matched && s.received_at > seen) unseen += 1;
    const item = el('li', undefined, matched ? 'sighting is-match' : 'sighting');
    item.dataset.sightingId = s.id;
    item.dataset.match = String(matched);
    item.append(
      el('p', (matched ? 'BOLO MATCH · ' : '') + clockText(s.occurred_at) + ' · ' + s.officer_id + ' · ' + s.place, 'sighting-head'),
      el('p', vehicleText(s.vehicle), 'sighting-vehicle'),
      el('p', s.subject || '', 'sighting-subject'),
      el('p', s.direction ? 'Direction: ' + s.direction : '', 'sighting-direction'),
    );
    if (matched) {
      item.append(el('p', matchText('Device', s.bolo_match), 'sighting-device-match'),
        el('p', matchText('Office', s.office_match), 'sighting-office-match'));
    }
    if (s.photos.length > 0) item.append(el('p', s.photos.length + ' photo(s)', 'sighting-photos'));
    list.append(item);
  });
  $('sightings-empty').hidden = data.sightings.length > 0;
  const banner = $('bolo-alert');
  banner.hidden = unseen === 0;
  banner.dataset.unseen = String(unseen);
  $('bolo-alert-text').textContent = unseen + ' sighting(s) matched the BOLO list';
  document.body.dataset.boloMatches = String(unseen);

  const repeats = $('repeats');
  repeats.replaceChildren();
  data.repeats.forEach((r) => {
    const item = el('li', r.registration + ' seen ' + r.sightings.length + ' times by ' + r.officers.join(', ')
      + ' at ' + r.places.join('; '));
    item.dataset.registration = r.registration;
    repeats.append(item);
  });
  $('repeats-empty').hidden = data.repeats.length > 0;
  $('repeat-window').textContent = Math.round(data.repeat_window_secs / 3600) + ' h';
}

$('bolo-seen').addEventListener('click', () => {
  const newest = state.sightings.sightings.map((s) => s.received_at).sort().pop() || '';
  sessionStorage.setItem(BOLO_SEEN, newest);
  renderSightings();
  $('sightings-title').scrollIntoView();
});

$('bolo-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const ok = await act('/bolo', {
    registration: form.elements.registration.value.trim() || null,
    description: form.elements.description.value.trim() || null,
    reason: form.elements.reason.value,
    priority: form.elements.priority.value,
  });
  if (ok) form.reset();
});
