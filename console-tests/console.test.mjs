// The control-room console end to end, in a real browser: the real `cordon serve` on a
// loopback port, a real device (`cordon device`) sending a duress alarm, and Debian's
// Chromium, headless, driven by playwright-core. Run by scripts/console-e2e.sh, which
// builds the binary and installs Chromium; CORDON_BIN names the binary, SHOTS the folder
// for screenshots (docs/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const BIN = process.env.CORDON_BIN;
const SHOTS = process.env.SHOTS;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
assert.ok(BIN, 'CORDON_BIN names the cordon binary');

const dir = mkdtempSync(path.join(tmpdir(), 'cordon-console-'));
const db = path.join(dir, 'office.db');
let server;
let url;
let browser;
let page;
const problems = [];

function cordon(...args) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
const admin = (...args) => cordon('admin', '--db', db, ...args);
const device = (phone, ...args) => cordon('device', '--db', path.join(dir, phone), ...args);

function enrol(phone, officer) {
  const code = admin('enrol', '--organisation', 'acme', '--officer', officer);
  device(phone, 'enrol', '--server', url, '--code', code);
}

async function shot(name) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

before(async () => {
  // The server on a port the system picks; its one stdout line says which.
  server = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr.resume();
  const line = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: server.stdout });
    lines.once('line', resolve);
    server.once('exit', (code) => reject(new Error('cordon serve exited ' + code)));
  });
  url = line.replace('listening on ', '').trim();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--autoplay-policy=no-user-gesture-required'] });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text() + ' ' + JSON.stringify(m.location())); });
  page.on('pageerror', (e) => problems.push(String(e)));
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    // Stopped by its process id; it exits 0 once the console's stream has ended.
    const exited = new Promise((resolve) => server.once('exit', resolve));
    process.kill(server.pid, 'SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
    if (code === 'timeout') process.kill(server.pid, 'SIGKILL');
    assert.equal(code, 0, 'cordon serve stops cleanly with a console connected');
  }
  rmSync(dir, { recursive: true, force: true });
});

test('an operator signs in, sees a duress alarm arrive, acknowledges and resolves it with a police reference, and the phone pulls each step', async () => {
  const password = admin('operator', 'add', '--organisation', 'acme', '--username', 'op.jones');
  enrol('phone.db', 'OFC-7');

  await page.goto(url + '/console');
  await page.fill('#login-form input[name=password]', 'not the password');
  await page.fill('#login-form input[name=organisation]', 'acme');
  await page.fill('#login-form input[name=username]', 'op.jones');
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  assert.match(await page.textContent('#login-error'), /wrong/);

  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#desk:not([hidden])');
  await page.waitForSelector('#link.live');
  await page.waitForSelector('#queue-empty:not([hidden])');

  // Markup in what the officer wrote must arrive as text.
  const note = '<img src=x id=injected> Grey Audi RK61 at the east gate';
  device('phone.db', 'check-in', '--kind', 'duress', '--note', note, '--lat=51.501234', '--lon=-0.141234', '--accuracy', '8');
  device('phone.db', 'sync');
  const sent = Date.now();
  await page.waitForSelector('#alarm-queue li[data-kind=duress][data-state=raised]', { timeout: 5000 });
  const shown = Date.now() - sent;
  assert.ok(shown < 1000, `the alarm reached the console in ${shown} ms`);
  console.log(`# duress alarm on screen ${shown} ms after the device's sync returned`);

  assert.equal(await page.locator('#injected').count(), 0, 'no element made from the note');
  assert.ok((await page.textContent('#detail-facts')).includes(note), 'the note shown as text');
  assert.ok((await page.textContent('#detail-facts')).includes('51.50123, -0.14123 ±8 m'));
  assert.ok(Number(await page.getAttribute('body', 'data-beeps')) >= 1, 'the audible cue sounded');
  await shot('console-alarm.png');

  // Acknowledge from the keyboard: `a` goes to the note, Tab to the button, Enter.
  await page.focus('body');
  await page.keyboard.press('a');
  await page.keyboard.type('Calling the officer on the back channel');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#alarm-queue li[data-kind=duress][data-state=acknowledged]');
  assert.match(await page.textContent('#detail-events'), /acknowledged by op\.jones/);

  // The phone learns that the control room has its alarm (covertly: state only).
  device('phone.db', 'sync');
  const onPhone = JSON.parse(device('phone.db', 'alarms', '--json'));
  assert.equal(onPhone.length, 1);
  assert.equal(onPhone[0].kind, 'duress');
  assert.equal(onPhone[0].state, 'acknowledged');
  assert.equal(onPhone[0].note, 'Calling the officer on the back channel');

  await page.selectOption('#resolve-form select[name=outcome]', 'police_attended');
  await page.fill('#resolve-form input[name=police_reference]', 'CAD-2211-0457');
  await page.click('#resolve-form button[data-action=resolve]');
  await page.waitForSelector('#queue-empty:not([hidden])');
  await page.waitForFunction(() => document.getElementById('resolved').textContent.includes('CAD-2211-0457'));
  device('phone.db', 'sync');
  assert.equal(JSON.parse(device('phone.db', 'alarms', '--json'))[0].state, 'resolved');
  await shot('console-resolved.png');

});

