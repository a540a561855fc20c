"""The LangGraph graph: route -> act -> (route again for a planned next step) -> respond.

Only the nodes and their wiring live here: state in state.py, routing prompts in routing.py, narration in
narration.py, argument carry-over in carry_over.py.

Nodes write events (tool steps, answer tokens) to LangGraph's custom stream as they happen, so front doors
show a tool's table the moment it finishes and the narration token by token.
"""

from __future__ import annotations

import json
import time
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, SystemMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.types import Checkpointer

import prompts
from assistant.agent.carry_over import carry_over
from assistant.agent.code_route import code_call, refine_call
from assistant.agent.decision import ANSWER, CLARIFY, DECLINE, ArgsError, decision_schema, parse_decision
from assistant.agent.events import StepFinished, StepStarted, Token, masked_chart, masked_result
from assistant.agent.facts import step_facts
from assistant.agent.memory import history_text
from assistant.agent.narration import narrate
from assistant.agent.routing import offer_was_stated, results_text, route_system_prompt
from assistant.agent.settle import settle_arguments
from assistant.agent.state import AgentDeps, AgentState, StepRecord
from assistant.agent.understanding import (
    Understanding,
    carry_subject,
    check_provenance,
    dropped_note,
    evidence_for,
    message,
    subject_of,
    subject_text,
    tool_for_request,
)
from assistant.core.llm_client import StructuredOutputError
from assistant.core.privacy import mask_data, mask_pii
from assistant.understand.clarify import unknown_goods_question, unknown_value_question
from assistant.understand.fill import bounded_tool
from assistant.understand.goods import goods_categories
from assistant.understand.provenance import worth_asking
from assistant.understand.scope import asks_for_copy, outside_topics

MAX_STEPS = 4
MAX_STORED_MESSAGES = 40


