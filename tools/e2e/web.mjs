// End-to-end test of trueshot serve's web page, as a person would use it, in Debian's Chromium
// driven by playwright-core (which never downloads a browser of its own).
//
//   BASE_URL         the running server, e.g. http://127.0.0.1:8080
//   ADMIN_EMAIL, ADMIN_PASSWORD, MEMBER_EMAIL, MEMBER_PASSWORD   two existing accounts
//   PHOTO            a real portrait JPEG to upload
//   CAMERA_Y4M       a Y4M video of a real face for Chromium's fake camera (unset: the camera
//                    part is skipped, and the summary says so)
//   SHOTS            folder for the screenshots (created if missing)
//
// Run (from tools/e2e, after `npm ci`), against a server started with two accounts:
//   BASE_URL=http://127.0.0.1:8080 ADMIN_EMAIL=… ADMIN_PASSWORD=… MEMBER_EMAIL=… \
//   MEMBER_PASSWORD=… PHOTO=photos/samples/obama.jpg CAMERA_Y4M=/tmp/face.y4m SHOTS=/tmp/shots \
//   node web.mjs
//
// Flow: (a) the member signs in with the keyboard only; (b) camera view with live guidance from
// /api/check; (c) upload, wait for the result, before/after slider, authenticity numbers,
// screenshots at desktop and phone size, Accept; (d) the admin approves it in the team gallery
// and gets a line-numbered error from the guideline editor; (e) the admin's export ZIP holds the
// member's headshots and team.csv; (f) the member's API list holds only their own photos;
// (h, with DAY_ROSTER) the admin creates a headshot day from a roster file, uploads the shoot's
// ZIP and sorts it; a roster person signs in through their invite, compares before and after
// and chooses a frame, and gets "not found" for another person's headshot; the admin sees the
// choice, chooses for someone else and exports the day; (g) accessibility audit of every view.
//
// Success: one JSON line on stdout, exit 0. Failure: the reason on stderr, exit 1 (a screenshot
// failure.png of the page in use goes to SHOTS). Nothing is retried: a failure is reported as
// it happened.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const env = {};
try {
  for (const name of ['BASE_URL', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'MEMBER_EMAIL', 'MEMBER_PASSWORD', 'PHOTO', 'SHOTS']) {
    env[name] = required(name);
  }
  env.BASE_URL = env.BASE_URL.replace(/\/+$/, '');
  env.CAMERA_Y4M = process.env.CAMERA_Y4M || '';
  // A headshot day (optional): the roster CSV, a ZIP of the shoot, and the roster person (and
  // their email, not yet an account) who signs in through the invite to choose.
  for (const name of ['DAY_ROSTER', 'DAY_ZIP', 'DAY_PERSON', 'DAY_MEMBER']) env[name] = process.env[name] || '';
  if (env.DAY_ROSTER && !(env.DAY_ZIP && env.DAY_PERSON && env.DAY_MEMBER)) throw new Error('DAY_ROSTER needs DAY_ZIP, DAY_PERSON and DAY_MEMBER');
  if (!fs.existsSync(env.PHOTO)) throw new Error(`PHOTO ${env.PHOTO} does not exist`);
  if (env.CAMERA_Y4M && !fs.existsSync(env.CAMERA_Y4M)) throw new Error(`CAMERA_Y4M ${env.CAMERA_Y4M} does not exist`);
  fs.mkdirSync(env.SHOTS, { recursive: true });
} catch (e) {
  console.error(`web.mjs: ${e.message}`);
  process.exit(1);
}

// How long a person would wait for each kind of thing.
const UI_TIMEOUT = 15_000; // a page element after a click
const CHECK_TIMEOUT = 20_000; // the first live check from the camera
const PROCESS_TIMEOUT = 180_000; // processing one uploaded photo into headshots

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const timings = {};
const shots = {};
let currentPage = null; // for the failure screenshot