test('the operator sends a message to the officer; the phone pulls it and marks it read; the console shows it read', async () => {
  const body = '<b id=injected3>Hold</b> at the east gate. Police two minutes out.';
  await page.fill('#message-form input[name=officer_id]', 'OFC-7');
  await page.fill('#message-form textarea[name=body]', body);
  await page.click('#message-form button[data-action=message]');
  await page.waitForSelector('#messages li[data-state=sent]', { timeout: 5000 });
  const item = '#messages li:first-child';
  assert.match(await page.textContent(`${item} .message-state`), /^sent \d\d:\d\d:\d\d · not yet delivered$/);
  assert.equal(await page.textContent(`${item} .message-body`), body, 'the message shown as text');
  assert.equal(await page.locator('#injected3').count(), 0, 'no element made from the message');

  device('phone.db', 'sync');
  await page.waitForSelector(`${item}[data-state=delivered]`, { timeout: 5000 });
  const onPhone = JSON.parse(device('phone.db', 'messages', '--json'));
  assert.equal(onPhone.length, 1);
  assert.equal(onPhone[0].message.body, body);
  assert.equal(onPhone[0].message.sender, 'op.jones');
  assert.equal(onPhone[0].read_at, null);

  device('phone.db', 'read', onPhone[0].message.message_id);
  device('phone.db', 'sync');
  await page.waitForSelector(`${item}[data-state=read]`, { timeout: 5000 });
  assert.match(await page.textContent(`${item} .message-state`),
    /^sent \d\d:\d\d:\d\d · delivered \d\d:\d\d:\d\d · read at \d\d:\d\d:\d\d$/);
  assert.notEqual(JSON.parse(device('phone.db', 'messages', '--json'))[0].read_at, null);
  await shot('console-messages.png');
});

test('a submitted incident report is listed with its hash chain verified, its narrative as text', async () => {
  const narrative = '<script id=injected2>alert(1)</script> Grey Audi RK61 circled the residence twice';
  const reportId = device('phone.db', 'incident', 'create', '--category', 'hostile_surveillance',
    '--severity', 'medium', '--narrative', narrative);
  device('phone.db', 'incident', 'submit', reportId);
  device('phone.db', 'sync');
  const row = `#reports li[data-report-id="${reportId}"]`;
  await page.waitForSelector(`${row}[data-integrity=intact]`, { timeout: 5000 });
  await page.click(`${row} summary`);
  assert.equal(await page.textContent(`${row} .narrative`), narrative);
  assert.equal(await page.locator('#injected2').count(), 0);
  assert.match(await page.textContent(`${row} summary`), /chain intact \(0 amendments\)/);
  await shot('console-reports.png');
});

