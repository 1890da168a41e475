// The registry of activity kinds on the client: kind name -> the module that draws it, as
// games/kinds.py is on the server. A page never names a kind: it looks the current activity's kind
// up here and calls what the module offers. A new kind is games/<kind>.py + client/kinds/<kind>.js
// (one line below) + tests.
//
// A kind module's default export (every part optional; a page shows "unsupported" for a missing one):
//
//   phone(ctx, view, activity) -> {key, props, parts}
//       The trainee's screen. `key` names the <section> (kept while the key holds, so inputs stay
//       alive), `props` its {class, testid, dataset}, `parts` its children: nodes, text, or
//       persist() parts of lib/kinds.js. Most kinds build it with ctx.activityScreen(a, parts).
//   screen: {
//     build(ctx, view, activity, refs) -> Node
//         The projector's body under the frame's header, built once per layout (activity, status,
//         language, step); keep in `refs` the elements update() fills. refs.board, if set, gets the
//         leaderboard; refs.consensus the group-consensus chips.
//     update?(ctx, view, activity, refs)     fills refs on every view, without rebuilding.
//     answered?(ctx, view, activity, n) -> {n, label}   the "answered" counter (default: n of joined).
//     review?(ctx, view, row) -> parts    this kind's line in the course review (a row of the plan
//                                          screen's view.review), after its title.
//     stepped?: true                          timed steps and rounds (role-play): the layout is rebuilt
//                                              per step and round, the header shows the round and step.
//     resultsNote?: true                      while open, the header says whether results are live or
//                                              kept for the reveal (vote, estimate).
//   }
//   outcome?(card) -> {answer, recommended, ok}
//       A dealt card of this kind after reveal (card.reveal set): the group's answer, the
//       recommended one, and whether they agree (null when nobody answered).
//   console: {
//     panel(ctx, view, activity, place?) -> Node
//         The trainer's panel for the current activity: the answer key, moderation, scoring.
//         place = {prefix, card} when drawn inside a deal: prefix keeps test ids apart, card is
//         the dealt card's id for commands.
//     answered?(ctx, view, activity, n) -> string   the submitted line (default: n of joined).
//     ownRationale?: true    the panel shows the rationale itself (the frame does not add it).
//   takesAnswers?: false     (top level) nothing to close or reveal: the console hides those (slide).
//     pickGroup?: true       the agenda offers a group to start it for (role-play).
//   }
//
// ctx is what the page frame lends a renderer. Every page: now() (server time, or the replayed
// moment on a still screen) and kindOf(name) (this registry, for a deal's cards).
//   phone:   send(a, answer) -> Promise<bool> (resolves once stored), pendingFor(a, field),
//            sending(a), sendingText(), showScores(view), standing(view), render(), current()
//            (the activity now on screen), drafts (per-activity scratch that outlives renders),
//            and the shared parts: head, title, activityScreen, modeNote, proposalBlock,
//            resultBlock, explain, statusLine, ratingFor.
//   screen:  groupName(view, id), setWidth(el, fraction), closedNote(a), explainSide(view, r, extra,
//            after), promptCard(kicker, text), reviewMark(yes) (the ✓ / ≠ of a review line).
//   console: command(name, args, okText) -> Promise<bool>, nameOf(view, id), rerender() (after a
//            local change, such as a picked mark).
// Shared helpers with no page state stay in client/lib/ (dom, i18n, ui, kinds).

// The modules load on demand: a phone needs none of them to join (they are half of its page),
// so it fetches them in the background once it has joined (loadKinds), while the screen and
// the console wait for them before their first view.
const LOADERS = {
  vote: () => import('./vote.js'),
  order: () => import('./order.js'),
  estimate: () => import('./estimate.js'),
  discuss: () => import('./discuss.js'),
  roleplay: () => import('./roleplay.js'),
  plan: () => import('./plan.js'),
  slide: () => import('./slide.js'),
  deal: () => import('./deal.js'),
  wait: () => import('./wait.js'),
};
const KINDS = {};
let loading = null;
let ready = false;

/** Load every kind's module (once); resolves when all are here (a failed fetch may be retried). */
export function loadKinds() {
  if (!loading) {
    loading = Promise.all(Object.entries(LOADERS).map(async ([name, load]) => {
      KINDS[name] = (await load()).default;
    })).then(() => { ready = true; }, (err) => { loading = null; throw err; });
  }
  return loading;
}

/** Are the kinds' modules here (kindOf answers for every kind)? */
export function kindsReady() {
  return ready;
}

export function kindOf(name) {
  return Object.prototype.hasOwnProperty.call(KINDS, name) ? KINDS[name] : null;
}
