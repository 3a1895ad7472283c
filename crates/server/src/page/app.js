// trueshot's page: a small single-page app with no framework and no build step. The binary
// embeds index.html, app.css and this file, so nothing here loads anything from another origin.
//
// Rules kept throughout:
// - every string from the server reaches the page through textContent / attributes, never
//   through innerHTML;
// - every request that is not GET/HEAD carries the session's CSRF token (X-CSRF-Token);
// - views are chosen from location.pathname (/invite/{token}) and location.hash (#capture,
//   #photo/ID, #mine, #gallery, #guideline, #members, #days, #day/ID), so a reload shows the
//   same view.
'use strict';

(() => {
  // ------------------------------------------------------------------------------------------
  // DOM helpers
  // ------------------------------------------------------------------------------------------

  /** The element with data-testid `id` (inside `root`). */
  const tid = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

  /** Creates an element. `props`: text, class, testid, dataset, on<event>, or attributes. */
  function h(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'class') node.className = v;
      else if (k === 'testid') node.dataset.testid = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c == null || c === false) continue;
      node.append(c instanceof Node ? c : String(c)); // strings become text nodes
    }
    return node;
  }

  function showMessage(node, text) {
    node.textContent = text || '';
    node.hidden = !text;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  function when(rfc3339) {
    const d = new Date(rfc3339);
    return Number.isNaN(d.getTime()) ? '' : dateFormat.format(d);
  }

  // ------------------------------------------------------------------------------------------
  // API
  // ------------------------------------------------------------------------------------------

  const state = {
    user: null, // {id, email, role}
    csrf: null,
    route: 0, // bumped on every view change: loops of the previous view stop when it moves
  };

  class ApiError extends Error {
    constructor(status, message, data, retryAfter) {
      super(message);
      this.status = status;
      this.data = data;
      this.retryAfter = retryAfter;
    }
  }

  /** Plain words for an error status when the server sent no message. */
  function statusWords(status) {
    switch (status) {
      case 401: return 'You are not signed in.';
      case 403: return 'You are not allowed to do this.';
      case 404: return 'Not found.';
      case 413: return 'That photo is too large to upload.';
      case 422: return 'That file could not be read as a photo.';
      case 429: return 'Too many requests in a short time.';
      default: return `The server had a problem (HTTP ${status}). Try again in a moment.`;
    }
  }

  /**
   * One request to the API. `json`: an object sent as JSON; `body`: raw bytes (Blob/File).
   * Resolves to the parsed JSON (or null for 204); rejects with an ApiError whose message is
   * fit to show as it is.
   */
  async function api(method, path, { json, body, headers = {} } = {}) {
    const sendHeaders = { ...headers };
    if (method !== 'GET' && method !== 'HEAD' && state.csrf) sendHeaders['X-CSRF-Token'] = state.csrf;
    let sendBody = body;
    if (json !== undefined) {
      sendHeaders['Content-Type'] = 'application/json';
      sendBody = JSON.stringify(json);
    }
    let res;
    try {
      res = await fetch(path, { method, headers: sendHeaders, body: sendBody, credentials: 'same-origin' });
    } catch {
      throw new ApiError(0, "Can't reach the server. Check your connection and try again.", null, null);
    }
    let data = null;
    if (res.status !== 204 && (res.headers.get('Content-Type') || '').includes('json')) {
      try { data = await res.json(); } catch { data = null; }
    }
    if (res.ok) return data;

    const retryAfter = Number(res.headers.get('Retry-After')) || null;
    let message = data && typeof data.error === 'string' && data.error ? data.error : statusWords(res.status);
    // Server messages are short lower-case phrases; make them read as a sentence.
    message = message.charAt(0).toUpperCase() + message.slice(1);
    if (!/[.!?]$/.test(message)) message += '.';
    if (res.status === 429 && retryAfter) message += ` Try again in ${retryAfter} s.`;
    const err = new ApiError(res.status, message, data, retryAfter);
    if (res.status === 401 && state.user) sessionLost();
    throw err;
  }

  // ------------------------------------------------------------------------------------------
  // Views
  // ------------------------------------------------------------------------------------------

  const VIEW_TITLES = {
    loading: '', login: 'Sign in', invite: 'Set your password', capture: 'Take a photo',
    photo: 'Your headshot', mine: 'My photos', gallery: 'Team gallery', guideline: 'Guideline',
    members: 'Members', days: 'Headshot days', day: 'Headshot day',
  };

  function showView(name, { focus = false } = {}) {
    for (const section of document.querySelectorAll('main > section')) {
      section.hidden = section.id !== `view-${name}`;
    }
    document.title = VIEW_TITLES[name] ? `${VIEW_TITLES[name]} · trueshot` : 'trueshot';
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    // After a navigation, put keyboard and screen-reader focus at the new view's heading.
    if (focus) document.querySelector(`#view-${name} h1`)?.focus();
  }

  /** Applies the signed-in user to the header and shows the view the address asks for. */
  function enterApp({ user, csrf }, { focus = false } = {}) {
    state.user = user;
    state.csrf = csrf;
    const admin = user.role === 'admin';
    tid('user-email').textContent = user.email;
    tid('user-email').title = user.email; // the full address where a phone cuts it short
    tid('user-role').textContent = admin ? 'Admin' : 'Member';
    tid('nav').hidden = false;
    document.getElementById('who').hidden = false;
    for (const a of document.querySelectorAll('[data-admin]')) a.hidden = !admin;
    const landing = !location.hash;
    if (landing) history.replaceState(null, '', admin ? '#gallery' : '#capture');
    tid('nav-days').hidden = !admin;
    if (!admin) showMyDays(landing);
    route(focus); // after signing in, focus goes to the new view's heading (the form is gone)
  }

  /** A member on a headshot day's roster gets the days in the menu, and lands on them. */
  async function showMyDays(landing) {
    try {
      const days = await api('GET', '/api/days');
      if (!days.length) return;
      tid('nav-days').hidden = false;
      if (landing && location.hash === '#capture') location.hash = 'days';
    } catch {
      // The menu stays as it is; the days view says what went wrong when opened.
    }
  }

  function leaveApp() {
    state.route++;
    stopCamera();
    state.user = null;
    state.csrf = null;
    tid('nav').hidden = true;
    document.getElementById('who').hidden = true;
    const dialog = tid('photo-dialog');
    if (dialog.open) dialog.close();
    guideline.loaded = false;
    guideline.dirty = false;
  }

  function sessionLost() {
    leaveApp();
    showLogin('Your session has ended. Sign in again to continue.');
  }

  /** Shows the view that location.hash names (the user's own role permitting). */
  function route(fromNavigation) {
    if (!state.user) return;
    state.route++;
    stopCamera();
    const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
    const admin = state.user.role === 'admin';
    const photo = hash.match(/^photo\/(.+)$/);
    let view;
    if (photo) { view = 'photo'; viewPhoto(photo[1]); }
    else if (hash === 'mine') { view = 'mine'; viewMine(); }
    else if (admin && hash === 'gallery') { view = 'gallery'; viewGallery(); }
    else if (admin && hash === 'guideline') { view = 'guideline'; viewGuideline(); }
    else if (admin && hash === 'members') { view = 'members'; viewMembers(); }
    else if (hash === 'days') { view = 'days'; viewDays(); }
    else if (hash.match(/^day\/\d+$/)) { view = 'day'; viewDay(hash.slice(4)); }
    else { view = 'capture'; viewCapture(); }
    showView(view, { focus: fromNavigation });
  }

  window.addEventListener('hashchange', () => route(true));

  // ------------------------------------------------------------------------------------------
  // Sign in, invite, sign out
  // ------------------------------------------------------------------------------------------

  function showLogin(notice) {
    showView('login');
    showMessage(tid('login-notice'), notice);
    showMessage(tid('login-error'), '');
    tid('login-password').value = '';
    tid('login-email').focus();
  }

  tid('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const email = tid('login-email').value.trim();
    const password = tid('login-password').value;
    const error = tid('login-error');
    if (!email || !password) {
      showMessage(error, !email ? 'Enter your email address.' : 'Enter your password.');
      (!email ? tid('login-email') : tid('login-password')).focus();
      return;
    }
    const button = tid('login-submit');
    button.disabled = true;
    showMessage(error, '');
    try {
      const me = await api('POST', '/api/login', { json: { email, password } });
      tid('login-password').value = '';
      showMessage(tid('login-notice'), '');
      enterApp(me, { focus: true });
    } catch (e) {
      showMessage(error, e.message);
      tid('login-password').select();
    } finally {
      button.disabled = false;
    }
  });

  async function showInvite(token) {
    showView('invite');
    const intro = tid('invite-intro');
    const form = tid('invite-form');
    try {
      const invite = await api('GET', `/api/invites/${token}`);
      tid('invite-email').textContent = invite.email;
      intro.hidden = false;
      form.hidden = false;
      tid('invite-password').focus();
    } catch (e) {
      showMessage(tid('invite-invalid'), e.status === 404
        ? 'This invite link has expired or was already used. Ask your admin for a new one.'
        : e.message);
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const password = tid('invite-password').value;
      const repeat = tid('invite-password2').value;
      const error = tid('invite-error');
      if ([...password].length < 10) {
        showMessage(error, 'The password needs at least 10 characters.');
        tid('invite-password').focus();
        return;
      }
      if (password !== repeat) {
        showMessage(error, 'The two passwords are not the same.');
        tid('invite-password2').focus();
        return;
      }
      const button = tid('invite-submit');
      button.disabled = true;
      showMessage(error, '');
      try {
        const me = await api('POST', `/api/invites/${token}`, { json: { password } });
        history.replaceState(null, '', '/');
        enterApp(me, { focus: true });
      } catch (e) {
        showMessage(error, e.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  tid('logout').addEventListener('click', async () => {
    try { await api('POST', '/api/logout'); } catch { /* signed out locally all the same */ }
    leaveApp();
    history.replaceState(null, '', '/');
    showLogin('You are signed out.');
  });

  // ------------------------------------------------------------------------------------------
  // Take a photo: camera with live guidance, or upload
  // ------------------------------------------------------------------------------------------

  const cam = {
    stream: null,
    loop: 0, // bumped to stop the live-check loop
    video: tid('camera-video'),
    overlay: tid('camera-overlay'),
    advice: tid('camera-advice'),
    stage: tid('camera-stage'),
  };

  // Line colours over the video, by the check's status.
  const STATUS_COLOURS = { pass: '#34b35a', warn: '#e0a000', fail: '#e5483e' };

  function viewCapture() {
    showMessage(tid('upload-error'), '');
    tid('upload-status').textContent = '';
    tid('camera-status').textContent = '';
  }

  function cameraErrorText(e) {
    switch (e && e.name) {
      case 'NotAllowedError':
      case 'SecurityError':
        return 'Camera access was blocked. Allow the camera for this site in your browser settings, or upload a photo instead.';
      case 'NotFoundError':
      case 'OverconstrainedError':
        return 'No camera was found. Upload a photo instead.';
      case 'NotReadableError':
        return 'The camera is busy in another app. Close that app and try again, or upload a photo.';
      default:
        return `The camera could not start (${(e && e.message) || 'unknown reason'}). Upload a photo instead.`;
    }
  }

  async function startCamera() {
    const error = tid('camera-error');
    showMessage(error, '');
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMessage(error, 'This browser cannot use the camera here (it needs a secure https:// address). Upload a photo instead.');
      return;
    }
    const start = tid('camera-start');
    start.disabled = true;
    const route = state.route;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
      if (route !== state.route) { // the user went elsewhere while the browser asked
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      cam.stream = stream;
      cam.video.srcObject = stream;
      await cam.video.play().catch(() => {});
      if (!cam.video.videoWidth) {
        await new Promise((resolve) => cam.video.addEventListener('loadedmetadata', resolve, { once: true }));
      }
      const ar = cam.video.videoWidth / cam.video.videoHeight;
      cam.stage.style.setProperty('--ar', String(ar));
      tid('camera').hidden = false;
      start.hidden = true;
      tid('camera-capture').focus();
      liveChecks(++cam.loop);
    } catch (e) {
      showMessage(error, cameraErrorText(e));
    } finally {
      start.disabled = false;
    }
  }

  function stopCamera() {
    cam.loop++;
    if (cam.stream) cam.stream.getTracks().forEach((t) => t.stop());
    cam.stream = null;
    cam.video.srcObject = null;
    tid('camera').hidden = true;
    tid('camera-start').hidden = false;
    cam.advice.textContent = '';
    cam.advice.dataset.status = '';
    cam.overlay.getContext('2d').clearRect(0, 0, cam.overlay.width, cam.overlay.height);
  }

  function frameBlob(canvas, quality) {
    const v = cam.video;
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    canvas.getContext('2d').drawImage(v, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('could not encode the frame'))), 'image/jpeg', quality));
  }

  /**
   * Every ~200 ms: one frame to /api/check, then the guidance drawn over the video. The next
   * request starts only when the previous one has finished (never two in flight).
   */
  async function liveChecks(loop) {
    const canvas = document.createElement('canvas');
    while (loop === cam.loop) {
      const started = performance.now();
      let pause = 200;
      if (!document.hidden && cam.video.videoWidth) {
        try {
          const blob = await frameBlob(canvas, 0.8);
          const result = await api('POST', '/api/check', { body: blob, headers: { 'Content-Type': 'image/jpeg' } });
          if (loop !== cam.loop) return;
          drawGuidance(result);
          showAdvice(result);
          tid('camera-status').textContent = '';
        } catch (e) {
          if (loop !== cam.loop) return;
          if (e.status === 401) return;
          if (e.status === 429) pause = (e.retryAfter || 1) * 1000;
          else pause = 1000;
          tid('camera-status').textContent = `Live guidance paused: ${e.message}`;
        }
      }
      await sleep(Math.max(0, pause - (performance.now() - started)));
    }
  }

  /** The large text over the video: the server's first advice, verbatim. */
  function showAdvice(r) {
    let text;
    if (r.advice && r.advice.length) text = r.advice[0];
    else if (!r.face) text = 'No face found yet: look into the camera';
    else if (r.status === 'pass') text = 'Looks good: press Capture';
    else text = 'Almost there: press Capture when ready';
    // Only real changes, so screen readers are not flooded five times a second.
    if (cam.advice.textContent !== text) cam.advice.textContent = text;
    cam.advice.dataset.status = r.status || '';
  }

  /**
   * Draws, in the frame's own pixels (the canvas has the frame's size and is mirrored exactly
   * like the video): the headshot's crop of `target.aspect` fitted to the frame's height, the
   * target eye line and head zone inside it, and the detected face box, eye line and chin.
   */
  function drawGuidance(r) {
    const c = cam.overlay;
    const W = r.width || cam.video.videoWidth;
    const H = r.height || cam.video.videoHeight;
    if (c.width !== W || c.height !== H) { c.width = W; c.height = H; }
    const ctx = c.getContext('2d');
    ctx.clearRect(0, 0, W, H);
    const colour = STATUS_COLOURS[r.status] || STATUS_COLOURS.fail;
    const lw = Math.max(2, Math.round(W / 360));

    // A line drawn twice, dark under light, stays visible on any background.
    const stroke = (path, style, dash = []) => {
      ctx.setLineDash(dash);
      ctx.lineWidth = lw + 2;
      ctx.strokeStyle = 'rgba(0,0,0,0.45)';
      ctx.stroke(path);
      ctx.lineWidth = lw;
      ctx.strokeStyle = style;
      ctx.stroke(path);
      ctx.setLineDash([]);
    };
    const dash = [lw * 5, lw * 3];

    const t = r.target;
    if (t && t.aspect > 0) {
      let cw = H * t.aspect;
      let ch = H;
      if (cw > W) { cw = W; ch = W / t.aspect; }
      const x0 = (W - cw) / 2;
      const y0 = (H - ch) / 2;
      // Dim what the headshot leaves out.
      ctx.fillStyle = 'rgba(0,0,0,0.35)';
      ctx.fillRect(0, 0, x0, H);
      ctx.fillRect(x0 + cw, 0, W - x0 - cw, H);
      ctx.fillRect(x0, 0, cw, y0);
      ctx.fillRect(x0, y0 + ch, cw, H - y0 - ch);
      const frame = new Path2D();
      frame.rect(x0, y0, cw, ch);
      stroke(frame, colour, dash);

      if (t.eye_line != null) {
        const eyeY = y0 + t.eye_line * ch;
        const line = new Path2D();
        line.moveTo(x0, eyeY);
        line.lineTo(x0 + cw, eyeY);
        stroke(line, 'rgba(255,255,255,0.9)', dash);
        if (t.eye_to_chin != null) {
          // Head zone: chin at eye line + eye_to_chin; the crown about as far above the eyes.
          const e2c = t.eye_to_chin * ch;
          const chinY = eyeY + e2c;
          const crownY = eyeY - 1.05 * e2c;
          const cx = x0 + (t.center_x != null ? t.center_x : 0.5) * cw;
          const ry = (chinY - crownY) / 2;
          const zone = new Path2D();
          zone.ellipse(cx, (chinY + crownY) / 2, ry * 0.76, ry, 0, 0, 2 * Math.PI);
          stroke(zone, 'rgba(255,255,255,0.9)', dash);
        }
      }
    }

    const f = r.face;
    if (f && f.bbox) {
      const [x, y, w, hgt] = f.bbox;
      const box = new Path2D();
      if (box.roundRect) box.roundRect(x, y, w, hgt, Math.min(w, hgt) * 0.12);
      else box.rect(x, y, w, hgt);
      stroke(box, colour);
      if (f.eyes && f.eyes.left && f.eyes.right) {
        const [lx, ly] = f.eyes.left;
        const [rx, ry] = f.eyes.right;
        const dx = rx - lx;
        const dy = ry - ly;
        const eyes = new Path2D();
        eyes.moveTo(lx - dx * 0.6, ly - dy * 0.6);
        eyes.lineTo(rx + dx * 0.6, ry + dy * 0.6);
        stroke(eyes, colour);
        ctx.fillStyle = colour;
        for (const [px, py] of [f.eyes.left, f.eyes.right, f.chin].filter(Boolean)) {
          ctx.beginPath();
          ctx.arc(px, py, lw * 2, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
    }
  }

  /** Uploads bytes as a new photo and opens its progress view. Throws ApiError. */
  async function uploadPhoto(blob, name) {
    // Header values must be plain ASCII: other characters become "_".
    const safeName = (name || 'photo.jpg').replace(/[^\x20-\x7e]/g, '_').slice(0, 200);
    const photo = await api('POST', '/api/photos', {
      body: blob,
      headers: { 'X-Filename': safeName, 'Content-Type': blob.type || 'application/octet-stream' },
    });
    location.hash = `photo/${photo.id}`;
  }

  tid('camera-start').addEventListener('click', startCamera);
  tid('camera-stop').addEventListener('click', () => { stopCamera(); tid('camera-start').focus(); });

  tid('camera-capture').addEventListener('click', async () => {
    const button = tid('camera-capture');
    const status = tid('camera-status');
    button.disabled = true;
    showMessage(tid('camera-error'), '');
    try {
      // The photo itself is not mirrored: people see themselves mirrored, others do not.
      const blob = await frameBlob(document.createElement('canvas'), 0.92);
      status.textContent = 'Uploading your photo…';
      const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
      await uploadPhoto(blob, `camera-${stamp}.jpg`);
    } catch (e) {
      status.textContent = '';
      showMessage(tid('camera-error'), e.message);
    } finally {
      button.disabled = false;
    }
  });

  tid('upload-input').addEventListener('change', async (event) => {
    const input = event.target;
    const file = input.files && input.files[0];
    if (!file) return;
    const status = tid('upload-status');
    const error = tid('upload-error');
    showMessage(error, '');
    status.textContent = `Uploading ${file.name}…`;
    try {
      await uploadPhoto(file, file.name);
    } catch (e) {
      status.textContent = '';
      showMessage(error, e.message);
    } finally {
      input.value = ''; // the same file can be chosen again
    }
  });

  // ------------------------------------------------------------------------------------------
  // One photo: progress, result, accept / retake
  // ------------------------------------------------------------------------------------------

  const STATUS_LABELS = {
    queued: 'Queued', processing: 'Processing', ready: 'Ready', accepted: 'Accepted',
    approved: 'Approved', rejected: 'Rejected', refused: 'Refused', error: 'Error',
    discarded: 'Discarded',
  };

  /** What a status means, in a sentence (`owner`: said to the person in the photo). */
  function statusSentence(p, owner) {
    switch (p.status) {
      // The badge before the sentence already names the status.
      case 'queued': return 'Uploaded, waiting for its turn…';
      case 'processing': return 'Making the headshots: framing, light, background, retouch, then the checks…';
      case 'ready': return owner ? 'Look at your headshots, then accept them or take another photo.'
        : 'Waiting for the member to accept it.';
      case 'accepted': return owner ? 'Waiting for an admin to approve it.' : 'The member accepted it: waiting for your review.';
      case 'approved': return 'An admin approved it.';
      case 'rejected': return 'An admin rejected it.';
      case 'refused': return 'No headshot could be made from this photo.';
      case 'error': return 'Something went wrong while processing this photo.';
      case 'discarded': return 'Set aside for a retake.';
      default: return String(p.status);
    }
  }

  function setStatusLine(node, p, owner, extra) {
    node.dataset.status = p.status;
    node.replaceChildren(
      h('span', { class: 'badge', dataset: { status: p.status }, text: STATUS_LABELS[p.status] || p.status }),
      ' ', statusSentence(p, owner),
      // The running seconds are for the eye only: a live region must not announce every tick.
      extra ? h('span', { 'aria-hidden': 'true', text: ` ${extra}` }) : '');
  }

  async function viewPhoto(id) {
    const route = state.route;
    const statusNode = tid('photo-status');
    const detail = tid('photo-detail');
    detail.replaceChildren();
    statusNode.dataset.status = '';
    statusNode.textContent = 'Loading…';
    tid('photo-title').textContent = 'Your headshot';
    const started = Date.now();
    for (;;) {
      let p;
      try {
        p = await api('GET', `/api/photos/${encodeURIComponent(id)}`);
      } catch (e) {
        if (route !== state.route) return;
        if (e.status === 404 || e.status === 401) {
          statusNode.dataset.status = 'error';
          statusNode.textContent = e.status === 404 ? 'This photo does not exist, or it is not yours.' : e.message;
          return;
        }
        statusNode.textContent = `${e.message} Still trying…`;
        await sleep(2000);
        if (route !== state.route) return;
        continue;
      }
      if (route !== state.route) return;
      const mine = p.owner && state.user && p.owner.id === state.user.id;
      tid('photo-title').textContent = mine ? 'Your headshot' : `Photo of ${p.owner ? p.owner.email : 'someone'}`;
      if (p.status === 'queued' || p.status === 'processing') {
        const seconds = Math.round((Date.now() - started) / 1000);
        setStatusLine(statusNode, p, mine, seconds >= 3 ? `(${seconds} s)` : '');
        await sleep(1000);
        if (route !== state.route) return;
        continue;
      }
      showPhoto(p, mine);
      return;
    }
  }

  /** The finished photo in the member's view, with its actions. */
  function showPhoto(p, mine) {
    setStatusLine(tid('photo-status'), p, mine);
    renderDetail(tid('photo-detail'), p, {
      owner: mine,
      onChange: (updated) => showPhoto(updated, mine),
    });
  }

  /**
   * Everything about a processed photo: reason and advice when refused, the headshots (variant
   * tabs, before/after slider, authenticity numbers), the admin's review, the checks, and for
   * the owner the Accept / Retake buttons.
   */
  function renderDetail(container, p, { owner, onChange }) {
    const parts = [];

    if (p.status === 'refused' || p.status === 'error') {
      parts.push(h('p', { class: 'error', testid: 'photo-reason', text: p.reason || statusSentence(p, owner) }));
    }
    const shots = (p.headshots || []).filter((s) => s && s.url); // only variants with a file
    // Without a headshot the advice is the point of the page; with one it is a footnote for the
    // next photo, folded away below the result (on a phone it would push the result off screen).
    let advice = null;
    if (p.advice && p.advice.length && !['approved', 'accepted'].includes(p.status)) {
      const title = owner ? 'For your next photo' : 'Advice for a retake';
      const list = h('ul', { class: 'advice-list' }, p.advice.map((a) => h('li', { text: a })));
      advice = shots.length
        ? h('details', { class: 'findings', testid: 'photo-advice' },
          h('summary', { text: `${title}: ${p.advice.length} ${p.advice.length === 1 ? 'tip' : 'tips'}` }), list)
        : h('div', { testid: 'photo-advice' }, h('h2', { text: title }), list);
      if (!shots.length) parts.push(advice);
    }
    if (p.review) {
      const who = p.review.by ? ` by ${p.review.by}` : '';
      const decision = p.review.decision === 'approved' ? 'Approved' : 'Rejected';
      parts.push(h('p', { class: 'review-note', testid: 'photo-review' },
        h('strong', { text: `${decision}${who}` }), p.review.at ? ` (${when(p.review.at)})` : '',
        p.review.comment ? `: “${p.review.comment}”` : ''));
    }

    if (shots.length) parts.push(renderHeadshots(shots, p));
    if (shots.length && advice) parts.push(advice);

    if (owner) {
      const actions = h('div', { class: 'actions', testid: 'photo-actions' });
      const error = h('p', { class: 'error', role: 'alert', testid: 'photo-action-error', hidden: true });
      const act = async (button, what) => {
        button.disabled = true;
        showMessage(error, '');
        try {
          await what();
        } catch (e) {
          showMessage(error, e.message);
          button.disabled = false;
        }
      };
      if (p.status === 'ready') {
        const accept = h('button', { type: 'button', class: 'primary', testid: 'accept-button', text: 'Accept' });
        accept.addEventListener('click', () => act(accept, async () => {
          const updated = await api('POST', `/api/photos/${p.id}/accept`);
          onChange(updated);
          tid('photo-status').focus(); // the Accept button is gone: focus the new status
        }));
        actions.append(accept);
      }
      if (['ready', 'accepted', 'refused', 'error'].includes(p.status) && !p.review) {
        // Retake is the main way on when there is nothing to accept.
        const retake = h('button', { type: 'button', class: p.status === 'ready' ? null : 'primary', testid: 'retake-button', text: 'Retake' });
        retake.addEventListener('click', () => act(retake, async () => {
          await api('POST', `/api/photos/${p.id}/discard`);
          location.hash = 'capture';
        }));
        actions.append(retake);
      } else {
        actions.append(h('a', { class: 'button', href: '#capture', testid: 'new-photo-link', text: 'Take a new photo' }));
      }
      parts.push(actions, error);
    }

    // Findings of the checks that did not simply pass.
    const findings = (p.findings || []).filter((f) => f.status && f.status !== 'pass');
    if (findings.length) {
      parts.push(h('details', { class: 'findings', testid: 'photo-findings' },
        h('summary', { text: `Photo checks: ${findings.length} to note` }),
        h('ul', {}, findings.map((f) => h('li', {},
          h('strong', { text: `${f.check} (${f.status})` }),
          f.advice ? `: ${f.advice}` : '')))));
    }
    container.replaceChildren(...parts);
  }

  /** Variant tabs; each panel: before/after slider, download link, authenticity numbers. */
  function renderHeadshots(shots, p) {
    const wrap = h('div', { testid: 'result' });
    const uid = `p${p.id}-${Math.random().toString(36).slice(2, 7)}`;
    const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Headshot sizes', testid: 'variant-tabs' });
    const panel = h('div', { role: 'tabpanel', id: `${uid}-panel`, tabindex: '-1', testid: 'variant-panel' });
    const buttons = shots.map((s, i) => h('button', {
      type: 'button', role: 'tab', id: `${uid}-tab-${i}`, 'aria-controls': `${uid}-panel`,
      'aria-selected': 'false', tabindex: '-1', testid: `variant-tab-${s.variant}`,
    }, s.variant, h('span', { class: 'tab-size', text: ` · ${s.width}×${s.height}` })));
    const select = (i, focus) => {
      buttons.forEach((b, j) => {
        b.setAttribute('aria-selected', String(i === j));
        b.tabIndex = i === j ? 0 : -1;
      });
      panel.setAttribute('aria-labelledby', buttons[i].id);
      panel.replaceChildren(renderHeadshot(shots[i], uid, p));
      if (focus) buttons[i].focus();
    };
    buttons.forEach((b, i) => {
      b.addEventListener('click', () => select(i, false));
      // Arrow keys move between tabs (the usual tablist keyboard pattern).
      b.addEventListener('keydown', (e) => {
        const n = buttons.length;
        let j = null;
        if (e.key === 'ArrowRight') j = (i + 1) % n;
        else if (e.key === 'ArrowLeft') j = (i - 1 + n) % n;
        else if (e.key === 'Home') j = 0;
        else if (e.key === 'End') j = n - 1;
        if (j != null) { e.preventDefault(); select(j, true); }
      });
    });
    tabs.append(...buttons);
    if (shots.length > 1) wrap.append(tabs);
    wrap.append(panel);
    select(0, false);
    return wrap;
  }

  /** The picture frame, shaped like the headshot (set through CSSOM: no style attribute, so a
   *  strict Content-Security-Policy does not get in the way). */
  function compareFigure(s) {
    const figure = h('figure', { class: 'compare', testid: 'compare' });
    figure.style.aspectRatio = `${Number(s.width) || 4} / ${Number(s.height) || 5}`;
    return figure;
  }

  function renderHeadshot(s, uid, p) {
    const left = h('div', {}, ...comparison(s, `${uid}-slider`));
    left.append(h('p', {}, h('a', { href: s.url, download: '', testid: 'download-link', text: `Download ${s.variant} (${s.width}×${s.height})` })));
    const framing = renderFraming(s);
    if (framing) left.append(framing);
    return h('div', { class: 'result' }, left, renderVerification(s, p));
  }

  /** The headshot `s` ({variant, url, before_url, width, height}); with a before, the two on
   *  top of each other and a slider between them. Returns the elements. */
  function comparison(s, sliderId) {
    if (s.before_url) {
      // Before underneath, after on top, clipped from the left: left of the line is before.
      const figure = compareFigure(s);
      const before = h('img', { src: s.before_url, alt: `Before: the ${s.variant} framing of the original, without retouch or background`, testid: 'compare-before', draggable: 'false' });
      const after = h('img', { src: s.url, alt: `After: the finished ${s.variant} headshot`, testid: 'compare-after', draggable: 'false' });
      const divider = h('div', { class: 'divider', 'aria-hidden': 'true' });
      figure.append(before, after, divider,
        h('span', { class: 'tag tag-before', 'aria-hidden': 'true', text: 'Before' }),
        h('span', { class: 'tag tag-after', 'aria-hidden': 'true', text: 'After' }));
      const slider = h('input', {
        type: 'range', id: sliderId, min: '0', max: '100', step: '1', value: '50',
        testid: 'compare-slider',
      });
      const apply = () => {
        const v = Number(slider.value);
        after.style.clipPath = `inset(0 0 0 ${v}%)`;
        divider.style.left = `${v}%`;
        slider.setAttribute('aria-valuetext', `${v} % before, ${100 - v} % after`);
      };
      slider.addEventListener('input', apply);
      apply();
      // Dragging on the picture moves the slider too (mouse and touch).
      const fromPointer = (e) => {
        const r = figure.getBoundingClientRect();
        slider.value = String(Math.round(Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)) * 100));
        apply();
      };
      figure.addEventListener('pointerdown', (e) => { figure.setPointerCapture(e.pointerId); fromPointer(e); });
      figure.addEventListener('pointermove', (e) => { if (figure.hasPointerCapture(e.pointerId)) fromPointer(e); });
      return [figure,
        // Accessible name "Compare before and after"; what is seen: "◀ Before … After ▶".
        h('label', { for: sliderId, class: 'slider-label' },
          h('span', { class: 'visually-hidden', text: s.compare_name || 'Compare before and after' }),
          h('span', { 'aria-hidden': 'true', text: '◀ Before' }),
          h('span', { 'aria-hidden': 'true', text: 'After ▶' })),
        slider];
    }
    const figure = compareFigure(s);
    figure.append(h('img', { src: s.url, alt: `The finished ${s.variant} headshot`, testid: 'compare-after' }));
    return [figure];
  }

  /** Where the face sits in the headshot against the guideline's target and tolerance; a
   *  headshot framed outside the tolerances (the photo allowed no closer framing) says so. */
  function renderFraming(s) {
    const f = s.framing || {};
    const t = s.target || {};
    const tol = s.tolerance || {};
    if (typeof f.eye_line !== 'number' || typeof t.eye_line !== 'number') return null;
    const pct = (x) => `${Math.round(x * 100)} %`;
    const within = (tol.eye_line != null) ? ` ± ${Math.round(tol.eye_line * 100)}` : '';
    const withinSize = (tol.eye_to_chin != null) ? ` ± ${Math.round(tol.eye_to_chin * 100)}` : '';
    const words = `Framing: eyes ${pct(f.eye_line)} from the top (guideline ${Math.round(t.eye_line * 100)}${within} %), `
      + `eye to chin ${pct(f.eye_to_chin)} of the height (guideline ${Math.round(t.eye_to_chin * 100)}${withinSize} %).`;
    if (s.in_tolerance === false) {
      return h('p', { class: 'framing outside', testid: 'framing' },
        h('strong', { text: 'Outside the guideline’s framing: ' }),
        h('span', { text: `this photo allowed no closer framing. ${words} A retake with more room around you fixes it.` }));
    }
    return h('p', { class: 'framing small muted', testid: 'framing', text: words });
  }

  // ------------------------------------------------------------------------------------------
  // Authenticity numbers in plain words
  // ------------------------------------------------------------------------------------------

  /** What the photo's report (present on GET /api/photos/{id}) says about the signature. */
  function credentialsText(p) {
    const cc = p && p.report && p.report.content_credentials;
    if (cc && cc.signed === false) return 'This file carries no content credentials: it was not signed.';
    const test = cc && cc.test_certificate ? ' It was signed with a local test certificate, not the organisation\u2019s own.' : '';
    return `This file carries signed content credentials (C2PA): the original photo as its source, every edit, and these measures. Nothing in the face was generated.${test}`;
  }

  function renderVerification(s, p) {
    const v = s.verification || {};
    const passed = v.status === 'passed';
    // The server words every check from the one declaration the contact sheet also reads.
    const list = h('ul', { class: 'measures', testid: 'measures' });
    for (const c of v.checks || []) {
      const cls = c.ok === true ? 'ok' : c.ok === false ? 'bad' : 'na';
      const mark = c.ok === true ? '✓' : c.ok === false ? '✗' : '–';
      list.append(h('li', { class: cls, dataset: { measure: c.measure } },
        h('span', { class: 'mark', 'aria-hidden': 'true', text: mark }),
        h('span', { text: c.text + (c.ok === false ? ' — over the limit' : '') })));
    }
    const retouch = s.retouch || {};
    return h('section', { class: 'verify', testid: 'verification', 'aria-label': 'Authenticity checks' },
      h('h3', { text: 'Is it still you?' }),
      h('p', { class: `verified ${passed ? 'ok' : 'bad'}`, testid: 'verification-status' },
        passed ? '✓ Verified: every measure is within the guideline\u2019s limits.'
          : `✗ Not verified (${v.status || 'no verification'}).`),
      list,
      retouch.requested ? h('p', { class: 'small muted', testid: 'retouch' },
        retouch.delivered && retouch.delivered !== retouch.requested
          ? `Retouch: ${retouch.requested} was asked for; ${retouch.delivered} was delivered to stay within the limits.`
          : `Retouch: ${retouch.delivered || retouch.requested}.`) : null,
      h('p', { class: 'credentials small', testid: 'credentials', text: credentialsText(p) }));
  }

  // ------------------------------------------------------------------------------------------
  // My photos
  // ------------------------------------------------------------------------------------------

  function thumbOf(p) {
    const first = p.headshots && p.headshots[0];
    return (first && first.url) || p.thumbnail_url || null;
  }

  async function viewMine() {
    const route = state.route;
    const list = tid('my-photos');
    const status = tid('mine-status');
    status.textContent = 'Loading…';
    try {
      const photos = (await api('GET', '/api/photos')).filter((p) => p.status !== 'discarded');
      if (route !== state.route) return;
      status.textContent = photos.length ? '' : 'No photos yet.';
      list.replaceChildren(...photos.map((p) => {
        const src = thumbOf(p);
        return h('li', { testid: 'my-photo', dataset: { photoId: String(p.id), status: p.status } },
          src ? h('img', { src, alt: '', loading: 'lazy' }) : h('span', { class: 'noimg', 'aria-hidden': 'true' }),
          h('div', { class: 'grow' },
            h('div', { class: 'name', text: p.name || `Photo ${p.id}` }),
            h('div', { class: 'small muted', text: when(p.created) })),
          h('span', { class: 'badge', dataset: { status: p.status }, text: STATUS_LABELS[p.status] || p.status }),
          h('a', { href: `#photo/${p.id}`, 'aria-label': `Open ${p.name || `photo ${p.id}`}`, text: 'Open' }));
      }));
      if (!photos.length) list.append(h('li', {}, h('a', { href: '#capture', text: 'Take or upload your first photo' })));
    } catch (e) {
      if (route === state.route) status.textContent = e.message;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Admin: team gallery
  // ------------------------------------------------------------------------------------------

  const FILTERS = ['', 'accepted', 'ready', 'approved', 'rejected', 'refused', 'error', 'processing', 'queued', 'discarded'];
  const gallery = { filter: '' };

  function renderFilters() {
    const group = tid('gallery-filters');
    group.replaceChildren(...FILTERS.map((f) => h('button', {
      type: 'button', 'aria-pressed': String(f === gallery.filter), testid: `filter-${f || 'all'}`,
      text: f ? STATUS_LABELS[f] : 'All',
      onclick: () => { gallery.filter = f; renderFilters(); loadGallery(); },
    })));
  }

  function viewGallery() {
    renderFilters();
    loadGallery();
  }

  async function loadGallery() {
    const route = state.route;
    const list = tid('gallery-list');
    const status = tid('gallery-status');
    status.textContent = 'Loading…';
    try {
      const q = gallery.filter ? `?status=${encodeURIComponent(gallery.filter)}` : '';
      const photos = await api('GET', `/api/photos${q}`);
      if (route !== state.route) return;
      const what = gallery.filter ? `${STATUS_LABELS[gallery.filter].toLowerCase()} ` : '';
      status.textContent = photos.length
        ? `${photos.length} ${what}photo${photos.length === 1 ? '' : 's'}.`
        : `No ${what}photos.`;
      list.replaceChildren(...photos.map(galleryCard));
    } catch (e) {
      if (route === state.route) status.textContent = e.message;
    }
  }

  function galleryCard(p) {
    const owner = p.owner ? p.owner.email : '';
    const src = thumbOf(p);
    const card = h('li', { class: 'card', testid: 'gallery-card', dataset: { photoId: String(p.id), owner, status: p.status } });
    const open = h('button', { type: 'button', class: 'thumb', testid: 'card-open', 'aria-label': `Open the photo of ${owner}` },
      src ? h('img', { src, alt: '', loading: 'lazy' }) : h('span', { class: 'noimg', text: STATUS_LABELS[p.status] || p.status }));
    open.addEventListener('click', () => openPhotoDialog(p.id, owner));
    card.append(open,
      h('div', { class: 'owner', testid: 'card-owner', text: owner }),
      h('div', { class: 'meta' },
        h('span', { class: 'badge', testid: 'card-status', dataset: { status: p.status }, text: STATUS_LABELS[p.status] || p.status }),
        h('span', { class: 'small muted', text: when(p.created) })));
    if (p.review) {
      card.append(h('p', { class: 'small review-note', testid: 'card-review' },
        `${p.review.decision === 'approved' ? 'Approved' : 'Rejected'}${p.review.by ? ` by ${p.review.by}` : ''}`,
        p.review.comment ? `: “${p.review.comment}”` : ''));
    }
    if (p.status === 'refused' || p.status === 'error') {
      card.append(h('p', { class: 'small card-reason', testid: 'card-reason', text: p.reason || '' }));
    }

    // An admin reviews what processing made (ready, or accepted by the member); a review can
    // be changed later.
    if (['ready', 'accepted', 'approved', 'rejected'].includes(p.status)) {
      const inputId = `comment-${p.id}`;
      const comment = h('input', { type: 'text', id: inputId, testid: 'card-comment', autocomplete: 'off' });
      const error = h('p', { class: 'error small', role: 'alert', testid: 'card-error', hidden: true });
      const approve = h('button', { type: 'button', class: 'primary', testid: 'card-approve', text: 'Approve' });
      const reject = h('button', { type: 'button', class: 'danger', testid: 'card-reject', text: 'Reject' });
      const review = async (decision) => {
        const text = comment.value.trim();
        if (decision === 'reject' && !text) {
          showMessage(error, 'Say why it is rejected, so they know what to change.');
          comment.focus();
          return;
        }
        approve.disabled = reject.disabled = true;
        showMessage(error, '');
        try {
          const updated = await api('POST', `/api/photos/${p.id}/review`, { json: { decision, comment: text } });
          // The card stays where it is (even if it no longer matches the filter) with its new status.
          const next = galleryCard(updated);
          card.replaceWith(next);
          tid('card-status', next).setAttribute('tabindex', '-1');
          tid('card-status', next).focus();
          tid('gallery-status').textContent = `${decision === 'approve' ? 'Approved' : 'Rejected'} the photo of ${owner}.`;
        } catch (e) {
          showMessage(error, e.message);
          approve.disabled = reject.disabled = false;
        }
      };
      approve.addEventListener('click', () => review('approve'));
      reject.addEventListener('click', () => review('reject'));
      card.append(h('div', { class: 'review' },
        h('label', { for: inputId, text: 'Comment' }), comment,
        h('div', { class: 'row' }, approve, reject), error));
    }
    // Make the headshots again with the guideline in force (after a change of guideline).
    if (['ready', 'accepted', 'approved', 'rejected', 'refused', 'error'].includes(p.status)) {
      const redo = h('button', {
        type: 'button', class: 'link card-redo', testid: 'card-redo', text: 'Make again with the current guideline',
        'aria-label': `Make again with the current guideline: ${owner}`,
      });
      redo.addEventListener('click', async () => {
        redo.disabled = true;
        try {
          const updated = await api('POST', `/api/photos/${p.id}/redo`);
          card.replaceWith(galleryCard(updated));
          tid('gallery-status').textContent = `The photo of ${owner} is being made again.`;
        } catch (e) {
          tid('gallery-status').textContent = e.message;
          redo.disabled = false;
        }
      });
      card.append(redo);
    }
    return card;
  }

  async function openPhotoDialog(id, owner) {
    const dialog = tid('photo-dialog');
    tid('dialog-title').textContent = `Photo of ${owner}`;
    const status = tid('dialog-status');
    const detail = tid('dialog-detail');
    status.dataset.status = '';
    status.textContent = 'Loading…';
    detail.replaceChildren();
    if (!dialog.open) dialog.showModal();
    try {
      const p = await api('GET', `/api/photos/${encodeURIComponent(id)}`);
      const mine = p.owner && p.owner.id === state.user.id;
      setStatusLine(status, p, mine);
      renderDetail(detail, p, { owner: false });
    } catch (e) {
      status.textContent = e.message;
    }
  }
  tid('dialog-close').addEventListener('click', () => tid('photo-dialog').close());

  // ------------------------------------------------------------------------------------------
  // Admin: guideline editor
  // ------------------------------------------------------------------------------------------

  const guideline = { loaded: false, dirty: false, saved: '' };
  const tomlBox = tid('guideline-text');

  async function viewGuideline() {
    // Unsaved edits survive a visit to another view.
    if (guideline.loaded && guideline.dirty) return;
    await loadGuideline();
  }

  async function loadGuideline() {
    const message = tid('guideline-message');
    message.hidden = true;
    try {
      const g = await api('GET', '/api/guideline');
      tomlBox.value = g.toml;
      guideline.saved = g.toml;
      guideline.loaded = true;
      guideline.dirty = false;
      showGuidelineInfo(g);
      updateCaret();
    } catch (e) {
      guidelineMessage(false, e.message);
    }
  }

  function showGuidelineInfo(g) {
    const parts = [`“${g.name}”`];
    if (g.updated) parts.push(`saved ${when(g.updated)}${g.updated_by ? ` by ${g.updated_by}` : ''}`);
    if (g.sha256) parts.push(`SHA-256 ${g.sha256.slice(0, 12)}…`);
    tid('guideline-meta').textContent = parts.join(' · ');
    // "38 % ± 4 of the height": the target and how far a headshot may be from it.
    const pct = (x, tol) => (x == null ? '—'
      : `${Math.round(x * 100)} %${tol ? ` ± ${Math.round(tol * 100)}` : ''} of the height`);
    tid('guideline-variants').tBodies[0].replaceChildren(...(g.variants || []).map((v) => h('tr', {},
      h('td', { text: v.name }), h('td', { text: `${v.width} × ${v.height}` }), h('td', { text: v.format }),
      h('td', { text: pct(v.eye_line, v.eye_line_tolerance) }),
      h('td', { text: pct(v.eye_to_chin, v.eye_to_chin_tolerance) }))));
  }

  function guidelineMessage(ok, text, extra) {
    const node = tid('guideline-message');
    node.className = `message ${ok ? 'ok' : 'bad'}`;
    node.setAttribute('role', ok ? 'status' : 'alert');
    node.replaceChildren(text, extra || '');
    node.hidden = false;
  }

  /** Offset in the textarea of 1-based line and column. */
  function offsetOf(text, line, column) {
    let offset = 0;
    for (let i = 1; i < line; i++) {
      const nl = text.indexOf('\n', offset);
      if (nl < 0) return text.length;
      offset = nl + 1;
    }
    const end = text.indexOf('\n', offset);
    const lineLength = (end < 0 ? text.length : end) - offset;
    return offset + Math.min(Math.max(0, (column || 1) - 1), lineLength);
  }

  /**
   * Puts the caret at line:column, selecting from there to the end of the line so the spot is
   * seen, and scrolls it into view.
   */
  function gotoLine(line, column) {
    const text = tomlBox.value;
    const pos = offsetOf(text, line, column);
    const end = text.indexOf('\n', pos);
    tomlBox.focus();
    tomlBox.setSelectionRange(pos, end < 0 ? text.length : end);
    const lineHeight = parseFloat(getComputedStyle(tomlBox).lineHeight) || 20;
    tomlBox.scrollTop = Math.max(0, (line - 1) * lineHeight - tomlBox.clientHeight / 3);
    updateCaret();
  }

  function updateCaret() {
    const before = tomlBox.value.slice(0, tomlBox.selectionStart);
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    tid('guideline-caret').textContent = `Line ${line}, column ${column}`;
  }
  for (const ev of ['keyup', 'click', 'select', 'focus']) tomlBox.addEventListener(ev, updateCaret);
  tomlBox.addEventListener('input', () => { guideline.dirty = tomlBox.value !== guideline.saved; });

  /** Shows a guideline error; with a line, names it and moves the caret there. */
  function guidelineError(e) {
    const d = e.data || {};
    if (e.status === 422 && d.line) {
      const where = `Line ${d.line}${d.column ? `, column ${d.column}` : ''}: `;
      const go = h('button', { type: 'button', testid: 'guideline-goto', text: `Go to line ${d.line}` });
      go.addEventListener('click', () => gotoLine(d.line, d.column));
      guidelineMessage(false, `${where}${d.error || e.message}`, go);
      tid('guideline-message').dataset.line = String(d.line);
      gotoLine(d.line, d.column);
    } else {
      guidelineMessage(false, e.message);
    }
  }

  async function guidelineAction(button, method, path, done) {
    button.disabled = true;
    delete tid('guideline-message').dataset.line;
    try {
      done(await api(method, path, { json: { toml: tomlBox.value } }));
    } catch (e) {
      guidelineError(e);
    } finally {
      button.disabled = false;
    }
  }

  tid('guideline-validate').addEventListener('click', () => guidelineAction(
    tid('guideline-validate'), 'POST', '/api/guideline/validate', (r) => {
      const sizes = (r.variants || []).map((v) => `${v.name} ${v.width}×${v.height}`).join(', ');
      guidelineMessage(true, `Valid: “${r.name}” with ${(r.variants || []).length} headshot sizes${sizes ? ` (${sizes})` : ''}. Not saved yet.`);
    }));

  tid('guideline-save').addEventListener('click', () => guidelineAction(
    tid('guideline-save'), 'PUT', '/api/guideline', (g) => {
      tomlBox.value = g.toml;
      guideline.saved = g.toml;
      guideline.dirty = false;
      showGuidelineInfo(g);
      guidelineMessage(true, 'Saved. Photos uploaded from now on follow this guideline.');
    }));

  tid('guideline-reload').addEventListener('click', () => loadGuideline());

  // Every photo made with an older guideline is made again with the saved one (their reviews
  // are cleared; employees do not upload again).
  tid('guideline-apply').addEventListener('click', async () => {
    const button = tid('guideline-apply');
    if (guideline.dirty) {
      guidelineMessage(false, 'Save the guideline first: existing photos are made again with the saved one.');
      return;
    }
    if (!window.confirm('Make every photo made with an older guideline again with this one? Their approvals are cleared and need reviewing again.')) return;
    button.disabled = true;
    try {
      const r = await api('POST', '/api/guideline/apply');
      guidelineMessage(true, r.queued
        ? `${r.queued} ${r.queued === 1 ? 'photo is' : 'photos are'} being made again with this guideline; review them in the team gallery.`
        : 'Every photo already follows this guideline.');
    } catch (e) {
      guidelineMessage(false, e.message);
    } finally {
      button.disabled = false;
    }
  });

  // ------------------------------------------------------------------------------------------
  // Admin: members
  // ------------------------------------------------------------------------------------------

  async function viewMembers() {
    const route = state.route;
    const status = tid('members-status');
    status.textContent = 'Loading…';
    try {
      const users = await api('GET', '/api/users');
      if (route !== state.route) return;
      status.textContent = `${users.length} ${users.length === 1 ? 'person' : 'people'} can sign in.`;
      tid('members-table').tBodies[0].replaceChildren(...users.map((u) => h('tr', { testid: 'member-row', dataset: { email: u.email } },
        h('td', { text: u.email }),
        h('td', { text: u.role === 'admin' ? 'Admin' : 'Member' }),
        h('td', { text: String(u.photos ?? '') }),
        h('td', { text: when(u.created) }),
        h('td', { class: 'row-actions' },
          h('button', {
            type: 'button', testid: 'member-reinvite',
            'aria-label': `New sign-in link for ${u.email}`, text: 'New sign-in link',
            onclick: () => reinvite(u),
          }),
          u.email === state.user?.email ? null : h('button', {
            type: 'button', class: 'danger', testid: 'member-remove',
            'aria-label': `Remove ${u.email} and their photos`, text: 'Remove…',
            onclick: () => removeMember(u),
          })))));
    } catch (e) {
      if (route === state.route) status.textContent = e.message;
    }
  }

  /** Shows an invite link in the box under the form, selected for copying. */
  function showInviteLink(sentence, inviteUrl) {
    const link = tid('invite-link');
    link.value = location.origin + inviteUrl;
    tid('invite-result-text').textContent = sentence;
    tid('invite-copy-status').textContent = '';
    tid('invite-result').hidden = false;
    link.focus();
    link.select();
  }

  /** A new link for someone who lost theirs or forgot their password. */
  async function reinvite(u) {
    const status = tid('members-status');
    try {
      const r = await api('POST', `/api/users/${u.id}/invite`);
      showInviteLink(`A new sign-in link for ${r.user.email}: it lets them choose a new password, ` +
        'works once, and signs them out everywhere else. Earlier links no longer work.', r.invite_url);
    } catch (e) {
      status.textContent = e.message;
    }
  }

  /** Someone leaving: the account and every photo of it (originals and headshots) are deleted. */
  async function removeMember(u) {
    const status = tid('members-status');
    const photos = u.photos ? ` and their ${u.photos} ${u.photos === 1 ? 'photo' : 'photos'}` : '';
    if (!window.confirm(`Remove ${u.email}${photos}? This deletes the originals and the headshots and cannot be undone.`)) return;
    try {
      await api('DELETE', `/api/users/${u.id}`);
      await viewMembers();
      status.textContent = `${u.email} was removed${photos}. ${status.textContent}`;
    } catch (e) {
      status.textContent = e.message;
    }
  }

  tid('add-member-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const emailBox = tid('add-member-email');
    const email = emailBox.value.trim();
    const error = tid('add-member-error');
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      showMessage(error, 'Enter the person\u2019s email address, like name@company.com.');
      emailBox.focus();
      return;
    }
    const button = tid('add-member-submit');
    button.disabled = true;
    showMessage(error, '');
    try {
      const role = tid('add-member-role').value;
      const r = await api('POST', '/api/users', { json: { email, role } });
      emailBox.value = '';
      showInviteLink(`${r.user.email} was added. Send them this link: it lets them choose a password and sign in. It works once.`,
        r.invite_url);
      viewMembers();
    } catch (e) {
      showMessage(error, e.message);
    } finally {
      button.disabled = false;
    }
  });

  tid('invite-copy').addEventListener('click', async () => {
    const link = tid('invite-link');
    const status = tid('invite-copy-status');
    try {
      await navigator.clipboard.writeText(link.value);
      status.textContent = 'Copied.';
    } catch {
      // No clipboard access (e.g. not a secure address): leave it selected for Ctrl+C.
      link.focus();
      link.select();
      status.textContent = 'Press Ctrl+C (⌘C on a Mac) to copy the selected link.';
    }
  });

  // ------------------------------------------------------------------------------------------
  // Headshot days
  // ------------------------------------------------------------------------------------------

  const DAY_STATES = {
    open: 'Frames being uploaded', queued: 'Waiting to be sorted', processing: 'Sorting frames and making headshots',
    ready: 'Ready', error: 'Could not be sorted',
  };
  const PERSON_STATUS = {
    waiting: 'Not sorted yet', to_choose: 'To choose', chosen: 'Chosen', retake: 'Retake asked',
    no_frames: 'No frames', unusable: 'No usable frame', review: 'Frames to review', failed: 'No headshot',
  };

  async function viewDays() {
    const route = state.route;
    const admin = state.user.role === 'admin';
    const status = tid('days-status');
    tid('days-title').textContent = admin ? 'Headshot days' : 'Your headshot days';
    status.textContent = 'Loading…';
    try {
      const days = await api('GET', '/api/days');
      if (route !== state.route) return;
      status.textContent = days.length ? '' : (admin ? 'No headshot days yet.' : 'You are not on the roster of any headshot day.');
      tid('days-list').replaceChildren(...days.map((d) => {
        const mine = !admin && d.people[0];
        const label = mine ? (PERSON_STATUS[mine.status] || mine.status) : (DAY_STATES[d.state] || d.state);
        const counts = admin && d.counts ? Object.entries(d.counts).map(([k, n]) => `${n} ${(PERSON_STATUS[k] || k).toLowerCase()}`).join(', ') : '';
        return h('li', { testid: 'day-item', dataset: { dayId: String(d.id), status: mine ? mine.status : d.state } },
          h('div', { class: 'grow' },
            h('div', { class: 'name', text: d.name }),
            h('div', { class: 'small muted', text: admin ? `${d.roster} on the roster · ${counts}` : when(d.created) })),
          h('span', { class: 'badge', text: label }),
          h('a', { href: `#day/${d.id}`, 'aria-label': `Open ${d.name}`, text: 'Open' }));
      }));
    } catch (e) {
      if (route === state.route) status.textContent = e.message;
    }
  }

  /** CSV text of one field (quoted when it holds a comma, quote or line break). */
  const csvField = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

  tid('new-day-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = tid('new-day-error');
    const name = tid('new-day-name').value.trim();
    const file = tid('new-day-roster').files[0];
    const clientName = tid('new-day-client-name').value.trim();
    const clientEmail = tid('new-day-client-email').value.trim();
    showMessage(error, '');
    if (!name) {
      showMessage(error, 'Give the day a name, like “Berlin office, 7 December”.');
      tid('new-day-name').focus();
      return;
    }
    let roster;
    if (file) {
      roster = await file.text();
    } else if (clientName) {
      roster = `id,name,email\nclient,${csvField(clientName)},${csvField(clientEmail)}\n`;
    } else {
      showMessage(error, 'Choose the roster file, or fill in the client’s name.');
      tid('new-day-roster').focus();
      return;
    }
    const button = tid('new-day-submit');
    button.disabled = true;
    try {
      const r = await api('POST', '/api/days', { json: { name, roster, picks: Number(tid('new-day-picks').value) } });
      tid('new-day-form').reset();
      const invites = tid('day-invites');
      invites.hidden = !r.invites.length;
      tid('day-invites-text').textContent = `${r.invites.length} ${r.invites.length === 1 ? 'person has' : 'people have'} a new account. Send each their link: it lets them choose a password, sign in and choose their headshot. Each works once.`;
      tid('day-invites-table').tBodies[0].replaceChildren(...r.invites.map((i) => h('tr', { testid: 'day-invite' },
        h('td', { text: i.person }), h('td', { text: i.email }),
        h('td', {}, h('input', { type: 'text', readonly: '', value: location.origin + i.invite_url, 'aria-label': `Sign-in link for ${i.email}`, testid: 'day-invite-link' })))));
      await viewDays();
      tid('days-status').textContent = `“${r.day.name}” was created. Open it to upload the shoot.`;
    } catch (e) {
      showMessage(error, e.message);
    } finally {
      button.disabled = false;
    }
  });

  async function viewDay(id) {
    const route = state.route;
    const detail = tid('day-detail');
    const status = tid('day-status');
    status.textContent = 'Loading…';
    detail.replaceChildren();
    // While the day is being sorted the page follows it.
    for (;;) {
      let d;
      try {
        d = await api('GET', `/api/days/${id}`);
      } catch (e) {
        if (route === state.route) status.textContent = e.message;
        return;
      }
      if (route !== state.route) return;
      tid('day-title').textContent = d.name;
      if (state.user.role === 'admin') renderDayAdmin(d);
      else renderDayMember(d);
      if (!['queued', 'processing'].includes(d.state)) return;
      await sleep(2000);
      if (route !== state.route) return;
    }
  }

  const dayFile = (d, file) => d.files_url + file.split('/').map(encodeURIComponent).join('/');

  // ---- a member chooses ----

  function renderDayMember(d) {
    const status = tid('day-status');
    const parts = [];
    for (const p of d.people) {
      const r = p.result;
      const sentence = {
        waiting: 'Your frames are being sorted. Come back when the photographer has finished.',
        to_choose: `Choose your headshot from your ${r && r.offers.length > 1 ? `${r.offers.length} best frames, best first` : 'best frame'}.`,
        chosen: `You chose frame ${r ? r.offers.findIndex((o) => o.frame === p.choice) + 1 : ''}${p.chosen_by && p.chosen_by.endsWith('(admin)') ? ' (chosen for you by the photographer)' : ''}. You can still change your mind.`,
        retake: 'You asked for a retake. The photographer will be in touch.',
        no_frames: 'No frames of you were found in this shoot. Ask the photographer.',
      }[p.status] || (r && r.why ? `No headshot could be made: ${r.why}. Ask the photographer for a retake.` : 'No headshot could be made.');
      status.textContent = sentence;
      if (!r || !r.offers.length) continue;
      const list = h('ol', { class: 'offers', testid: 'offers' });
      r.offers.forEach((o, k) => {
        const shot = o.headshots[0];
        const s = {
          variant: shot.variant, width: shot.width, height: shot.height, url: dayFile(d, shot.file),
          before_url: shot.before ? dayFile(d, shot.before) : null,
          compare_name: `Frame ${k + 1}: compare before and after`,
        };
        const chosen = p.choice === o.frame;
        const choose = h('button', {
          type: 'button', class: chosen ? null : 'primary', testid: 'offer-choose', 'aria-pressed': String(chosen),
          text: chosen ? 'Chosen ✓' : 'Choose this one',
        });
        choose.addEventListener('click', async () => {
          if (chosen) return;
          choose.disabled = true;
          try {
            await api('POST', `/api/days/${d.id}/people/${encodeURIComponent(p.person)}/choice`, { json: { frame: o.frame } });
            const fresh = await api('GET', `/api/days/${d.id}`);
            renderDayMember(fresh);
            tid('day-status').focus();
          } catch (e) {
            tid('day-status').textContent = e.message;
            choose.disabled = false;
          }
        });
        list.append(h('li', { class: `offer card${chosen ? ' chosen' : ''}`, testid: 'offer', dataset: { frame: o.frame } },
          h('h2', { text: k === 0 ? 'Frame 1, the best' : `Frame ${k + 1}` }),
          ...comparison(s, `offer-${d.id}-${k}`),
          h('p', { class: 'small muted', text: o.why }),
          h('p', { class: 'small' }, ...o.headshots.map((x, i) => [i ? ' · ' : '',
            h('a', { href: dayFile(d, x.file), download: '', text: `Download ${x.variant} (${x.width}×${x.height})` })]).flat()),
          choose));
      });
      parts.push(list);
      const comment = h('textarea', { id: `retake-${d.id}`, rows: '2', testid: 'retake-comment' });
      const ask = h('button', { type: 'submit', testid: 'retake-ask', text: 'Ask for a retake' });
      const form = h('form', { class: 'card', testid: 'retake-form' },
        h('h2', { text: 'None of these?' }),
        h('label', { for: `retake-${d.id}`, text: 'What should be different (optional)' }),
        comment, ask);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        ask.disabled = true;
        try {
          await api('POST', `/api/days/${d.id}/people/${encodeURIComponent(p.person)}/retake`, { json: { comment: comment.value } });
          renderDayMember(await api('GET', `/api/days/${d.id}`));
          tid('day-status').focus();
        } catch (e) {
          tid('day-status').textContent = e.message;
          ask.disabled = false;
        }
      });
      if (p.status !== 'retake') parts.push(form);
    }
    tid('day-detail').replaceChildren(...parts);
  }

  // ---- the admin follows the roster ----

  /** Deletes a day with its frames, headshots and choices (the accounts stay). */
  async function deleteDay(d) {
    if (!window.confirm(`Delete “${d.name}” with all ${d.files} uploaded files, every headshot made of them and everyone’s choices? This cannot be undone.`)) return;
    try {
      await api('DELETE', `/api/days/${d.id}`);
      location.hash = 'days';
    } catch (e) {
      tid('day-status').textContent = e.message;
    }
  }

  function renderDayAdmin(d) {
    const status = tid('day-status');
    const pr = d.progress;
    status.textContent = pr
      ? `${pr.stage === 'looking' ? 'Looking at frames' : 'Making headshots'}: ${pr.done} of ${pr.total}.`
      : `${DAY_STATES[d.state] || d.state}.${d.reason ? ` ${d.reason}` : ''}`;
    const parts = [];

    // Upload and run.
    const input = h('input', { id: `day-upload-${d.id}`, class: 'visually-hidden', type: 'file', multiple: '', accept: 'image/*,.zip,application/zip', testid: 'day-upload-input' });
    const uploadStatus = h('p', { class: 'status', role: 'status', testid: 'day-upload-status', text: `${d.files} ${d.files === 1 ? 'file' : 'files'} uploaded.` });
    const busy = ['queued', 'processing'].includes(d.state);
    const run = h('button', { type: 'button', class: 'primary', testid: 'day-run', text: d.summary ? 'Sort again' : 'Sort and pick', disabled: busy || !d.files ? '' : null });
    input.addEventListener('change', async () => {
      const files = [...input.files];
      let added = 0;
      const skipped = [];
      for (const [i, f] of files.entries()) {
        uploadStatus.textContent = `Uploading ${i + 1} of ${files.length}: ${f.name}…`;
        try {
          const r = await api('POST', `/api/days/${d.id}/frames`, { body: f, headers: { 'X-Filename': f.name } });
          added += r.added.length;
          skipped.push(...r.skipped.map((x) => `${x.name} (${x.reason})`));
        } catch (e) {
          skipped.push(`${f.name} (${e.message})`);
        }
      }
      input.value = '';
      const fresh = await api('GET', `/api/days/${d.id}`);
      renderDayAdmin(fresh);
      tid('day-upload-status').textContent = `${added} ${added === 1 ? 'file' : 'files'} added; ${fresh.files} uploaded in all.`
        + (skipped.length ? ` Left out: ${skipped.join('; ')}.` : '');
    });
    run.addEventListener('click', async () => {
      run.disabled = true;
      try {
        await api('POST', `/api/days/${d.id}/process`);
        viewDay(d.id);
      } catch (e) {
        status.textContent = e.message;
        run.disabled = false;
      }
    });
    parts.push(h('div', { class: 'card day-shoot', testid: 'day-shoot' },
      h('h2', { text: 'The shoot' }),
      h('p', { class: 'muted small', text: 'Upload every frame of the day (photos, or ZIP files of them) with the roster’s reference photos, then sort: each frame goes to its person by shoot card and face, and each person gets their best frames as finished headshots.' }),
      h('div', { class: 'row' },
        input, h('label', { for: input.id, class: 'button', testid: 'day-upload-label', text: 'Add frames or a ZIP…' }),
        run,
        h('a', { class: 'button', href: `/api/days/${d.id}/export.zip`, download: '', testid: 'day-export', text: 'Export chosen headshots (ZIP)' }),
        h('button', { type: 'button', class: 'danger', testid: 'day-delete', text: 'Delete this day…', disabled: busy ? '' : null, onclick: () => deleteDay(d) })),
      uploadStatus));

    // Where everyone stands.
    const c = d.counts || {};
    const n = (k) => c[k] || 0;
    const missing = n('no_frames');
    const open = n('to_choose');
    parts.push(h('p', { testid: 'day-progress-sentence' },
      `${d.people.length} on the roster: ${n('chosen')} chose, ${open} still to choose, ${n('retake')} asked for a retake, `
      + `${missing} without frames` + (n('unusable') + n('review') + n('failed') ? `, ${n('unusable') + n('review') + n('failed')} need a look` : '') + '.'));
    const rows = d.people.map((p) => {
      const offers = (p.result && p.result.offers) || [];
      const select = h('select', { 'aria-label': `Frame for ${p.name}`, testid: 'override-select' },
        ...offers.map((o, k) => h('option', { value: o.frame, text: `${k + 1}: ${o.frame}`, selected: o.frame === p.choice ? '' : null })));
      const set = h('button', { type: 'button', testid: 'override-set', text: 'Choose for them', 'aria-label': `Choose for them: ${p.name}` });
      set.addEventListener('click', async () => {
        set.disabled = true;
        try {
          await api('POST', `/api/days/${d.id}/people/${encodeURIComponent(p.person)}/choice`, { json: { frame: select.value } });
          renderDayAdmin(await api('GET', `/api/days/${d.id}`));
        } catch (e) {
          status.textContent = e.message;
          set.disabled = false;
        }
      });
      const why = p.result && p.result.why ? p.result.why : '';
      return h('tr', { testid: 'day-person', dataset: { person: p.person, status: p.status } },
        h('th', { scope: 'row' }, h('div', { text: p.name }), h('div', { class: 'small muted', text: [p.person, p.team, p.email].filter(Boolean).join(' · ') })),
        h('td', {}, h('span', { class: 'badge', dataset: { status: p.status }, text: PERSON_STATUS[p.status] || p.status }),
          why ? h('div', { class: 'small muted', text: why }) : null,
          p.retake != null ? h('div', { class: 'small', text: `Retake asked${p.retake ? `: “${p.retake}”` : ''}` }) : null),
        h('td', { class: 'thumbs' }, ...offers.map((o, k) => h('img', {
          src: dayFile(d, o.thumb), alt: `Frame ${k + 1} of ${p.name}: ${o.frame}${o.frame === p.choice ? ' (chosen)' : ''}`,
          class: o.frame === p.choice ? 'chosen' : null, loading: 'lazy',
        }))),
        h('td', {},
          p.choice ? h('div', { text: `${p.choice}${p.chosen_by ? ` (by ${p.chosen_by})` : ''}` }) : null,
          offers.length ? h('div', { class: 'row nowrap override' }, select, set) : null));
    });
    parts.push(h('div', { class: 'table-wrap' }, h('table', { testid: 'day-people' },
      h('caption', { class: 'visually-hidden', text: 'Everyone on the roster and where they stand' }),
      h('thead', {}, h('tr', {}, ...['Person', 'Status', 'Offered frames', 'Choice'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, ...rows))));

    // What the sort found beyond the roster.
    const sum = d.summary;
    if (sum) {
      const seen = (title, testid, frames) => (frames.length ? h('details', { class: 'findings', testid },
        h('summary', { text: `${title}: ${frames.length}` }),
        h('ul', { class: 'frame-notes' }, ...frames.map((f) => h('li', {},
          f.thumb && testid === 'day-review' ? h('img', { src: dayFile(d, f.thumb), alt: `Frame ${f.frame}`, loading: 'lazy' }) : null,
          h('strong', { text: f.frame }), `: ${f.reason}`)))) : null);
      parts.push(h('p', { class: 'small muted', text: `${sum.frames} frames sorted in ${Math.round(sum.seconds)} s, ${sum.cards} shoot cards seen.` }));
      parts.push(seen('Frames to review', 'day-review', sum.review));
      parts.push(seen('Unreadable files', 'day-unreadable', sum.unreadable));
      if (sum.walkins.length) {
        parts.push(h('details', { class: 'findings', testid: 'day-walkins' },
          h('summary', { text: `People not on the roster: ${sum.walkins.length}` }),
          h('ul', {}, ...sum.walkins.map((w) => h('li', { text: `${w.id}: ${w.frames} ${w.frames === 1 ? 'frame' : 'frames'}` })))));
      }
    }
    tid('day-detail').replaceChildren(...parts.filter(Boolean));
  }

  // ------------------------------------------------------------------------------------------
  // Start
  // ------------------------------------------------------------------------------------------

  async function boot() {
    const invite = location.pathname.match(/^\/invite\/([^/]+)\/?$/);
    if (invite) {
      showInvite(invite[1]);
      return;
    }
    try {
      enterApp(await api('GET', '/api/me'));
    } catch (e) {
      showLogin(e.status === 401 ? '' : e.message);
    }
  }

  boot();
})();