test('an officer who goes silent is shown overdue with no device traffic at all', async () => {
  const assignment = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'assignment.json'), 'utf8'));
  assignment.id = 'A-SILENT';
  assignment.reference = 'OP-NIGHTJAR-01';
  assignment.title = 'Embassy residence, static post';
  assignment.check_in_policy = { interval_secs: 60, grace_secs: 0 };
  assignment.starts_at = new Date(Date.now() - 3600e3).toISOString();
  assignment.ends_at = new Date(Date.now() + 3600e3).toISOString();
  const file = path.join(dir, 'silent.json');
  writeFileSync(file, JSON.stringify(assignment));
  admin('assignment', '--file', file, '--organisation', 'acme', '--officer', 'OFC-9');
  enrol('silent.db', 'OFC-9');
  device('silent.db', 'sync');
  // Clocked on 50 s ago: the deadline (60 s, no grace) is 10 s away.
  const clockedOn = Date.now() - 50e3;
  device('silent.db', 'check-in', '--kind', 'clock_on', '--assignment', 'A-SILENT',
    '--occurred-at', new Date(clockedOn).toISOString(), '--lat=51.5', '--lon=-0.15', '--accuracy', '12');
  device('silent.db', 'sync');
  // From here on the phone is silent.
  await page.waitForSelector('#officers tr[data-officer=OFC-9]', { timeout: 20000 });
  assert.notEqual(await page.getAttribute('#officers tr[data-officer=OFC-9]', 'data-welfare'), 'overdue');
  await page.waitForSelector('#overdue li[data-officer=OFC-9]', { timeout: 30000 });
  await page.waitForSelector('#alarm-queue li[data-kind=overdue]', { timeout: 5000 });
  const late = Date.now() - (clockedOn + 60e3);
  console.log(`# overdue officer on screen ${late} ms after the deadline`);
  assert.ok(late < 5000, `overdue shown ${late} ms after the deadline`);
  assert.equal(await page.getAttribute('#officers tr[data-officer=OFC-9]', 'data-welfare'), 'overdue');
  assert.match(await page.textContent('#officers tr[data-officer=OFC-9]'), /51\.50000, -0\.15000 ±12 m/);
  await shot('console-overdue.png');
});

test('post orders: the console shows who acknowledged which version, live, and asks again after a new version', async () => {
  const assignment = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'assignment.json'), 'utf8'));
  assignment.id = 'A-ORDERS';
  assignment.reference = 'OP-KESTREL-02';
  assignment.title = '<i id=injected4>Hotel</i> escort';
  assignment.post_orders.version = 4;
  const file = path.join(dir, 'orders.json');
  writeFileSync(file, JSON.stringify(assignment));
  admin('assignment', '--file', file, '--organisation', 'acme', '--officer', 'OFC-7');
  const row = '#post-orders tr[data-assignment=A-ORDERS][data-officer=OFC-7]';
  await page.waitForSelector(`${row}[data-acknowledged=false]`, { timeout: 5000 });
  assert.match(await page.textContent(row), /not acknowledged/);
  assert.match(await page.textContent(row), /<i id=injected4>Hotel<\/i> escort/, 'the title shown as text');
  assert.equal(await page.locator('#injected4').count(), 0);

  device('phone.db', 'sync');
  const acked = JSON.parse(device('phone.db', 'post-orders', '--assignment', 'A-ORDERS', '--acknowledge', '4', '--json'));
  assert.equal(acked.version, 4);
  assert.notEqual(acked.acknowledged_at, null);
  device('phone.db', 'sync');
  await page.waitForSelector(`${row}[data-acknowledged=true]`, { timeout: 5000 });
  assert.match(await page.textContent(row), /v4 at \d\d:\d\d:\d\d/);
  await shot('console-post-orders.png');

  assignment.post_orders.version = 5;
  writeFileSync(file, JSON.stringify(assignment));
  admin('assignment', '--file', file, '--organisation', 'acme', '--officer', 'OFC-7');
  await page.waitForSelector(`${row}[data-acknowledged=false]`, { timeout: 5000 });
  assert.match(await page.textContent(row), /v4 at .* \(not the current version\)/);
  device('phone.db', 'sync');
  const asked = JSON.parse(device('phone.db', 'post-orders', '--assignment', 'A-ORDERS', '--json'));
  assert.deepEqual([asked.version, asked.acknowledged_at], [5, null]);
});