/** Runs one step, recording its time; a failure names the step. */
async function step(name, fn) {
  const t0 = Date.now();
  try {
    return await fn();
  } catch (e) {
    e.message = `step "${name}": ${e.message}`;
    throw e;
  } finally {
    timings[name] = Date.now() - t0;
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function screenshot(page, name, options = {}) {
  const file = path.join(env.SHOTS, name);
  await page.screenshot({ path: file, fullPage: true, ...options });
  shots[name.replace(/\.png$/, '')] = file;
}

/** Waits until `locator`'s text matches `re`; the error shows the last text seen. */
async function waitForText(locator, re, timeout, what) {
  const deadline = Date.now() + timeout;
  let text = '';
  for (;;) {
    text = (await locator.textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => '')) || '';
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${what}: expected text matching ${re}, saw ${JSON.stringify(text.trim().slice(0, 300))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the header names `email`; when the page shows a sign-in error, fails with it. */
async function waitSignedIn(page, email) {
  const header = page.getByTestId('user-email');
  const error = page.getByTestId('login-error');
  await Promise.race([
    header.filter({ hasText: email }).waitFor({ state: 'visible' }),
    error.waitFor({ state: 'visible' }),
  ]);
  if (await error.isVisible()) throw new Error(`sign-in as ${email} refused; the page says: ${((await error.textContent()) || '').trim()}`);
  await waitForText(header, new RegExp(`^${escapeRe(email)}$`, 'i'), UI_TIMEOUT, `header after signing in as ${email}`);
}

/** Signs in through the form (fill and click: the keyboard-only sign-in is step a). */
async function signIn(page, email, password) {
  await page.goto(`${env.BASE_URL}/`);
  await page.getByTestId('login-form').waitFor({ state: 'visible' });
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitSignedIn(page, email);
}

/** A link of the page's main navigation. */
const navLink = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Names of the entries of a ZIP file, from its central directory (end record found from the
 * end of the file; ZIP64 end records are followed when the 32-bit fields are saturated).
 */
function zipEntryNames(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  check(eocd >= 0, 'the export is not a ZIP file (no end of central directory record)');
  let count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) {
    const locator = eocd - 20; // ZIP64 end of central directory locator
    check(locator >= 0 && buf.readUInt32LE(locator) === 0x07064b50, 'ZIP64 export without its locator');
    const z64 = Number(buf.readBigUInt64LE(locator + 8));
    check(buf.readUInt32LE(z64) === 0x06064b50, 'ZIP64 end record not where its locator says');
    count = Number(buf.readBigUInt64LE(z64 + 32));
    offset = Number(buf.readBigUInt64LE(z64 + 48));
  }
  const names = [];
  for (let i = 0, p = offset; i < count; i++) {
    check(buf.readUInt32LE(p) === 0x02014b50, `ZIP central directory entry ${i} is damaged`);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLength));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

const summary = { ok: false, base_url: env.BASE_URL };
const pageErrors = []; // uncaught exceptions in the page: each one fails the test
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trueshot-e2e-'));

const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
if (env.CAMERA_Y4M) {
  args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${env.CAMERA_Y4M}`);
}

// launch() runs Chromium on a fresh temporary profile (user-data dir) that it removes on close;
// each newContext() is a separate, cookie-isolated session (member, then admin).
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args });

async function newPage(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, baseURL: env.BASE_URL });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  currentPage = page;
  return page;
}

try {
  // ---- a. The member signs in with the keyboard only -------------------------------------
  const member = await newPage();
  await step('a_member_keyboard_login', async () => {
    await member.goto(`${env.BASE_URL}/`);
    const email = member.getByTestId('login-email');
    await email.waitFor({ state: 'visible' });
    // The page puts the caret in the email field itself; if it did not, focus it like a Tab would.
    const focused = await member.evaluate(() => document.activeElement?.dataset?.testid || '');
    if (focused !== 'login-email') await email.focus();
    await member.keyboard.type(env.MEMBER_EMAIL);
    await member.keyboard.press('Tab');
    const onPassword = await member.evaluate(() => document.activeElement?.dataset?.testid || '');
    check(onPassword === 'login-password', `Tab from the email field went to "${onPassword}", not the password field`);
    await member.keyboard.type(env.MEMBER_PASSWORD);
    await member.keyboard.press('Enter');
    await waitSignedIn(member, env.MEMBER_EMAIL);
    await member.getByTestId('capture-view').waitFor({ state: 'visible' });
    check(await member.getByTestId('nav-gallery').isHidden(), 'a member sees the admin\u2019s "Team gallery" link');
  });

  // ---- b. Camera with live guidance -------------------------------------------------------
  if (env.CAMERA_Y4M) {
    summary.camera = await step('b_camera_live_guidance', async () => {
      const seen = new Set(); // what the page may show: the first advice of each check, or "looks good"
      let checks = 0;
      const onResponse = async (r) => {
        if (!r.url().endsWith('/api/check') || r.request().method() !== 'POST' || r.status() !== 200) return;
        try {
          const body = await r.json();
          checks++;
          if (body.advice && body.advice.length) seen.add(body.advice[0]);
          else seen.add(`<${body.status}>`);
        } catch { /* the page moved on */ }
      };
      member.on('response', onResponse);
      const firstCheck = member.waitForResponse(
        (r) => r.url().endsWith('/api/check') && r.request().method() === 'POST' && r.status() === 200,
        { timeout: CHECK_TIMEOUT });
      await navLink(member, 'Take a photo').click();
      await member.getByRole('button', { name: 'Start camera' }).click();
      const first = await firstCheck;
      const firstBody = await first.json();
      check(Number.isFinite(firstBody.width) && ['pass', 'warn', 'fail'].includes(firstBody.status),
        `/api/check answered ${JSON.stringify(firstBody).slice(0, 200)}`);
      // The overlay's text must be something a check said (advice verbatim, or a "looks good" /
      // "almost there" state when a check had no advice).
      const advice = member.getByTestId('camera-advice');
      const deadline = Date.now() + CHECK_TIMEOUT;
      let shown = '';
      for (;;) {
        shown = ((await advice.textContent()) || '').trim();
        const status = await advice.getAttribute('data-status');
        const fromCheck = seen.has(shown) || (status && seen.has(`<${status}>`) && shown.length > 0);
        if (fromCheck) break;
        check(Date.now() < deadline, `the camera overlay shows ${JSON.stringify(shown)} (status ${status}), not advice from /api/check (seen: ${JSON.stringify([...seen])})`);
        await member.waitForTimeout(100);
      }
      // The guides were drawn on the overlay canvas (some pixel is not transparent).
      const drawn = await member.getByTestId('camera-overlay').evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4 * 97) if (d[i] > 0) return { width: c.width, height: c.height, drawn: true };
        return { width: c.width, height: c.height, drawn: false };
      });
      check(drawn.drawn, `nothing was drawn over the camera preview (overlay ${drawn.width}×${drawn.height})`);
      await screenshot(member, 'camera.png', { fullPage: false });
      await member.getByRole('button', { name: 'Stop camera' }).click();
      member.off('response', onResponse);
      return { frame: `${firstBody.width}x${firstBody.height}`, first_status: firstBody.status, advice_shown: shown, checks };
    });
  } else {
    summary.camera = 'skipped: CAMERA_Y4M is not set';
    console.error('web.mjs: CAMERA_Y4M is not set: skipping the camera part');
  }

  // ---- c. Upload, result, accept ------------------------------------------------------------
  const photoId = await step('c_upload_and_process', async () => {
    await navLink(member, 'Take a photo').click();
    const uploaded = member.waitForResponse(
      (r) => r.url().endsWith('/api/photos') && r.request().method() === 'POST', { timeout: 60_000 });
    await member.getByTestId('upload-input').setInputFiles(env.PHOTO);
    const response = await uploaded;
    if (response.status() !== 202) {
      const error = ((await member.getByTestId('upload-error').textContent()) || '').trim();
      throw new Error(`upload answered HTTP ${response.status()}; the page says: ${error}`);
    }
    // The page opens the photo's own view, #photo/<id>; the status line follows the photo
    // until processing ends.
    await member.waitForURL(/#photo\/[^/]+$/);
    const id = decodeURIComponent(new URL(member.url()).hash.replace(/^#photo\//, ''));
    await member.getByTestId('photo-view').waitFor({ state: 'visible' });
    const status = member.getByTestId('photo-status');
    await member.waitForFunction(
      () => { const s = document.querySelector('[data-testid="photo-status"]')?.dataset.status; return s && s !== 'queued' && s !== 'processing'; },
      null, { timeout: PROCESS_TIMEOUT, polling: 500 });
    const final = await status.getAttribute('data-status');
    if (final !== 'ready') {
      const said = `${(await status.textContent()) || ''} ${(await member.getByTestId('photo-detail').textContent()) || ''}`;
      throw new Error(`the photo ended "${final}", not ready: ${said.trim().slice(0, 500)}`);
    }
    return id;
  });
  summary.photo_id = photoId;

  await step('c_result_view', async () => {
    const result = member.getByTestId('result');
    await result.waitFor({ state: 'visible' });
    const slider = member.getByRole('slider', { name: /before.*after/i });
    await slider.waitFor({ state: 'visible' });
    // Both pictures really loaded.
    await member.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('[data-testid="photo-detail"] [data-testid="compare-before"], [data-testid="photo-detail"] [data-testid="compare-after"]')];
      return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }, null, { timeout: UI_TIMEOUT });
    const verification = await member.getByTestId('verification').textContent();
    check(/Same person/.test(verification), `the authenticity numbers do not mention "Same person": ${verification.slice(0, 300)}`);
    check(/Verified/.test(verification), `the headshot is not shown as verified: ${verification.slice(0, 300)}`);
    check(/signed content credentials/i.test(verification), 'the result does not say the file carries signed content credentials');
    // The slider moves with the keyboard, and the picture follows.
    await slider.focus();
    const before = Number(await slider.inputValue());
    for (let i = 0; i < 15; i++) await member.keyboard.press('ArrowLeft');
    const after = Number(await slider.inputValue());
    check(after < before, `ArrowLeft did not move the before/after slider (${before} → ${after})`);
    const clip = await member.getByTestId('compare-after').first().evaluate((img) => img.style.clipPath);
    check(clip.includes(`${after}%`), `the after picture is not clipped at the slider's ${after} % (${clip})`);
    // Variant tabs, when there are several.
    const tabs = await member.getByRole('tab').count();
    summary.variants = tabs || 1;
    await screenshot(member, 'result.png');
    await member.setViewportSize(PHONE);
    await member.waitForTimeout(300); // let the layout settle at phone width
    const overflow = await member.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, `at phone width the page scrolls sideways by ${overflow} px`);
    await screenshot(member, 'result-phone.png');
    await member.setViewportSize(DESKTOP);
  });

  await step('c_accept', async () => {
    const accepted = member.waitForResponse((r) => r.url().endsWith(`/api/photos/${photoId}/accept`));
    await member.getByRole('button', { name: 'Accept', exact: true }).click();
    const response = await accepted;
    check(response.status() === 200, `accept answered HTTP ${response.status()}`);
    await waitForText(member.getByTestId('photo-status'), /Accepted/, UI_TIMEOUT, 'status after Accept');
    const s = await member.getByTestId('photo-status').getAttribute('data-status');
    check(s === 'accepted', `status after Accept is "${s}"`);
  });

  // ---- d. The admin reviews it, and edits the guideline ---------------------------------------
  const admin = await newPage();
  await step('d_admin_gallery_approve', async () => {
    await signIn(admin, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
    await navLink(admin, 'Team gallery').click();
    await admin.getByTestId('gallery-view').waitFor({ state: 'visible' });
    const filtered = admin.waitForResponse((r) => /\/api\/photos\?status=accepted$/.test(r.url()));
    await admin.getByRole('button', { name: 'Accepted', exact: true }).click();
    check((await filtered).status() === 200, 'the gallery filter request failed');
    const card = admin.locator(`[data-testid="gallery-card"][data-photo-id="${photoId}"]`);
    await card.waitFor({ state: 'visible' });
    const owner = ((await card.getByTestId('card-owner').textContent()) || '').trim();
    check(owner.toLowerCase() === env.MEMBER_EMAIL.toLowerCase(), `the card's owner is "${owner}"`);
    await waitForText(card.getByTestId('card-status'), /^Accepted$/, UI_TIMEOUT, 'card status before review');
    // Every card shown under "Accepted" is accepted.
    const statuses = await admin.getByTestId('gallery-card').evaluateAll((cards) => cards.map((c) => c.dataset.status));
    check(statuses.every((s) => s === 'accepted'), `the "Accepted" filter shows ${JSON.stringify(statuses)}`);
    // Opening the card shows the before/after and the numbers.
    await card.getByRole('button', { name: /Open the photo of/ }).click();
    const dialog = admin.getByTestId('photo-dialog');
    await dialog.getByRole('slider', { name: /before.*after/i }).waitFor({ state: 'visible' });
    check(/Same person/.test((await dialog.getByTestId('verification').textContent()) || ''), 'the opened photo shows no authenticity numbers');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Comment and approve.
    await card.getByLabel('Comment').fill('Looks great, approved for the team page.');
    const reviewed = admin.waitForResponse((r) => r.url().endsWith(`/api/photos/${photoId}/review`));
    await card.getByRole('button', { name: 'Approve' }).click();
    check((await reviewed).status() === 200, 'the review request failed');
    const updated = admin.locator(`[data-testid="gallery-card"][data-photo-id="${photoId}"]`);
    await waitForText(updated.getByTestId('card-status'), /^Approved$/, UI_TIMEOUT, 'card status after Approve');
    await waitForText(updated.getByTestId('card-review'), /Looks great/, UI_TIMEOUT, 'review comment on the card');
    await updated.evaluate((c) => c.scrollIntoView({ block: 'center' }));
    await screenshot(admin, 'gallery.png');
  });

  await step('d_admin_guideline_error', async () => {
    await navLink(admin, 'Guideline').click();
    const box = admin.getByLabel('Guideline file (TOML)');
    await admin.waitForFunction(() => (document.querySelector('[data-testid="guideline-text"]')?.value || '').includes('[[variant]]'),
      null, { timeout: UI_TIMEOUT });
    const original = await box.inputValue();
    const broken = /^width = 1200\s*$/m.test(original)
      ? original.replace(/^width = 1200(?=\s*$)/m, 'width = "big"')
      : original.replace(/^(\s*width\s*=\s*)\d+/m, '$1"big"');
    check(broken !== original, 'the guideline has no `width = N` line to break');
    const brokenLine = broken.slice(0, broken.indexOf('"big"')).split('\n').length;
    await box.fill(broken);
    const validated = admin.waitForResponse((r) => r.url().endsWith('/api/guideline/validate'));
    await admin.getByRole('button', { name: 'Validate' }).click();
    const response = await validated;
    check(response.status() === 422, `validating a broken guideline answered HTTP ${response.status()}`);
    const message = admin.getByTestId('guideline-message');
    const text = await waitForText(message, /Line \d+/, UI_TIMEOUT, 'guideline error message');
    const shownLine = Number(text.match(/Line (\d+)/)[1]);
    check(shownLine === brokenLine, `the error names line ${shownLine}, the broken line is ${brokenLine}: ${text.trim()}`);
    // The caret was moved to that line.
    const caretLine = await box.evaluate((t) => t.value.slice(0, t.selectionStart).split('\n').length);
    check(caretLine === shownLine, `the caret is on line ${caretLine}, not on the error's line ${shownLine}`);
    await screenshot(admin, 'guideline.png', { fullPage: false });
    // Put the original text back and check it validates (nothing is saved).
    await box.fill(original);
    const revalidated = admin.waitForResponse((r) => r.url().endsWith('/api/guideline/validate'));
    await admin.getByRole('button', { name: 'Validate' }).click();
    check((await revalidated).status() === 200, 'the original guideline does not validate');
    await waitForText(message, /^Valid/, UI_TIMEOUT, 'message after restoring the guideline');
  });

  await step('d_admin_members', async () => {
    // Add a new hire (an invite link to send), give them a fresh link, then remove them.
    await navLink(admin, 'Members').click();
    const hire = 'new.hire@example.com';
    await admin.getByTestId('add-member-email').fill(hire);
    const added = admin.waitForResponse((r) => r.url().endsWith('/api/users') && r.request().method() === 'POST');
    await admin.getByTestId('add-member-submit').click();
    check((await added).status() === 201, 'adding a member did not answer 201');
    // The page fills the link in after the response has arrived: wait for it, not for the reply.
    await admin.waitForFunction(
      () => (document.querySelector('[data-testid="invite-link"]')?.value || '').includes('/invite/'),
      null, { timeout: UI_TIMEOUT });
    const first = await admin.getByTestId('invite-link').inputValue();
    check(first.startsWith(`${env.BASE_URL}/invite/`), `the invite link is ${JSON.stringify(first)}`);
    const row = admin.locator(`[data-testid="member-row"][data-email="${hire}"]`);
    await row.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await row.getByRole('button', { name: `New sign-in link for ${hire}` }).click();
    await admin.waitForFunction((old) => {
      const v = document.querySelector('[data-testid="invite-link"]')?.value || '';
      return v.includes('/invite/') && v !== old;
    }, first, { timeout: UI_TIMEOUT });
    await screenshot(admin, 'members.png', { fullPage: false });
    // The old link no longer works.
    const oldToken = first.split('/invite/')[1];
    const old = await admin.request.get(`/api/invites/${oldToken}`);
    check(old.status() === 404, `the replaced invite link still answers HTTP ${old.status()}`);
    admin.once('dialog', (d) => d.accept());
    const removed = admin.waitForResponse((r) => /\/api\/users\/\d+$/.test(r.url()) && r.request().method() === 'DELETE');
    await row.getByRole('button', { name: `Remove ${hire} and their photos` }).click();
    check((await removed).status() === 204, 'removing the member did not answer 204');
    await row.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  });

  // ---- e. Export ---------------------------------------------------------------------------------
  summary.export = await step('e_admin_export', async () => {
    await navLink(admin, 'Team gallery').click();
    const downloading = admin.waitForEvent('download', { timeout: 60_000 });
    await admin.getByRole('link', { name: /Export/ }).click();
    const download = await downloading;
    const file = path.join(tempDir, 'export.zip');
    await download.saveAs(file);
    const names = zipEntryNames(fs.readFileSync(file));
    const folder = `${env.MEMBER_EMAIL.toLowerCase()}/`;
    const headshots = names.filter((n) => n.toLowerCase().startsWith(folder) && /\.jpe?g$/i.test(n));
    check(headshots.length > 0, `the export has no .jpg under ${folder}: ${JSON.stringify(names.slice(0, 40))}`);
    check(names.some((n) => n === 'team.csv' || n.endsWith('/team.csv')), `the export has no team.csv: ${JSON.stringify(names.slice(0, 40))}`);
    return { entries: names.length, member_headshots: headshots };
  });

  // ---- f. The member sees only their own photos ---------------------------------------------
  await step('f_member_isolation', async () => {
    currentPage = member;
    const list = await member.request.get('/api/photos');
    check(list.status() === 200, `GET /api/photos answered HTTP ${list.status()} for the member`);
    const photos = await list.json();
    check(Array.isArray(photos) && photos.length > 0, 'the member\u2019s photo list is empty');
    const others = photos.filter((p) => (p.owner?.email || '').toLowerCase() !== env.MEMBER_EMAIL.toLowerCase());
    check(others.length === 0, `the member's list holds photos of ${JSON.stringify([...new Set(others.map((p) => p.owner?.email))])}`);
    check(photos.some((p) => String(p.id) === photoId), 'the member\u2019s own upload is missing from their list');
    const users = await member.request.get('/api/users');
    check(users.status() === 403, `a member listing users got HTTP ${users.status()}, not 403`);
    // The page shows the same list in "My photos".
    await navLink(member, 'My photos').click();
    await member.locator(`[data-testid="my-photo"][data-photo-id="${photoId}"]`).waitFor({ state: 'visible' });
  });

  // ---- h. A headshot day: roster, shoot, each person chooses, the admin follows and exports --
  let day = null;
  if (env.DAY_ROSTER) {
    day = await step('h_admin_creates_a_day', async () => {
      currentPage = admin;
      await navLink(admin, 'Headshot days').click();
      await admin.getByTestId('new-day-form').waitFor({ state: 'visible' });
      await admin.getByLabel('Name of the day').fill('Policy and research, 7 December');
      await admin.getByLabel(/^Roster/).setInputFiles(env.DAY_ROSTER);
      await admin.getByLabel('Frames offered to each person').selectOption('2');
      const created = admin.waitForResponse((r) => r.url().endsWith('/api/days') && r.request().method() === 'POST');
      await admin.getByRole('button', { name: 'Create the day' }).click();
      const response = await created;
      check(response.status() === 201, `creating the day answered HTTP ${response.status()}`);
      const { day: made } = await response.json();
      // The new accounts' sign-in links are listed for the admin to send.
      const link = admin.getByRole('textbox', { name: `Sign-in link for ${env.DAY_MEMBER}` });
      await link.waitFor({ state: 'visible' });
      const invite = await link.inputValue();
      check(invite.startsWith(`${env.BASE_URL}/invite/`), `the day's invite link is ${JSON.stringify(invite)}`);
      await screenshot(admin, 'day-new.png', { fullPage: false });
      await admin.locator(`[data-testid="day-item"][data-day-id="${made.id}"]`).getByRole('link', { name: /^Open/ }).click();
      await admin.getByTestId('day-shoot').waitFor({ state: 'visible' });
      return { id: made.id, invite };
    });

    await step('h_admin_uploads_and_sorts', async () => {
      await admin.getByTestId('day-upload-input').setInputFiles(env.DAY_ZIP);
      await waitForText(admin.getByTestId('day-upload-status'), /files? added/, 120_000, 'upload status');
      await admin.getByRole('button', { name: 'Sort and pick' }).click();
      // The page follows the sort until everyone with frames has something to choose from.
      const row = admin.locator(`[data-testid="day-person"][data-person="${env.DAY_PERSON}"]`);
      await row.waitFor({ state: 'visible', timeout: PROCESS_TIMEOUT });
      await admin.waitForFunction((p) => document.querySelector(`[data-testid="day-person"][data-person="${p}"]`)?.dataset.status === 'to_choose',
        env.DAY_PERSON, { timeout: PROCESS_TIMEOUT });
      const statuses = await admin.getByTestId('day-person').evaluateAll((rows) => rows.map((r) => r.dataset.status));
      check(statuses.includes('no_frames'), `the person who never came is not "no frames": ${JSON.stringify(statuses)}`);
      await screenshot(admin, 'day-admin.png');
    });

    await step('h_member_chooses', async () => {
      const person = await newPage();
      await person.goto(day.invite);
      await person.getByLabel('New password', { exact: true }).fill(env.MEMBER_PASSWORD);
      await person.getByLabel('Repeat the password', { exact: true }).fill(env.MEMBER_PASSWORD);
      await person.getByRole('button', { name: 'Set password and sign in' }).click();
      await waitSignedIn(person, env.DAY_MEMBER);
      // Someone on a day's roster lands on their days.
      await person.getByTestId('days-view').waitFor({ state: 'visible' });
      await person.locator(`[data-testid="day-item"][data-day-id="${day.id}"]`).getByRole('link', { name: /^Open/ }).click();
      const offers = person.getByTestId('offer');
      await offers.first().waitFor({ state: 'visible' });
      check(await offers.count() === 2, `${await offers.count()} frames offered, not 2`);
      await offers.first().getByRole('slider', { name: /before and after/i }).waitFor({ state: 'visible' });
      await screenshot(person, 'day-member.png');
      const chosen = person.waitForResponse((r) => r.url().endsWith('/choice'));
      await offers.nth(1).getByRole('button', { name: 'Choose this one' }).click();
      check((await chosen).status() === 200, 'choosing a frame failed');
      await person.getByTestId('offer').nth(1).getByRole('button', { name: 'Chosen ✓' }).waitFor({ state: 'visible' });
      await waitForText(person.getByTestId('day-status'), /You chose frame/, UI_TIMEOUT, 'status after choosing');
      await person.setViewportSize(PHONE);
      await screenshot(person, 'day-member-phone.png');
      // Only their own entry and files: another person's headshot is "not found".
      const mine = await (await person.request.get(`/api/days/${day.id}`)).json();
      check(mine.people.length === 1 && mine.people[0].person === env.DAY_PERSON, `the member sees ${JSON.stringify(mine.people.map((p) => p.person))}`);
      check(!('summary' in mine), 'the member sees the day’s findings');
      const all = await (await admin.request.get(`/api/days/${day.id}`)).json();
      const other = all.people.find((p) => p.person !== env.DAY_PERSON && p.result && p.result.offers.length);
      const theirs = await person.request.get(all.files_url + other.result.offers[0].headshots[0].file);
      check(theirs.status() === 404, `${env.DAY_MEMBER} fetched ${other.person}'s headshot: HTTP ${theirs.status()}`);
      await person.context().close();
    });

    summary.day = await step('h_admin_overrides_and_exports', async () => {
      currentPage = admin;
      await admin.reload();
      const row = admin.locator(`[data-testid="day-person"][data-person="${env.DAY_PERSON}"]`);
      await row.waitFor({ state: 'visible' });
      check(await row.getAttribute('data-status') === 'chosen', `${env.DAY_PERSON} is "${await row.getAttribute('data-status')}" for the admin`);
      // The admin chooses for someone who has not.
      const open = admin.locator('[data-testid="day-person"][data-status="to_choose"]').first();
      const who = await open.getAttribute('data-person');
      const set = admin.waitForResponse((r) => r.url().endsWith(`/people/${who}/choice`));
      await open.getByRole('button', { name: /^Choose for them/ }).click();
      check((await set).status() === 200, 'the override failed');
      await admin.locator(`[data-testid="day-person"][data-person="${who}"][data-status="chosen"]`).waitFor({ state: 'visible' });
      await waitForText(admin.getByTestId('day-progress-sentence'), /2 chose/, UI_TIMEOUT, 'progress after the override');
      const downloading = admin.waitForEvent('download', { timeout: 60_000 });
      await admin.getByRole('link', { name: 'Export chosen headshots (ZIP)' }).click();
      const file = path.join(tempDir, 'day.zip');
      await (await downloading).saveAs(file);
      const names = zipEntryNames(fs.readFileSync(file));
      for (const p of [env.DAY_PERSON, who]) {
        check(names.some((n) => n.startsWith(`${p}.`) && n.endsWith('.jpg')), `the day's export has no headshot of ${p}: ${JSON.stringify(names)}`);
      }
      check(names.includes('day.csv'), `the day's export has no day.csv: ${JSON.stringify(names)}`);
      await screenshot(admin, 'day-admin-chosen.png');
      return { id: day.id, overridden: who, entries: names };
    });
  }

  // ---- g. Accessibility audit (axe-core) of every view, desktop and phone ----------------------
  // axe-core is injected as a script, which the server's Content-Security-Policy rightly
  // forbids; these audit-only contexts bypass the CSP (the pages above ran under it).
  summary.accessibility = await step('g_accessibility_audit', async () => {
    const axeSource = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname),
      'node_modules/axe-core/axe.min.js'), 'utf8');
    const audited = [];
    const audit = async (who, password, views, viewport) => {
      const context = await browser.newContext({ viewport, baseURL: env.BASE_URL, bypassCSP: true });
      const page = await context.newPage();
      currentPage = page;
      const login = await page.request.post('/api/login', { data: { email: who, password } });
      check(login.ok(), `audit login of ${who} answered HTTP ${login.status()}`);
      for (const [view, ready] of views) {
        await page.goto(`${env.BASE_URL}/${view}`);
        await page.getByTestId(ready).first().waitFor({ state: 'visible' });
        await page.waitForTimeout(300); // let the view finish loading its data
        await page.addScriptTag({ content: axeSource });
        const result = await page.evaluate(async () => {
          // WCAG 2.1 A and AA rules; "serious" and "critical" findings fail the test.
          const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
          return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
        });
        const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        check(bad.length === 0, `accessibility (${viewport.width} px, ${view || 'home'}): ${JSON.stringify(bad)}`);
        audited.push({ view: view || 'home', width: viewport.width, minor: result.map((v) => v.id) });
      }
      await context.close();
    };
    const memberViews = [['#capture', 'capture-view'], ['#mine', 'my-photo'], [`#photo/${photoId}`, 'photo-detail']];
    const adminViews = [['#gallery', 'gallery-card'], ['#guideline', 'guideline-text'], ['#members', 'member-row']];
    await audit(env.MEMBER_EMAIL, env.MEMBER_PASSWORD, memberViews, DESKTOP);
    await audit(env.MEMBER_EMAIL, env.MEMBER_PASSWORD, memberViews, PHONE);
    await audit(env.ADMIN_EMAIL, env.ADMIN_PASSWORD, adminViews, DESKTOP);
    if (day) {
      const dayViews = (ready) => [['#days', 'day-item'], [`#day/${day.id}`, ready]];
      await audit(env.DAY_MEMBER, env.MEMBER_PASSWORD, dayViews('offer'), DESKTOP);
      await audit(env.DAY_MEMBER, env.MEMBER_PASSWORD, dayViews('offer'), PHONE);
      await audit(env.ADMIN_EMAIL, env.ADMIN_PASSWORD, dayViews('day-person'), DESKTOP);
      await audit(env.ADMIN_EMAIL, env.ADMIN_PASSWORD, dayViews('day-person'), PHONE);
    }
    // The sign-in page, signed out.
    const context = await browser.newContext({ viewport: PHONE, baseURL: env.BASE_URL, bypassCSP: true });
    const page = await context.newPage();
    currentPage = page;
    await page.goto(`${env.BASE_URL}/`);
    await page.getByTestId('login-email').waitFor({ state: 'visible' });
    await page.addScriptTag({ content: axeSource });
    const login = await page.evaluate(async () => (await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }))
      .violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id));
    check(login.length === 0, `accessibility of the sign-in page: ${JSON.stringify(login)}`);
    await context.close();
    return audited;
  });

  check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join(' | ')}`);
  summary.ok = true;
  summary.screenshots = shots;
  summary.timings_ms = timings;
  console.log(JSON.stringify(summary));
} catch (e) {
  console.error(`web.mjs: FAILED: ${e.message}`);
  if (pageErrors.length) console.error(`web.mjs: uncaught errors in the page: ${pageErrors.join(' | ')}`);
  if (currentPage && !currentPage.isClosed()) {
    await currentPage.screenshot({ path: path.join(env.SHOTS, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`web.mjs: the page at failure: ${path.join(env.SHOTS, 'failure.png')} (${currentPage.url()})`);
  }
  console.error(`web.mjs: timings so far (ms): ${JSON.stringify(timings)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  fs.rmSync(tempDir, { recursive: true, force: true });
}