def build_graph(deps: AgentDeps, checkpointer: Checkpointer | None = None) -> Any:
    route_system = route_system_prompt(deps)
    enums = deps.understander.enums() if deps.understander else None
    full_schema = decision_schema(deps.tools, enums)
    understander = deps.understander
    bounded_fields = {name: set(tool.input_model.model_fields) for name, tool in deps.tools.items()}

    def settle(
        tool: str, args: dict[str, Any], seen: Understanding | None, question: str
    ) -> tuple[dict[str, Any], list[str]]:
        if understander is None or seen is None:
            return args, []
        return settle_arguments(understander, deps.tools[tool], args, seen, question)

    def review_filter(seen: Understanding, flags: list[str]) -> dict[str, Any]:
        """ "only the negative ones" after a review answer: code knows the call (search_reviews, that sentiment,
        the previous subject's category), so no routing model is asked."""
        model = deps.tools["search_reviews"].input_model
        args: dict[str, Any] = carry_subject(set(model.model_fields), {"sentiment": seen.review_filter}, seen)
        args["query"] = seen.subject.get("query") or seen.subject.get("topic") or args.get("category") or "reviews"
        args = model.model_validate(args).model_dump(mode="json", exclude_defaults=True)
        note = f"code set: a follow-up keeping the {seen.review_filter} reviews of the previous answer"
        return {"pending": {"tool": "search_reviews", "args": args}, "plan": [], "next_tool": None, "feedback": None,
                "outcome": "act", "flags": [*flags, note]}  # fmt: skip

    def route(state: AgentState) -> dict[str, Any]:
        steps = state.get("steps", [])
        if len(steps) >= MAX_STEPS:
            return {"outcome": "respond"}
        next_tool = state.get("next_tool")
        earlier = state.get("messages", [])[:-1]
        seen = understander.read(state["question"], earlier) if understander else None
        first = not steps and not next_tool
        decided = seen.metric_request.tool if first and seen else None
        if first and seen and decided is None and not seen.metric_request.other_tool:
            decided = bounded_tool(seen.slots, bounded_fields, state["question"])  # "5 to 10 orders": segment_query
        if decided in deps.tools and not asks_for_copy(state["question"]):
            # A metric, time breakdown or bound only one tool serves: code decides the tool, the model fills its
            # inputs.
            next_tool = decided
        schema = decision_schema({next_tool: deps.tools[next_tool]}, enums) if next_tool else full_schema
        user = prompts.render(
            "route_user.j2",
            history=history_text(earlier, deps.memory_tokens),
            results=results_text(steps),
            next_tool=next_tool,
            feedback=state.get("feedback"),
            subject=subject_text(seen.subject) if seen and seen.follow_up else "",
            understood=seen.hint() if seen else "",
            question=state["question"],
        )
        if first and (seen.out_of_scope(state["question"]) if seen else outside_topics(state["question"])):
            return {"outcome": "decline", "feedback": None}  # share prices, sports, trivia...: no tool serves it
        if first and seen and understander and seen.unknown_places:
            # Code knows the data's countries: an unknown one gets a real question, not an unfiltered answer.
            known = list(understander.vocabulary.countries)
            question = unknown_value_question("country", seen.unknown_places[0], seen.language, known)
            return {"outcome": "clarify", "clarify": question, "feedback": None}
        if first and seen and understander and seen.unknown_goods:
            # Goods the catalogue does not hold: ask which of its categories was meant, not answer for all goods.
            known = goods_categories(understander.vocabulary)
            question = unknown_goods_question(seen.unknown_goods[0], seen.language, known)
            return {"outcome": "clarify", "clarify": question, "feedback": None}
        if first and seen and seen.review_filter and "search_reviews" in deps.tools:
            return review_filter(seen, list(state.get("flags", [])))
        if first and seen and understander:
            # Code read the whole request: no routing model (code_route.py).
            refined = refine_call(understander, deps.tools, seen, state["question"]) if seen.follow_up else None
            if refined is None and next_tool is not None and next_tool == decided:
                call = code_call(understander, deps.tools[next_tool], seen, state["question"])
                refined = (next_tool, *call) if call is not None else None
            if refined is not None:
                code_tool, code_args, code_notes = refined
                flags = [*state.get("flags", []), "code routed: every value, number and period of the request "
                         "is an input code filled", *(f"code set: {n}" for n in code_notes)]  # fmt: skip
                return {"pending": {"tool": code_tool, "args": code_args}, "plan": [], "next_tool": None,
                        "feedback": None, "outcome": "act", "flags": flags}  # fmt: skip
        untraced: list[Any] = []
        filled: list[str] = []
        try:
            raw = deps.llm.json("route", [SystemMessage(route_system), HumanMessage(user)], schema, "decision")
            if next_tool and raw.get("tool") in deps.tools and raw["tool"] != next_tool:
                # A server without grammar-constrained output (or json_object mode) may still pick another tool.
                raise ArgsError(next_tool, f"this step is {next_tool}: fill its arguments, not {raw['tool']}'s")
            if raw.get("tool") in deps.tools and understander is not None and not next_tool:
                tool, args_in, changed = tool_for_request(raw["tool"], dict(raw.get("args") or {}), state["question"])
                if changed and tool in deps.tools:
                    raw = {**raw, "tool": tool, "args": args_in}
                    filled.append(changed)
            if raw.get("tool") in deps.tools:
                args_in = dict(raw.get("args") or {})
                if steps:
                    args_in = carry_over(deps.tools[raw["tool"]], args_in, steps)
                args_in, notes = settle(raw["tool"], args_in, seen, state["question"])
                filled += notes
                if understander is not None and seen is not None:
                    evidence = evidence_for(
                        seen, state["question"], earlier, steps, understander.resolver, understander.today
                    )
                    fields = deps.tools[raw["tool"]].input_model.model_fields
                    required = frozenset(name for name, f in fields.items() if f.is_required())
                    args_in, untraced = check_provenance(raw["tool"], args_in, evidence, required)
                    if untraced and not state.get("retried") and worth_asking(untraced):
                        # Ask once, naming what cannot be traced; on the second try the values are dropped.
                        names = ", ".join(f"{u.field}={u.value!r} ({u.reason})" for u in untraced)
                        raise ArgsError(raw["tool"], f"values the request does not give: {names}; leave them out")
                    if untraced:
                        # A dropped value leaves its field as if the model had left it out: what the request names
                        # for it ('Kleider' where the model wrote 'Knits') is filled as it would have been then.
                        args_in, notes = settle(raw["tool"], args_in, seen, state["question"])
                        filled += [n for n in notes if n not in filled]
                raw["args"] = args_in
            decision, args = parse_decision(raw, deps.tools)
        except (ArgsError, StructuredOutputError) as exc:
            kind = "invalid args" if isinstance(exc, ArgsError) else "unparseable decision"
            flags = [*state.get("flags", []), f"{kind}: {exc}"]
            if state.get("retried"):
                flags.append(f"routing failed twice: {exc}")
                if isinstance(exc, ArgsError) and not steps:
                    # The tool refused its inputs twice (a horizon past its limit): say why, with no made-up answer.
                    reason = str(exc).replace("Value error, ", "")
                    text = message("cannot_run", seen.language if seen else "en", tool=exc.tool, error=reason)
                    return {"outcome": "clarify", "clarify": text, "flags": flags, "feedback": None}
                return {"outcome": "respond" if steps else "answer", "flags": flags, "feedback": None}
            return {"outcome": "route", "feedback": str(exc), "retried": True, "flags": flags}
        if decision.tool == ANSWER:
            return {"outcome": "respond" if steps else "answer", "feedback": None}
        if decision.tool == DECLINE and not steps:
            return {"outcome": "decline", "feedback": None}
        if decision.tool == DECLINE:
            return {"outcome": "respond", "feedback": None}
        if decision.tool == CLARIFY:
            return {"outcome": "clarify", "clarify": decision.question, "feedback": None}
        assert args is not None
        flags = list(state.get("flags", []))
        offer = getattr(args, "offer", None)
        if offer and understander is None and not offer_was_stated(offer, state["question"], state.get("messages", [])):
            # A small model copies offers from the routing examples; copy must never carry an invented one.
            args = args.model_copy(update={"offer": None})
            flags.append(f"dropped an offer the marketer did not state: {offer!r}")
        plan = state.get("plan", []) if next_tool else [t for t in decision.next if t != decision.tool]
        if understander is not None and "write_copy" in plan and not asks_for_copy(state["question"]):
            # A planned step is an argument too: copy nobody asked for is not written.
            plan = [t for t in plan if t != "write_copy"]
            flags.append("dropped a planned write_copy step: the request asks for no copy")
        flags += [f"code set: {note}" for note in filled]
        if untraced:
            flags.append("dropped untraceable: " + ", ".join(f"{u.field}={u.value!r}" for u in untraced))
        return {
            "notes": [*state.get("notes", []), dropped_note(untraced, seen.language if seen else "en")]
            if untraced
            else state.get("notes", []),
            "pending": {"tool": decision.tool, "args": args.model_dump(mode="json", exclude_defaults=True)},
            "plan": plan,
            "next_tool": None,
            "feedback": None,
            "outcome": "act",
            "flags": flags,
        }

    def act(state: AgentState) -> dict[str, Any]:
        write = get_stream_writer()
        pending = state["pending"]
        assert pending is not None  # route sets it before every act
        spec = deps.tools[pending["tool"]]
        steps = list(state.get("steps", []))
        args_dict = carry_over(spec, dict(pending["args"]), steps)
        args = spec.input_model.model_validate(args_dict)
        shown_args = mask_data(args.model_dump(mode="json", exclude_defaults=True))
        write(StepStarted(tool=spec.name, args=shown_args))
        started = time.perf_counter()
        try:
            result = spec.run(args, deps.ctx)
        except (ValueError, LookupError) as exc:  # caused by the model's arguments: tell it once
            ms = round((time.perf_counter() - started) * 1000, 1)
            error = mask_pii(str(exc).splitlines()[0][:300])  # an error may name a value from the data
            steps.append(
                StepRecord(
                    tool=spec.name, args=shown_args, ok=False, error=error, ms=ms, result=None, markdown="", charts=[]
                )
            )
            write(StepFinished(tool=spec.name, args=shown_args, ok=False, ms=ms, error=error))
            if not state.get("retried"):
                return {"steps": steps, "feedback": f"{spec.name} failed: {error}", "retried": True,
                        "outcome": "route", "next_tool": spec.name}  # fmt: skip
            return {"steps": steps, "outcome": "respond"}
        ms = round((time.perf_counter() - started) * 1000, 1)
        # Where data leaves the tool: masked once here, so the table, charts, facts, the narration prompt, the
        # checkpoint and every front door get the same masked result.
        result, dumped = masked_result(result)
        markdown = mask_pii(result.to_markdown()) if hasattr(result, "to_markdown") else ""
        charts = [masked_chart(c) for c in result.charts()] if hasattr(result, "charts") else []
        steps.append(
            StepRecord(
                tool=spec.name,
                args=shown_args,
                ok=True,
                error=None,
                ms=ms,
                result=dumped,
                markdown=markdown,
                charts=[c.model_dump(mode="json") for c in charts],
                facts=step_facts(spec, result, steps),
            )
        )
        write(StepFinished(tool=spec.name, args=shown_args, ok=True, ms=ms, markdown=markdown, charts=charts,
                           result=dumped))  # fmt: skip
        plan = state.get("plan", [])
        if plan:
            return {"steps": steps, "next_tool": plan[0], "plan": plan[1:], "outcome": "route", "retried": False}
        return {"steps": steps, "outcome": "respond"}

    def with_notes(state: AgentState, update: dict[str, Any]) -> dict[str, Any]:
        """The answer followed by what was not applied, so the marketer sees every dropped value."""
        notes = [n for n in state.get("notes", []) if n]
        if notes:
            text = "\n\n" + "\n".join(dict.fromkeys(notes))
            get_stream_writer()(Token(text=text))
            update = {**update, "answer": update.get("answer", "") + text}
        return update

    def respond(state: AgentState) -> dict[str, Any]:
        steps = state.get("steps", [])
        if steps and all(s["ok"] and not deps.tools[s["tool"]].narrate for s in steps):
            answer = "\n\n".join(s["markdown"] for s in steps)  # the draft is the answer; nothing to narrate
            return with_notes(state, {"answer": answer})
        return with_notes(state, narrate(deps, state, prompts.render("respond_system.j2"), "respond_user.j2"))

    def answer(state: AgentState) -> dict[str, Any]:
        return narrate(deps, state, prompts.render("answer_system.j2"), "answer_user.j2")

    def decline(state: AgentState) -> dict[str, Any]:
        """Out of scope: an honest fixed reply about what the assistant does, in the request's language; no tool."""
        text = message("decline", state.get("language_code") or "en")
        get_stream_writer()(Token(text=text))
        return {"answer": text, "flags": [*state.get("flags", []), "declined: out of scope"]}

    def clarify(state: AgentState) -> dict[str, Any]:
        text = mask_pii(state.get("clarify") or "Could you say a bit more about what you need?")
        get_stream_writer()(Token(text=text))
        return {"answer": text}

    def refuse(state: AgentState) -> dict[str, Any]:
        text = message("refuse_pii", state.get("language_code") or "en")
        get_stream_writer()(Token(text=text))
        return {"answer": text, "flags": [*state.get("flags", []), "refused: request for personal data"]}

    def remember(state: AgentState) -> dict[str, Any]:
        """Store the turn's answer (tables cut short) and which tools it used; drop the oldest beyond the cap."""
        used = [f"{s['tool']} {json.dumps(s['args'], ensure_ascii=False)}" for s in state.get("steps", [])]
        messages = state.get("messages", [])
        removals = [RemoveMessage(id=m.id) for m in messages[: max(0, len(messages) + 1 - MAX_STORED_MESSAGES)] if m.id]
        subject = subject_of(state.get("steps", []))
        kwargs = {"tools_used": used, "subject": subject}  # the subject: what a follow-up's "those" refers to
        reply = AIMessage(content=state.get("answer", "")[:1200], additional_kwargs=kwargs)
        return {"messages": [*removals, reply]}

    def after(state: AgentState) -> str:
        return state.get("outcome", "respond")

    graph = StateGraph(AgentState)
    for name, node in (
        ("guard", _guard),
        ("route", route),
        ("act", act),
        ("respond", respond),
        ("answer", answer),
        ("clarify", clarify),
        ("decline", decline),
        ("refuse", refuse),
        ("remember", remember),
    ):
        graph.add_node(name, node)
    graph.add_edge(START, "guard")
    graph.add_conditional_edges("guard", after, {"route": "route", "refuse": "refuse"})
    graph.add_conditional_edges(
        "route",
        after,
        {"route": "route", "act": "act", "respond": "respond", "answer": "answer", "clarify": "clarify",
         "decline": "decline"},
    )  # fmt: skip
    graph.add_conditional_edges("act", after, {"route": "route", "respond": "respond"})
    for name in ("respond", "answer", "clarify", "decline", "refuse"):
        graph.add_edge(name, "remember")
    graph.add_edge("remember", END)
    return graph.compile(checkpointer=checkpointer)


def _guard(state: AgentState) -> dict[str, Any]:
    from assistant.core.privacy import asks_for_pii
    from assistant.understand.language import language_name, request_language

    earlier = [str(m.content) for m in state.get("messages", [])[:-1] if m.type == "human"]
    code = request_language(state["question"], earlier)  # the answer is written in the request's language
    outcome = "refuse" if asks_for_pii(state["question"]) else "route"
    return {"outcome": outcome, "language_code": code, "language": language_name(code)}