test('a supervisor revokes a lost phone; the phone erases itself and the console shows what it had not sent', async () => {
  const password = admin('operator', 'add', '--organisation', 'acme', '--username', 'sup.kim', '--role', 'supervisor');
  enrol('lost.db', 'OFC-5');
  device('lost.db', 'sync');
  const unsent = device('lost.db', 'check-in', '--kind', 'panic');
  // The operator's page lists the phone but offers no revocation.
  await page.waitForFunction(() => [...document.querySelectorAll('#devices tr')].some((r) => r.textContent.includes('OFC-5')), null, { timeout: 5000 });
  assert.equal(await page.locator('#devices .revoke-form').count(), 0, 'operators cannot revoke');

  const supervisor = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  supervisor.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  supervisor.on('pageerror', (e) => problems.push(String(e)));
  await supervisor.goto(url + '/console');
  await supervisor.fill('#login-form input[name=organisation]', 'acme');
  await supervisor.fill('#login-form input[name=username]', 'sup.kim');
  await supervisor.fill('#login-form input[name=password]', password);
  await supervisor.click('#login-form button[type=submit]');
  await supervisor.waitForSelector('#desk:not([hidden])');
  const lost = supervisor.locator('#devices tr', { hasText: 'OFC-5' });
  await lost.locator('.revoke-form').waitFor({ timeout: 5000 });
  const reason = '<img src=x id=injected5> lost on the Victoria line';
  await lost.locator('input[name=reason]').fill(reason);
  // A refresh while the supervisor types (another phone enrols: the table is drawn again)
  // keeps what was typed.
  enrol('spare.db', 'OFC-6');
  await supervisor.waitForFunction(() => [...document.querySelectorAll('#devices tr')].some((r) => r.textContent.includes('OFC-6')), null, { timeout: 5000 });
  assert.equal(await lost.locator('input[name=reason]').inputValue(), reason, 'the reason survives a refresh');
  await lost.locator('button[type=submit]').click();
  await supervisor.waitForSelector('#devices tr[data-revoked=true]', { timeout: 5000 });
  assert.match(await lost.textContent(), /revoked .* by sup\.kim .*not yet told/);
  assert.ok((await lost.textContent()).includes(reason), 'the reason shown as text');
  assert.equal(await supervisor.locator('#injected5').count(), 0);

  // The phone's next sync: told it is revoked, it names what it had not sent and erases.
  assert.throws(() => device('lost.db', 'sync'), /revoked this device: its data was erased/);
  assert.equal(existsSync(path.join(dir, 'lost.db')), false, 'the database is gone');
  await supervisor.waitForFunction(() => document.querySelector('#devices tr[data-revoked=true] .device-state').textContent.includes('erased'), null, { timeout: 5000 });
  assert.ok((await lost.textContent()).includes('1 not sent: check_in.record ' + unsent));
  await supervisor.close();
});

test('surveillance log: an operator issues a BOLO, the phone flags a sighting of that car offline, and the match is on top of the console at once', async () => {
  await page.fill('#bolo-form input[name=registration]', 'ab12 cde');
  await page.fill('#bolo-form input[name=description]', '<img src=x id=injected8> grey Transit');
  await page.fill('#bolo-form input[name=reason]', 'Photographed the residence on Tuesday');
  await page.selectOption('#bolo-form select[name=priority]', 'high');
  await page.click('#bolo-form button[data-action=bolo]');
  await page.waitForSelector('#bolo tr[data-bolo-id]', { timeout: 5000 });
  assert.match(await page.textContent('#bolo tr[data-bolo-id]'), /AB12CDE.*<img src=x id=injected8> grey Transit/);

  device('phone.db', 'sync');
  assert.equal(JSON.parse(device('phone.db', 'sighting', 'bolo', '--json'))[0].registration, 'AB12CDE');
  // No signal needed: the match is computed on the phone as the sighting is written.
  const subject = '<script id=injected6>alert(1)</script> two men, long lens';
  const plain = JSON.parse(device('phone.db', 'sighting', 'add', '--place', 'Mews', '--registration', 'XY11 ZZZ', '--json'));
  assert.equal(plain.bolo_match, null);
  const seen = JSON.parse(device('phone.db', 'sighting', 'add', '--place', '<b id=injected7>East gate</b>',
    '--registration', 'AB-12-CDE', '--colour', 'Grey', '--subject', subject, '--direction', 'north', '--json'));
  assert.equal(seen.bolo_match.registration, 'AB12CDE');
  device('phone.db', 'sync');

  await page.waitForSelector('#bolo-alert:not([hidden])', { timeout: 5000 });
  assert.match(await page.textContent('#bolo-alert'), /1 sighting\(s\) matched the BOLO list/);
  const first = '#sightings li:first-child';
  assert.equal(await page.getAttribute(first, 'data-sighting-id'), seen.id);
  assert.equal(await page.getAttribute(first, 'data-match'), 'true');
  assert.equal(await page.textContent(`${first} .sighting-subject`), subject);
  assert.match(await page.textContent(`${first} .sighting-head`), /BOLO MATCH .* <b id=injected7>East gate<\/b>/);
  assert.match(await page.textContent(`${first} .sighting-office-match`), /Office match: AB12CDE \(high\)/);
  for (const id of ['#injected8', '#injected6', '#injected7']) assert.equal(await page.locator(id).count(), 0);
  await shot('console-sightings.png');

  await page.click('#bolo-seen');
  await page.waitForSelector('#bolo-alert[hidden]', { state: 'attached' });
  await page.click('#bolo tr[data-bolo-id] button[data-action=withdraw]');
  await page.waitForSelector('#bolo-empty:not([hidden])', { timeout: 5000 });
  device('phone.db', 'sync');
  assert.deepEqual(JSON.parse(device('phone.db', 'sighting', 'bolo', '--json')), []);
});

