// The room's sounds, synthesised on the spot with WebAudio: no audio file is downloaded or shipped.
//
// Only the projector plays them (one loudspeaker for the room; phones stay silent). Browsers
// start an AudioContext only after a user gesture, so the first click or key press on the host
// page unlocks it; until then every call is a no-op. One mute switch, remembered in
// localStorage, silences everything, lobby music included.

const STORE = 'caseroom.muted';
const LOG_SIZE = 40;

// What the page asked to play, newest last: a small ring buffer a test (or a curious trainer in
// the devtools) reads as window.__caseroomSounds: [{cue, played, at}]; `played` is false when
// muted or before the first gesture unlocked the audio.
const log = [];
if (typeof window !== 'undefined') window.__caseroomSounds = log;

function record(cue, played) {
  log.push({ cue, played, at: Date.now() });
  if (log.length > LOG_SIZE) log.splice(0, log.length - LOG_SIZE);
  return played;
}

let ctx = null;
let master = null;
let muted = readMuted();
let music = null; // {stop()} while the lobby loop plays
const listeners = new Set();

function readMuted() {
  try { return localStorage.getItem(STORE) === '1'; } catch { return false; }
}

/** Create the audio graph on the first user gesture (autoplay rules). */
export function unlock() {
  if (ctx) {
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    return;
  }
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return;
  try {
    ctx = new AC();
  } catch {
    ctx = null;
    return;
  }
  master = ctx.createGain();
  master.gain.value = muted ? 0 : 0.6;
  master.connect(ctx.destination);
}

export function isMuted() { return muted; }

export function setMuted(value) {
  muted = Boolean(value);
  try { localStorage.setItem(STORE, muted ? '1' : '0'); } catch { /* private mode: not remembered */ }
  if (master && ctx) master.gain.setTargetAtTime(muted ? 0 : 0.6, ctx.currentTime, 0.02);
  for (const fn of listeners) fn(muted);
}

export function onMuteChange(fn) { listeners.add(fn); }

function ready() {
  return ctx !== null && master !== null && !muted && ctx.state === 'running';
}

/** One enveloped oscillator note: `at` seconds from now, `dur` seconds long. */
function note(freq, at, dur, { type = 'sine', gain = 0.3, dest = master } = {}) {
  const t0 = ctx.currentTime + at;
  const osc = ctx.createOscillator();
  const env = ctx.createGain();
  osc.type = type;
  osc.frequency.setValueAtTime(freq, t0);
  env.gain.setValueAtTime(0.0001, t0);
  env.gain.exponentialRampToValueAtTime(gain, t0 + 0.012);
  env.gain.exponentialRampToValueAtTime(0.0001, t0 + dur);
  osc.connect(env);
  env.connect(dest);
  osc.start(t0);
  osc.stop(t0 + dur + 0.05);
  return osc;
}

/** A short click for each of the last five seconds; the last one higher. */
export function tick(secondsLeft) {
  if (!record('tick', ready())) return;
  note(secondsLeft <= 1 ? 1320 : 880, 0, 0.08, { type: 'square', gain: 0.12 });
}

/** Time's up: a falling two-tone buzz. */
export function timeUp() {
  if (!record('timeUp', ready())) return;
  note(440, 0, 0.35, { type: 'sawtooth', gain: 0.18 });
  note(330, 0.18, 0.5, { type: 'sawtooth', gain: 0.18 });
}

/** Everyone has answered: a bright rising triad. */
export function allAnswered() {
  if (!record('allAnswered', ready())) return;
  [523.25, 659.25, 783.99].forEach((f, i) => note(f, i * 0.08, 0.3, { type: 'triangle', gain: 0.2 }));
}

/** The reveal: a short drum-roll of noise-like clicks, then the chord as the answer lands. */
export function reveal(beatSeconds = 0.9) {
  if (!record('reveal', ready())) return;
  for (let i = 0; i < 12; i += 1) note(180 + (i % 2) * 20, i * (beatSeconds / 12), 0.05, { type: 'square', gain: 0.06 });
  [392, 523.25, 659.25, 1046.5].forEach((f) => note(f, beatSeconds, 0.9, { type: 'triangle', gain: 0.16 }));
}

/** A trainer's award: a two-note chime. */
export function award() {
  if (!record('award', ready())) return;
  note(987.77, 0, 0.25, { type: 'sine', gain: 0.25 });
  note(1318.5, 0.12, 0.45, { type: 'sine', gain: 0.25 });
}

/** Each podium step: lower for third, higher for first. */
export function podiumStep(place) {
  if (!record('podiumStep', ready())) return;
  const base = { 3: 392, 2: 523.25, 1: 659.25 }[place] || 440;
  note(base, 0, 0.4, { type: 'triangle', gain: 0.2 });
  if (place === 1) [783.99, 1046.5].forEach((f, i) => note(f, 0.15 + i * 0.12, 0.8, { type: 'triangle', gain: 0.18 }));
}

/** Lobby music: a soft pentatonic loop, generated bar by bar until stopped. */
export function startMusic() {
  if (music || !ctx || !master) return;
  record('music', !muted && ctx.state === 'running');
  const bus = ctx.createGain();
  bus.gain.value = 0.35;
  bus.connect(master);
  const scale = [261.63, 293.66, 329.63, 392, 440, 523.25];
  const bass = [130.81, 110, 146.83, 98];
  let bar = 0;
  let timer = null;
  const playBar = () => {
    if (ctx.state === 'running') {
      const b = bass[bar % bass.length];
      note(b, 0, 1.9, { type: 'sine', gain: 0.25, dest: bus });
      for (let i = 0; i < 8; i += 1) {
        const f = scale[(bar * 3 + i * 2 + (i % 3)) % scale.length];
        if (i % 4 !== 3) note(f, i * 0.25, 0.22, { type: 'triangle', gain: 0.09, dest: bus });
      }
    }
    bar += 1;
    timer = setTimeout(playBar, 2000);
  };
  playBar();
  music = {
    stop() {
      clearTimeout(timer);
      bus.gain.setTargetAtTime(0, ctx.currentTime, 0.2);
      setTimeout(() => bus.disconnect(), 1000);
    },
  };
}

export function stopMusic() {
  if (music) music.stop();
  music = null;
}

export function musicPlaying() { return music !== null; }
