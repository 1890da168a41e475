// One websocket to /ws that identifies itself, survives dropped connections and
// never loses a command: every command carries a random id and stays queued until
// the server acknowledges (or refuses) it; after a reconnect it is sent again with
// the same id, which the server answers without a second effect.

const BACKOFF_MS = [150, 400, 800, 1500, 2500, 3000];
const PING_EVERY_MS = 10000;
const SILENCE_LIMIT_MS = 25000; // nothing heard for this long: the link is dead, reconnect
const OFFSET_SAMPLES = 8;

/** A random id: crypto.randomUUID where available (secure contexts), else getRandomValues. */
export function newId() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** A refusal from the server, as an Error with the server's code. */
export class ServerError extends Error {
  constructor(frame) {
    super(frame.message || frame.code || 'error');
    this.code = frame.code || 'error';
    this.frame = frame;
  }
}

/**
 * new Link({hello, onWelcome, onState, onHelloError, onError, onStatus})
 *   hello()          -> the first message ({type: join|resume|host, ...}); called on every
 *                       (re)connect, so a phone can switch from join to resume.
 *   onWelcome(msg)   after the server identified us (also after each reconnect)
 *   onState(msg)     a newer view ({seq, view})
 *   onHelloError(e)  the first message was refused (bad code, bad token, locked...): the link stops
 *   onError(e)       an error frame that belongs to no pending command
 *   onStatus(s)      'connecting' | 'open' | 'reconnecting' | 'closed' | 'refused' (the hello was refused)
 */
export class Link {
  constructor(opts) {
    this.opts = opts;
    this.url = opts.url || wsUrl();
    this.ws = null;
    this.status = 'idle';
    this.stopped = false;
    this.attempt = 0;
    this.pending = new Map(); // id -> {msg, resolve, reject}
    this.helloId = null;
    this.helloSentAt = 0;
    this.identified = false;
    this.lastSeq = -1;
    this.lastHeard = 0;
    this.offsets = []; // [{rtt, offset}]
    this.offset = 0; // server clock minus ours, in ms
    this.timer = null;
    this.pinger = null;
    this.handlers = {
      welcome: (m) => this.onWelcome(m),
      ack: (m) => this.onAck(m),
      error: (m) => this.onErrorFrame(m),
      state: (m) => this.onStateFrame(m),
      pong: (m) => this.onPong(m),
    };
    this.wake = () => {
      if (!this.stopped && this.status === 'reconnecting') this.connectNow();
    };
    this.onVisible = () => {
      if (document.visibilityState === 'visible') this.wake();
    };
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.onVisible);
    this.setStatus('connecting');
    this.open();
    return this;
  }

  /**
   * Close for good: no reconnect. Pending commands are rejected. `status` is 'closed', or
   * 'refused' when the server turned the first message down (locked, bad code): the page
   * says why, and no "connection lost" banner shows for a connection that is fine.
   */
  stop(status = 'closed') {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    window.removeEventListener('online', this.wake);
    document.removeEventListener('visibilitychange', this.onVisible);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try { ws.close(1000); } catch { /* already closed */ }
    }
    for (const [, p] of this.pending) p.reject(new ServerError({ code: 'stopped', message: 'stopped' }));
    this.pending.clear();
    this.setStatus(status);
  }

  /** Server time now, in epoch ms, corrected by the measured clock offset. */
  now() {
    return Date.now() + this.offset;
  }

  /** Send a message with a fresh id; resolves on ack, rejects with ServerError on error. */
  send(msg) {
    const id = newId();
    const framed = { ...msg, id };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { msg: framed, resolve, reject });
      if (this.identified) this.write(framed);
    });
  }

  // -- internals -----------------------------------------------------------------------
  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    if (this.opts.onStatus) this.opts.onStatus(status);
  }

  open() {
    clearTimeout(this.timer);
    this.identified = false;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      console.error('websocket failed to open', err);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      const hello = this.opts.hello();
      if (!hello.id) hello.id = newId();
      this.helloId = hello.id;
      this.helloSentAt = Date.now();
      this.lastHeard = Date.now();
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch (err) {
        console.error('caseroom: a frame that is not JSON', err);
        return;
      }
      try {
        this.dispatch(msg);
      } catch (err) {
        console.error('caseroom: cannot handle a frame', err);
      }
    };
    ws.onclose = () => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.identified = false;
      clearInterval(this.pinger);
      if (!this.stopped) this.scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows and handles it */ };
  }

  dispatch(msg) {
    const handler = msg && typeof msg.type === 'string' ? this.handlers[msg.type] : undefined;
    if (!handler) throw new Error(`unknown message type: ${JSON.stringify(msg && msg.type)}`);
    handler(msg);
  }

  scheduleReconnect() {
    this.setStatus('reconnecting');
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.min(3000, Math.round(base * (0.8 + Math.random() * 0.4)));
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }

  connectNow() {
    clearTimeout(this.timer);
    if (this.ws) return;
    this.open();
  }

  write(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  sample(sentAt, serverTime) {
    const got = Date.now();
    const rtt = got - sentAt;
    if (typeof serverTime !== 'number' || rtt < 0) return;
    this.offsets.push({ rtt, offset: serverTime - (sentAt + got) / 2 });
    if (this.offsets.length > OFFSET_SAMPLES) this.offsets.shift();
    // The sample with the shortest round trip is the least wrong one.
    let best = this.offsets[0];
    for (const s of this.offsets) if (s.rtt < best.rtt) best = s;
    this.offset = Math.round(best.offset);
  }

  ping() {
    if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS && this.ws) {
      // A half-open connection (phone changed Wi-Fi): drop it and start over.
      const ws = this.ws;
      this.ws = null;
      try { ws.close(4000); } catch { /* ignore */ }
      this.identified = false;
      clearInterval(this.pinger);
      this.scheduleReconnect();
      return;
    }
    this.write({ type: 'ping', t: Date.now() });
  }

  onWelcome(msg) {
    this.identified = true;
    this.attempt = 0;
    // Resend before any callback can send something newer: the server must see the
    // commands in the order they were made (a newer answer replaces an older one).
    for (const [, p] of this.pending) this.write(p.msg); // same ids: no second effect
    this.sample(this.helloSentAt, msg.server_time);
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.ping(), PING_EVERY_MS);
    this.setStatus('open');
    if (this.opts.onWelcome) this.opts.onWelcome(msg);
    this.write({ type: 'ping', t: Date.now() });
  }

  onAck(msg) {
    if (msg.id === this.helloId) return;
    const p = this.pending.get(msg.id);
    if (!p) return; // an answer to a resend we already settled
    this.pending.delete(msg.id);
    p.resolve(msg);
  }

  onErrorFrame(msg) {
    const err = new ServerError(msg);
    if (msg.id && msg.id === this.helloId && !this.identified) {
      this.stop('refused');
      if (this.opts.onHelloError) this.opts.onHelloError(err);
      return;
    }
    const p = msg.id ? this.pending.get(msg.id) : undefined;
    if (p) {
      this.pending.delete(msg.id);
      p.reject(err);
      return;
    }
    if (this.opts.onError) this.opts.onError(err);
    else console.error('caseroom error frame', msg);
  }

  onStateFrame(msg) {
    if (typeof msg.seq === 'number') {
      if (msg.seq < this.lastSeq) return; // an older view never replaces a newer one
      this.lastSeq = msg.seq;
    }
    if (this.opts.onState) this.opts.onState(msg);
  }

  onPong(msg) {
    if (typeof msg.t === 'number') this.sample(msg.t, msg.server_time);
  }
}