test('movements: an overdue leg raises an alarm with its leg, the day\'s log reads in order, a late arrival shows on the alarm', async () => {
  const assignment = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'assignment.json'), 'utf8'));
  assignment.id = 'A-MOVES';
  assignment.reference = 'OP-KESTREL-03';
  assignment.title = 'Principal\'s evening movements';
  const file = path.join(dir, 'moves.json');
  writeFileSync(file, JSON.stringify(assignment));
  admin('assignment', '--file', file, '--organisation', 'acme', '--officer', 'OFC-11');
  enrol('moves.db', 'OFC-11');
  device('moves.db', 'sync');
  // Departed an hour ago with an ETA ten minutes ago: past ETA plus the 5 minutes' grace.
  const departed = new Date(Date.now() - 3600e3).toISOString();
  const leg = device('moves.db', 'movement', 'plan', '--assignment', 'A-MOVES',
    '--from', '<b id=injected6>Residence</b>', '--to', 'Embassy', '--depart', departed,
    '--eta', new Date(Date.now() - 600e3).toISOString(), '--vehicle', 'CHARLIE-1', '--in-charge', 'ALPHA-1');
  device('moves.db', 'movement', 'event', '--leg', leg, '--kind', 'departed', '--at', departed);
  assert.match(device('moves.db', 'movement', 'overdue'), /overdue/, 'the phone knows, offline');
  device('moves.db', 'sync');

  const alarm = '#alarm-queue li[data-kind=overdue_leg]';
  await page.waitForSelector(alarm, { timeout: 10000 });
  assert.match(await page.textContent(alarm), /Overdue leg/);
  assert.match(await page.textContent(alarm), /<b id=injected6>Residence<\/b> → Embassy · ALPHA-1 in charge/, 'the leg as text');
  assert.equal(await page.locator('#injected6').count(), 0);
  const part = '#movements article[data-assignment=A-MOVES]';
  await page.waitForSelector(`${part} li[data-status=overdue]`, { timeout: 5000 });
  const lines = await page.locator(`${part} .movement-log li`).allTextContents();
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0], /planned <b id=injected6>Residence<\/b> → Embassy/);
  assert.match(lines[1], /departed/);
  await shot('console-movements.png');

  device('moves.db', 'movement', 'event', '--leg', leg, '--kind', 'arrived');
  device('moves.db', 'sync');
  await page.waitForSelector(`${part} li[data-status=arrived]`, { timeout: 5000 });
  await page.waitForSelector(`${alarm} .explained`, { timeout: 5000 });
  assert.match(await page.textContent(alarm), /last: arrived/, 'the late arrival on the alarm, which stays open');
});

