"""``roleplay``: a timed scenario with private roles, scored by observers on a rubric.

Roles are dealt from the room as it is when the activity starts: in each
playing group (one group the trainer picks, or every group at once) the
members in join order take turns, round by round: in round r the agent is
member r and the customer member r+1 (mod group size); everyone else
observes. When one group plays, the rest of the room observes it too.

Each round runs the steps prep -> play -> scoring, each with its own server
deadline. Only the customer's phone shows the customer's brief (with the
hidden motive); the screen never shows a brief. From the start of play,
observers (and the trainer, as one more scorer) score the agent on the
deck's rubric: each criterion 1-5, each scorer once per criterion per round.
A round's result is the mean per criterion; its points, points x (sum of
means) / (5 x criteria), go to the agent and to the group.

Per-round variants keep the secret. With rotation, the round-2 agent is the
round-1 customer, who has read the hidden motive; so a deck may give
``variants``, one per round, each with its own customer brief (a different
motive or twist) and optionally its own observer and agent briefs. Round r
deals variant r; a role without a brief in the variant keeps the base brief.
Each phone sees only its own role's brief of the current round, so an agent
only ever knows the secrets of rounds in which it was the customer, never the
one it plays against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from games.base import ActivityKind, DeckContext, Rubric, Scope, Step, Timing, Who
from games.cards import Card, parse_card
from games.checker import Checker
from games.errors import Refused
from games.rounding import half_up
from games.yamlsource import Path

ROLES = ("customer", "agent", "observer")
STEPS = ("prep", "play", "scoring")
HOST = "host"


@dataclass(frozen=True)
class RoleSpec:
    title: str
    brief: str


@dataclass(frozen=True)
class RoleplayConfig:
    scenario: Card
    roles: dict[str, RoleSpec]
    rubric: Rubric
    step_seconds: dict[str, int | None]
    rounds: int
    points: int
    rationale: str
    # round r (0-based) -> role -> brief, overriding roles[role].brief in that round
    variants: tuple[dict[str, str], ...] = ()

    def brief(self, role: str, round_no: int) -> str:
        """The brief a player of ``role`` reads in round ``round_no``."""
        if round_no < len(self.variants) and role in self.variants[round_no]:
            return self.variants[round_no][role]
        return self.roles[role].brief

    def briefs(self, round_no: int) -> dict[str, str]:
        return {r: self.brief(r, round_no) for r in self.roles}


@dataclass
class Cast:
    group: str
    members: tuple[str, ...]
    agent: str | None = None
    customer: str | None = None


@dataclass
class RoleplayState:
    focus: str | None
    casts: dict[str, Cast]
    names: dict[str, str]
    round: int = 0
    # (round, group) -> scorer -> criterion -> 1..5
    marks: dict[tuple[int, str], dict[str, dict[str, int]]] = field(default_factory=dict)
    agents: dict[tuple[int, str], str | None] = field(default_factory=dict)


class Roleplay(ActivityKind):
    name = "roleplay"
    modes = ("individual",)
    private_answers = False  # every phone shows the live rubric

    def allowed_keys(self) -> set[str]:
        return {"scenario", "roles", "rubric", "steps", "rounds", "points", "rationale", "variants"}

    def parse(self, raw: dict[str, Any], path: Path, ck: Checker, ctx: DeckContext) -> RoleplayConfig:
        scenario = parse_card(raw.get("scenario"), (*path, "scenario"), ck)
        roles: dict[str, RoleSpec] = {}
        rm = ck.mapping(raw.get("roles"), (*path, "roles"), set(ROLES), {"customer", "agent"})
        for role in ROLES:
            if role in rm:
                p = (*path, "roles", role)
                m = ck.mapping(rm[role], p, {"title", "brief"}, {"title"})
                roles[role] = RoleSpec(ck.text(m, "title", p, max_len=60),
                                       ck.text(m, "brief", p, max_len=2000, required=role != "observer"))
        roles.setdefault("observer", RoleSpec("观察员", ""))
        rubric_id = raw.get("rubric")
        rubric = ctx.rubrics.get(rubric_id) if isinstance(rubric_id, str) else None
        if rubric is None:
            known = ", ".join(sorted(ctx.rubrics)) or "none defined"
            ck.problem((*path, "rubric"), f"names the rubric '{rubric_id}', which the deck does not define "
                                          f"(rubrics: {known})")
            rubric = Rubric("", "", ())
        seconds: dict[str, int | None] = {"prep": 120, "play": 300, "scoring": 120}
        if "steps" in raw:
            sm = ck.mapping(raw["steps"], (*path, "steps"), set(STEPS), set())
            for step in STEPS:
                if step in sm:
                    seconds[step] = ck.integer(sm, step, (*path, "steps"), lo=0, hi=3600)
        rounds = ck.integer(raw, "rounds", path, lo=1, hi=8, default=1) or 1
        return RoleplayConfig(
            scenario=scenario, roles=roles, rubric=rubric, step_seconds=seconds, rounds=rounds,
            points=ck.integer(raw, "points", path, lo=0, hi=1000, default=100) or 0,
            rationale=ck.text(raw, "rationale", path, max_len=3000, required=False),
            variants=self._variants(raw, path, ck, rounds),
        )

    def _variants(self, raw: dict[str, Any], path: Path, ck: Checker, rounds: int) -> tuple[dict[str, str], ...]:
        """One variant per round: at least ``rounds``, so no round falls back to a secret already played."""
        if "variants" not in raw:
            return ()
        out: list[dict[str, str]] = []
        for i, v in enumerate(ck.seq(raw, "variants", path, lo=rounds, hi=8)):
            p = (*path, "variants", i)
            vm = ck.mapping(v, p, set(ROLES), {"customer"})
            out.append({role: ck.text(vm, role, p, max_len=2000) for role in ROLES if role in vm})
        return tuple(out)

    def steps(self, config: RoleplayConfig) -> tuple[Step, ...]:
        return tuple(Step(s, config.step_seconds[s] or None) for s in STEPS)

    def answer_steps(self, config: RoleplayConfig) -> tuple[str, ...]:
        return ("play", "scoring")

    def rounds(self, config: RoleplayConfig) -> int:
        return config.rounds

    def new_state(self, config: RoleplayConfig, scope: Scope) -> RoleplayState:
        groups = [scope.focus_group] if scope.focus_group else [g for g, m in scope.members.items() if m]
        casts = {g: Cast(g, scope.members.get(g, ())) for g in groups if g is not None}
        if not casts and scope.players:  # a session without groups plays as one cast
            casts = {"": Cast("", scope.players)}
        state = RoleplayState(focus=scope.focus_group, casts=casts, names=dict(scope.names))
        self.on_step(config, state, "prep", 0)
        return state

    def on_step(self, config: RoleplayConfig, state: RoleplayState, step: str, round_no: int) -> None:
        state.round = round_no
        if step != "prep":
            return
        for cast in state.casts.values():
            n = len(cast.members)
            cast.agent = cast.members[round_no % n] if n else None
            cast.customer = cast.members[(round_no + 1) % n] if n >= 2 else None
            state.agents[(round_no, cast.group)] = cast.agent

    # -- who is who ---------------------------------------------------------------------------
    def observed(self, state: RoleplayState, who: Who) -> Cast | None:
        if state.focus is not None:
            return state.casts.get(state.focus)
        return state.casts.get(who.group or "") or (state.casts.get("") if "" in state.casts else None)

    def role_of(self, state: RoleplayState, who: Who) -> str:
        cast = self.observed(state, who)
        if cast is not None and who.pid == cast.agent:
            return "agent"
        if cast is not None and who.pid == cast.customer:
            return "customer"
        return "observer"

    # -- scoring ------------------------------------------------------------------------------
    def _check_marks(self, config: RoleplayConfig, marks: Any, given: dict[str, int]) -> dict[str, int]:
        if not isinstance(marks, dict) or not marks:
            raise Refused("bad_answer", 'rubric scores are {"scores": {"<criterion id>": 1..5, ...}}')
        criteria = {c.id for c in config.rubric.criteria}
        out: dict[str, int] = {}
        for crit, value in marks.items():
            if crit not in criteria:
                raise Refused("bad_answer", f"the rubric has no criterion '{str(crit)[:40]}'")
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                raise Refused("bad_answer", "each criterion is scored 1 to 5")
            if crit in given:
                raise Refused("already_scored", "you have already scored that criterion in this round")
            out[crit] = value
        return out

    def check_answer(self, config: RoleplayConfig, state: RoleplayState, who: Who, answer: Any,
                     step: str) -> dict[str, Any]:
        if not isinstance(answer, dict) or set(answer) != {"scores"}:
            raise Refused("bad_answer", 'an observer sends {"scores": {"<criterion id>": 1..5}}')
        cast = self.observed(state, who)
        if cast is None or self.role_of(state, who) != "observer":
            raise Refused("not_observer", "only the observers of this role-play score it")
        if who.pid not in state.names:  # (sock-puppet joins must not stuff or dilute a score)
            raise Refused("joined_late", "only those in the room when the role-play started score it")
        given = state.marks.get((state.round, cast.group), {}).get(who.pid, {})
        return {"scores": self._check_marks(config, answer["scores"], given), "group": cast.group,
                "round": state.round}

    def apply_answer(self, config: RoleplayConfig, state: RoleplayState, who: Who, answer: dict[str, Any],
                     at: int) -> None:
        self._mark(state, answer["round"], answer["group"], who.pid, answer["scores"])

    def _mark(self, state: RoleplayState, round_no: int, group: str, scorer: str,
              marks: dict[str, int]) -> None:
        state.marks.setdefault((round_no, group), {}).setdefault(scorer, {}).update(marks)

    def check_action(self, config: RoleplayConfig, state: RoleplayState, action: str,
                     args: dict[str, Any], step: str) -> dict[str, Any]:
        if action != "score":
            raise Refused("unknown_action", f"'{action}' is not an action of a role-play")
        if step not in self.answer_steps(config):
            raise Refused("bad_phase", "scores are given from the start of play")
        group = args.get("group", "")
        if group not in state.casts:
            raise Refused("unknown_group", "that group is not playing this role-play")
        given = state.marks.get((state.round, group), {}).get(HOST, {})
        return {"action": "score", "group": group, "round": state.round,
                "scores": self._check_marks(config, args.get("scores"), given)}

    def apply_action(self, config: RoleplayConfig, state: RoleplayState, data: dict[str, Any],
                     at: int) -> None:
        self._mark(state, data["round"], data["group"], HOST, data["scores"])

    def result(self, config: RoleplayConfig, state: RoleplayState, round_no: int,
               group: str) -> dict[str, Any]:
        marks = state.marks.get((round_no, group), {})
        means: dict[str, float | None] = {}
        for crit in config.rubric.criteria:
            values = [m[crit.id] for m in marks.values() if crit.id in m]
            means[crit.id] = half_up(sum(values) / len(values), 2) if values else None
        scored = [v for v in means.values() if v is not None]
        total = half_up(sum(scored), 2)
        full = 5 * len(config.rubric.criteria) or 1
        agent = state.agents.get((round_no, group))
        return {"round": round_no, "group": group, "agent": agent,
                "agent_name": state.names.get(agent or "", ""), "means": means, "total": total,
                "max": full, "scorers": len(marks),
                "points": half_up(config.points * total / full) if scored else 0}

    def results(self, config: RoleplayConfig, state: RoleplayState) -> list[dict[str, Any]]:
        return [self.result(config, state, r, g) for (r, g) in sorted(state.agents, key=lambda k: (k[0], k[1]))
                if r <= state.round]

    def scores(self, config: RoleplayConfig, state: RoleplayState, timing: Timing) -> dict[str, int]:
        out: dict[str, int] = {}
        for res in self.results(config, state):
            if res["agent"]:
                out[res["agent"]] = out.get(res["agent"], 0) + res["points"]
        return out

    def group_bonus(self, config: RoleplayConfig, state: RoleplayState) -> dict[str, int]:
        out: dict[str, int] = {}
        for res in self.results(config, state):
            if res["group"]:
                out[res["group"]] = out.get(res["group"], 0) + res["points"]
        return out

    def submitted(self, state: RoleplayState) -> int:
        return len({s for (r, _g), marks in state.marks.items() if r == state.round for s in marks})

    # -- views --------------------------------------------------------------------------------
    def _casts(self, state: RoleplayState) -> list[dict[str, Any]]:
        return [{"group": c.group, "agent": c.agent, "agent_name": state.names.get(c.agent or "", ""),
                 "customer": c.customer, "customer_name": state.names.get(c.customer or "", "")}
                for c in state.casts.values()]

    def _public(self, config: RoleplayConfig, state: RoleplayState) -> dict[str, Any]:
        return {
            "scenario": config.scenario.as_dict(),
            "roles": {r: spec.title for r, spec in config.roles.items()},
            "rubric": config.rubric.as_dict(),
            "round": state.round, "rounds": config.rounds, "focus_group": state.focus,
            "casts": self._casts(state),
            "live": [self.result(config, state, state.round, g) for g in state.casts],
        }

    def public(self, config: RoleplayConfig, state: RoleplayState, revealed: bool) -> dict[str, Any]:
        view = self._public(config, state)
        view["reveal"] = {"results": self.results(config, state), "rationale": config.rationale} \
            if revealed else None
        return view

    def private(self, config: RoleplayConfig, state: RoleplayState) -> dict[str, Any]:
        """The trainer's console: this round's briefs, and every round's when the deck has variants."""
        return {"briefs": config.briefs(state.round),
                "variants": [config.briefs(r) for r in range(len(config.variants))],
                "answer_key": {"rationale": config.rationale}}

    def player(self, config: RoleplayConfig, state: RoleplayState, who: Who, revealed: bool) -> dict[str, Any]:
        role = self.role_of(state, who)
        cast = self.observed(state, who)
        given = state.marks.get((state.round, cast.group), {}).get(who.pid, {}) if cast else {}
        view = self._public(config, state)
        view.update({
            "my_role": role, "role_title": config.roles[role].title, "brief": config.brief(role, state.round),
            "observing": {"group": cast.group, "agent_name": state.names.get(cast.agent or "", "")}
            if cast and role == "observer" and who.pid in state.names else None,
            "my_scores": given, "my_answer": {"scores": given} if given else None,
            "result": {"results": self.results(config, state), "rationale": config.rationale}
            if revealed else None,
        })
        return view

    def outline(self, config: RoleplayConfig) -> dict[str, Any]:
        return {"scenario": config.scenario.as_dict(), "rubric": config.rubric.as_dict(),
                "roles": {r: s.title for r, s in config.roles.items()}, "rationale": config.rationale}

    def review(self, config: RoleplayConfig, state: RoleplayState) -> dict[str, Any]:
        return {"results": self.results(config, state), "rubric": config.rubric.as_dict()}


ROLEPLAY = Roleplay()