test('rota, handovers and reports for my review: a call-in from the console reaches the phone, a handover shows unacknowledged then acknowledged, a routed report waits in my queue; officer text as text', async () => {
  const assignment = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'assignment.json'), 'utf8'));
  assignment.id = 'A-DUTY';
  const file = path.join(dir, 'duty.json');
  writeFileSync(file, JSON.stringify(assignment));
  admin('assignment', '--file', file, '--organisation', 'acme', '--officer', 'OFC-7', '--officer', 'OFC-8');
  enrol('incoming.db', 'OFC-8');
  device('phone.db', 'sync');
  device('incoming.db', 'sync');

  // The on-call officer is called in from the console; their phone learns it on its next sync.
  const hour = 3600e3;
  const shift = admin('rota', 'set', '--organisation', 'acme', '--assignment', 'A-DUTY', '--officer', 'OFC-8',
    '--role', 'on_call', '--from', new Date(Date.now() - hour).toISOString(), '--until', new Date(Date.now() + 8 * hour).toISOString());
  const row = `#rota tr[data-shift-id="${shift}"]`;
  await page.waitForSelector(`${row} button[data-action=call-in]`, { timeout: 5000 });
  await page.click(`${row} button[data-action=call-in]`);
  await page.waitForSelector(`${row}.is-called-in button[data-action=stand-down]`, { timeout: 5000 });
  assert.match(await page.textContent(row), /CALLED IN \d\d:\d\d:\d\d by op\.jones/);
  device('incoming.db', 'sync');
  const duty = JSON.parse(device('incoming.db', 'duty', '--json'));
  assert.deepEqual([duty.state, duty.shift.called_in_by], ['called_in', 'op.jones']);

  // A handover note with markup in every field the officer wrote.
  const fields = {
    state: '<b id=injected5>Asleep</b> in the east suite',
    issues: '<script id=injected6>alert(1)</script> press at the gate',
    keys: '<img src=x id=injected7> radio 3',
    watch: '<a id=injected8 href=x>grey Audi</a>',
  };
  const note = device('phone.db', 'handover', '--assignment', 'A-DUTY', '--to', 'OFC-8',
    '--principal-state', fields.state, '--open-issues', fields.issues,
    '--equipment-and-keys', fields.keys, '--watch-for', fields.watch);
  device('phone.db', 'sync');
  const waiting = `#handovers-unacknowledged li[data-handover-id="${note}"]`;
  await page.waitForSelector(waiting, { timeout: 5000 });
  const shown = await page.textContent(waiting);
  for (const text of Object.values(fields)) assert.ok(shown.includes(text), `${text} shown as text in ${shown}`);
  assert.match(shown, /NOT ACKNOWLEDGED by OFC-8/);
  for (const id of ['injected5', 'injected6', 'injected7', 'injected8']) assert.equal(await page.locator('#' + id).count(), 0, id);
  await shot('console-handovers.png');
  device('incoming.db', 'sync');
  device('incoming.db', 'handovers', '--acknowledge', note);
  device('incoming.db', 'sync');
  await page.waitForSelector(`#handovers li[data-handover-id="${note}"][data-acknowledged=true]`, { timeout: 5000 });
  await page.waitForSelector('#handovers-unacknowledged-empty:not([hidden])', { timeout: 5000 });

  // A report on the assignment goes to its team leader, the signed-in operator.
  admin('reviewer', 'team-leader', '--organisation', 'acme', '--assignment', 'A-DUTY', '--operator', 'op.jones');
  const narrative = '<iframe id=injected9></iframe> Drone over the garden';
  const reportId = device('phone.db', 'incident', 'create', '--category', 'hostile_surveillance',
    '--severity', 'medium', '--narrative', narrative, '--assignment', 'A-DUTY');
  device('phone.db', 'incident', 'submit', reportId);
  device('phone.db', 'sync');
  const mine = `#for-review li[data-report-id="${reportId}"]`;
  await page.waitForSelector(mine, { timeout: 5000 });
  assert.equal(await page.textContent(`${mine} .narrative`), narrative);
  assert.equal(await page.locator('#injected9').count(), 0);
  await page.selectOption(`${mine} select[name=outcome]`, 'returned');
  await page.fill(`${mine} input[name=note]`, 'Add the time');
  // A change at the office while the reviewer types (another officer checks in: every
  // list is drawn again) keeps the choice, the note, the focus and the caret.
  const before = Number(await page.evaluate(() => document.body.dataset.refreshes || 0));
  device('incoming.db', 'check-in', '--kind', 'welfare', '--assignment', 'A-DUTY');
  device('incoming.db', 'sync');
  await page.waitForFunction((n) => Number(document.body.dataset.refreshes || 0) > n, before, { timeout: 5000 });
  assert.equal(await page.inputValue(`${mine} input[name=note]`), 'Add the time');
  assert.equal(await page.inputValue(`${mine} select[name=outcome]`), 'returned');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'note', 'the note keeps the focus');
  await page.keyboard.type(' you first saw it.');
  await page.click(`${mine} button[data-action=review]`);
  await page.waitForSelector('#for-review-empty:not([hidden])', { timeout: 5000 });
  const reports = JSON.parse(admin('list', 'reports', '--json', '--organisation', 'acme'));
  const reviewed = reports.find((r) => r.id === reportId);
  assert.deepEqual([reviewed.route.reviewer, reviewed.reviews[0].reviewer, reviewed.reviews[0].outcome], ['op.jones', 'op.jones', 'returned']);
  assert.equal(reviewed.reviews[0].note, 'Add the time you first saw it.');
});

test('the page ran without a script error or a Content-Security-Policy violation', () => {
  // The page asks who is signed in before the operator signs in (401), and the first
  // login is refused on purpose (401): nothing else may have failed.
  assert.deepEqual(problems.filter((p) => !p.includes('status of 401')), []);
});
