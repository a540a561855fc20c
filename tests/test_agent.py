"""Every graph path of the agent, with the one scripted fake model and real tools on the demo warehouse."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from assistant.agent.decision import ANSWER, CLARIFY, DECLINE, NO_TOOL
from assistant.agent.events import Final, StepFinished, StepStarted, Token
from assistant.agent.memory import count_tokens, history_text
from assistant.agent.runner import QuestionError
from assistant.agent.understanding import message
from assistant.core.workspace import Workspace
from tests.helpers.agent import expected_country, make_agent


def route(tool: str, **args: object) -> dict[str, object]:
    return {"tool": tool, "args": args}


def test_direct_answer(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace, {"tool": "answer"}, "I can analyse segments and write copy.")
    result = agent.ask("Hi, what can you do?")
    assert result.answer == "I can analyse segments and write copy."
    assert result.steps == [] and result.flags == []
    model.assert_complete()


def test_single_tool_answer_is_grounded_and_streams_content_first(demo_workspace: Workspace) -> None:
    customers, revenue = expected_country(demo_workspace, "Germany")
    # The model cites facts by id; the answer carries their values with their labels.
    agent, model = make_agent(
        demo_workspace, route("country_stats", country="Germany"), "Germany has {f1} who spent {f2}."
    )
    narration = f"Germany has {customers} customers who spent {revenue:,.2f} revenue."
    events = list(agent.stream("How many customers do we have in Germany?"))
    kinds = [type(e) for e in events]
    assert kinds.index(StepStarted) < kinds.index(StepFinished) < kinds.index(Token)
    assert isinstance(events[-1], Final)
    result = events[-1].result
    assert result.steps[0].tool == "country_stats" and result.steps[0].ok
    assert result.steps[0].result["customers"] == customers
    assert narration in result.answer and f"| Germany | {customers:,} |" in result.answer
    assert result.flags == []
    assert result.timings.first_content_ms is not None and result.timings.first_token_ms is not None
    assert result.timings.first_content_ms <= result.timings.first_token_ms <= result.timings.total_ms
    assert result.charts and result.charts[0].series[0].values == [customers]
    assert result.tokens.prompt > 0 and result.tokens.completion > 0
    # The tool results reach the narration prompt fenced as data.
    respond_prompt = str(model.calls[1]["messages"][-1].content)
    assert "<data>" in respond_prompt and "Germany" in respond_prompt
    assert f"[f1] customers (Germany) = {customers}" in respond_prompt
    model.assert_complete()


def test_grounding_violation_is_removed_and_flagged(demo_workspace: Workspace) -> None:
    customers, _ = expected_country(demo_workspace, "France")
    narration = "France has {f1}. Revenue grew by 87.5% last year."
    agent, _ = make_agent(demo_workspace, route("country_stats", country="France"), narration)
    result = agent.ask("Customers in France?")
    assert "87.5%" not in result.answer
    assert f"France has {customers} customers." in result.answer
    assert "did not match the data" in result.answer
    assert any("grounding" in f for f in result.flags)


def test_narration_stops_after_its_second_sentence(demo_workspace: Workspace) -> None:
    customers, _ = expected_country(demo_workspace, "France")
    two = f"France has {customers} customers. Send them a spring newsletter."
    script = "France has {f1}. Send them a spring newsletter. Also consider a survey."
    agent, _ = make_agent(demo_workspace, route("country_stats", country="France"), script)
    events = list(agent.stream("Customers in France?"))
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    result = events[-1].result  # type: ignore[union-attr]
    assert streamed.strip() == two and result.answer.endswith(two)
    assert "survey" not in result.answer


def test_invalid_args_go_back_to_the_model_once(demo_workspace: Workspace) -> None:
    customers, _ = expected_country(demo_workspace, "Spain")
    agent, model = make_agent(
        demo_workspace,
        route("country_stats", country=""),
        route("country_stats", country="Spain"),
        "Spain has {f1}.",
        understand=False,  # with code's reading, the named country fills the empty input and nothing fails
    )
    result = agent.ask("customers in spain")
    assert [s.ok for s in result.steps] == [True]
    assert f"Spain has {customers} customers." in result.answer
    second_route = str(model.calls[1]["messages"][-1].content)
    assert "previous choice failed" in second_route and "country" in second_route
    model.assert_complete()


def test_tool_error_fed_back_then_fixed(demo_workspace: Workspace) -> None:
    customers, _ = expected_country(demo_workspace, "Norway")
    agent, model = make_agent(
        demo_workspace,
        route("country_stats", country="Atlantis"),
        route("country_stats", country="Norway"),
        "Norway has {f1}.",
        understand=False,  # code would ask about Atlantis before the model: this is the model's own error path
    )
    result = agent.ask("customers in Atlantis or Norway")
    assert [s.ok for s in result.steps] == [False, True]
    assert f"Norway has {customers} customers." in result.answer
    assert "Atlantis" in result.steps[0].result["error"]
    assert "country_stats failed" in str(model.calls[1]["messages"][-1].content)
    model.assert_complete()


def test_tool_error_twice_is_explained_not_retried_forever(demo_workspace: Workspace) -> None:
    agent, model = make_agent(
        demo_workspace,
        route("country_stats", country="Atlantis"),
        route("country_stats", country="Lemuria"),
        "I could not find customers in those countries.",
        understand=False,
    )
    result = agent.ask("customers in Atlantis")
    assert [s.ok for s in result.steps] == [False, False]
    assert "failed" in result.answer
    model.assert_complete()


def test_unparseable_routing_twice_falls_back_to_an_answer(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace, "not json at all", "{broken", "Could you rephrase that?")
    result = agent.ask("asdf qwerty")
    assert result.answer == "Could you rephrase that?"
    assert any("routing failed" in f for f in result.flags)
    model.assert_complete()


def test_inputs_a_tool_refuses_twice_get_its_reason_not_an_answer_without_data(demo_workspace: Workspace) -> None:
    # No customer has country "X": the tool's input check refuses it (min_length 2) both times.
    agent, model = make_agent(demo_workspace, route("country_stats", country="X"), route("country_stats", country="Y"))
    result = agent.ask("customers in Norway, Sweden and Denmark")
    assert not result.steps and len(model.calls) == 2  # no third call writes an answer without data
    assert "I could not run country_stats" in result.answer and "country" in result.answer
    assert result.answer.rstrip().endswith("?")
    model.assert_complete()


def test_clarify_asks_back_without_more_llm_calls(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace, {"tool": "clarify", "question": "Which country do you mean?"})
    result = agent.ask("How are we doing there?")
    assert result.answer == "Which country do you mean?"
    assert len(model.calls) == 1
    model.assert_complete()


def test_multi_step_chains_tools_and_restricts_the_next_choice(demo_workspace: Workspace) -> None:
    customers, _ = expected_country(demo_workspace, "France")
    copy = {"variants": [{"body": "New in: our Linen Summer Dress, made for warm French evenings. Shop now."}]}
    agent, model = make_agent(
        demo_workspace,
        {"tool": "country_stats", "args": {"country": "France"}, "next": ["write_copy"]},
        route("write_copy", channel="sms", products=["linen summer dress"], n_variants=1),
        copy,
        "Here is a draft for your {f1} in France.",
    )
    # Send the decision schema as for llama.cpp (the scripted model is sent none by default), so that the
    # scripted model records, in each call's kwargs, the schema it was constrained by.
    agent.llm._mode = "json_object"
    result = agent.ask("How many customers in France? Then write them an SMS about the linen summer dress")
    assert [s.tool for s in result.steps] == ["country_stats", "write_copy"]

    def tools_allowed(call: int) -> set[str]:
        schema = model.calls[call]["kwargs"]["response_format"]["schema"]
        return {branch["properties"]["tool"]["const"] for branch in schema["anyOf"]}

    # The first routing call may choose any tool; the second only the planned one (or answer / clarify).
    assert {"country_stats", "write_copy"} <= tools_allowed(0)
    assert tools_allowed(1) == {"write_copy", ANSWER, CLARIFY, DECLINE}
    assert "Now fill the arguments for the next tool: write_copy" in str(model.calls[1]["messages"][-1].content)
    assert "DRAFT" in result.answer and "Linen Summer Dress" in result.answer
    assert f"Here is a draft for your {customers} customers in France." in result.answer
    model.assert_complete()


def test_memory_per_thread(demo_workspace: Workspace) -> None:
    customers, _ = expected_country(demo_workspace, "Germany")
    agent, model = make_agent(
        demo_workspace,
        route("country_stats", country="Germany"),
        "Germany has {f1}.",
        {"tool": "answer"},
        "You asked about Germany.",
        {"tool": "answer"},
        "This is a new conversation.",
    )
    agent.ask("Customers in Germany?", thread_id="a")
    agent.ask("What did I just ask about?", thread_id="a")
    agent.ask("What did I just ask about?", thread_id="b")
    same_thread = str(model.calls[2]["messages"][-1].content)
    other_thread = str(model.calls[4]["messages"][-1].content)
    assert "Customers in Germany?" in same_thread and "country_stats" in same_thread
    assert f"Germany has {customers} customers." in same_thread  # remembered as rendered, not as ids
    assert "Germany" not in other_thread
    model.assert_complete()


def test_history_is_trimmed_to_the_token_budget() -> None:
    messages: list[BaseMessage] = []
    for i in range(30):
        messages.append(HumanMessage(content=f"question {i} " + "about segments " * 20))
        messages.append(AIMessage(content=f"answer {i} " + "with numbers " * 20))
    text = history_text(messages, budget=300)  # type: ignore[arg-type]
    assert count_tokens(text) <= 300
    assert "answer 29" in text and "question 0 " not in text


def test_pii_is_masked_before_any_prompt(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace, {"tool": "answer"}, "Noted.")
    result = agent.ask("I'm Jane Doe, reach me at jane.doe@example.com or +44 7700 900123 about loyalty ideas")
    prompt = " ".join(str(m.content) for call in model.calls for m in call["messages"])
    assert "jane.doe@example.com" not in prompt and "7700 900123" not in prompt and "Jane Doe" not in prompt
    assert "[email]" in prompt and "[phone]" in prompt and "[name]" in prompt
    assert "jane.doe" not in result.answer


def test_requests_for_personal_data_are_refused_without_the_model(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace)
    result = agent.ask("Give me the email addresses of my top 20 customers")
    assert result.answer == message("refuse_pii", "en") and model.calls == []
    assert any("refused" in f for f in result.flags)
    spanish = agent.ask("Dame los correos electrónicos de mis 20 mejores clientes")
    assert spanish.answer == message("refuse_pii", "es") and model.calls == []


def test_write_an_email_is_not_a_pii_request(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace, {"tool": "answer"}, "Sure.")
    agent.ask("Write an email to customers about our summer range")
    assert len(model.calls) == 2


def test_empty_and_huge_questions_are_rejected(demo_workspace: Workspace) -> None:
    agent, _ = make_agent(demo_workspace)
    with pytest.raises(QuestionError, match="empty"):
        agent.ask("   ")
    with pytest.raises(QuestionError, match="limit"):
        agent.ask("x" * 5000)


def test_llm_failure_surfaces_as_an_exception(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace)
    model.fail_with = ConnectionError("server down")
    with pytest.raises(ConnectionError):
        agent.ask("Customers in Germany?")


def test_routing_examples_match_the_real_tools() -> None:
    """Every example in the routing prompt validates against the tool it names (they cannot drift)."""
    import prompts
    from assistant.agent.decision import parse_decision
    from tools.families import load_tools

    tools = load_tools()
    examples = prompts.load_yaml("route_examples.yaml")
    named = {e["decision"]["tool"] for e in examples}
    assert named >= set(tools) | set(NO_TOOL), f"tools without an example: {set(tools) - named}"
    for example in examples:
        decision, _ = parse_decision(example["decision"], tools)
        assert decision.tool in (*tools, *NO_TOOL)


def test_routing_examples_do_not_repeat_eval_prompts() -> None:
    """The evals measure how routing generalises: no example may be (nearly) one of their prompts."""
    import difflib
    from pathlib import Path

    import prompts
    from assistant.evals.suite import load_suite

    requests = [e["request"].lower() for e in prompts.load_yaml("route_examples.yaml")]
    suite_dir = Path(__file__).resolve().parents[1] / "evals" / "suites"
    for suite_path in sorted(suite_dir.glob("*.yaml")):
        for case in load_suite(suite_path).cases:
            for prompt in case.messages:
                for request in requests:
                    similarity = difflib.SequenceMatcher(None, request, prompt.lower()).ratio()
                    assert similarity < 0.8, f"route example {request!r} ~ {suite_path.name} {case.id}: {prompt!r}"


def test_routing_grammar_caps_huge_bounds_but_validation_keeps_them() -> None:
    """A 100k-character argument bound would crash llama.cpp's grammar; the schema sent is capped."""
    from assistant.agent.decision import decision_schema
    from assistant.core.llm_client import GRAMMAR_MAX_ITEMS, GRAMMAR_MAX_LENGTH, grammar_safe
    from tools.families import load_tools

    schema = decision_schema(load_tools())
    bounds: list[int] = []

    def collect(node: object, out: list[int]) -> None:
        if isinstance(node, dict):
            out.extend(v for k, v in node.items() if k in ("maxLength", "maxItems") and isinstance(v, int))
            for v in node.values():
                collect(v, out)
        elif isinstance(node, list):
            for v in node:
                collect(v, out)

    collect(schema, bounds)
    assert max(bounds) > GRAMMAR_MAX_LENGTH  # the real tool schemas do carry large bounds
    capped: list[int] = []
    collect(grammar_safe(schema), capped)
    assert len(capped) == len(bounds) and max(capped) <= max(GRAMMAR_MAX_LENGTH, GRAMMAR_MAX_ITEMS)
    assert schema != grammar_safe(schema)  # a copy; the original (used for nothing else) is untouched


def test_warm_up_is_only_for_the_in_process_model(demo_workspace: Workspace) -> None:
    agent, model = make_agent(demo_workspace, {"tool": "answer"}, "Hello.")
    assert agent.warm_up() is None and model.calls == []  # a scripted or remote model has nothing to prepare
    assert agent.ask("hi").answer == "Hello."


def test_recommend_after_a_segment_targets_the_segment_when_the_model_names_several_targets() -> None:
    from assistant.agent.carry_over import carry_over
    from tools.families import load_tools
    from tools.recommend.tool import RecommendProductsInput

    spec = load_tools()["recommend_products"]
    segment_step = {"tool": "segment_query", "ok": True, "args": {"segments": ["at_risk"], "countries": ["France"]}}
    copied = {"customer_id": "12535", "product_ids": ["22423"], "k": 3}  # ids copied from the segment's result
    assert carry_over(spec, dict(copied), [segment_step]) == {"k": 3, "segment": "at_risk", "country": "France"}
    assert carry_over(spec, {"customer_id": "12535"}, [segment_step]) == {"customer_id": "12535"}  # one target: kept
    assert carry_over(spec, dict(copied), []) == copied  # no segment step: validation reports the conflict
    # A segment name in the customer field is the segment.
    assert RecommendProductsInput.model_validate({"customer_id": "Champions", "k": 5}).segment == "champions"


def test_an_offer_the_marketer_did_not_state_is_dropped_before_copy(demo_workspace: Workspace) -> None:
    from assistant.agent.routing import offer_was_stated

    assert offer_was_stated("10% off this weekend", "Email loyal customers about candles with 10% off this weekend", [])
    assert not offer_was_stated("free delivery this month", "Write an email about our candles", [])
    assert not offer_was_stated("20% off", "Email them 10% off", [])
    copy = {"variants": [{"body": "New in: our Linen Summer Dress, made for warm evenings."}]}
    invented = route("write_copy", channel="sms", products=["linen summer dress"], n_variants=1, offer="free delivery")
    agent, model = make_agent(demo_workspace, invented, invented, copy)  # asked once about the offer, then dropped
    result = agent.ask("Write an SMS about the linen summer dress")
    assert result.steps[0].args.get("offer") is None
    assert any("dropped untraceable: offer='free delivery'" in f for f in result.flags)
    assert "free delivery" not in str(model.calls[2]["messages"][-1].content)  # the copy prompt never saw it


def test_a_stream_stopped_early_closes_the_model_stream_and_counts_what_it_read() -> None:
    from assistant.core.llm_client import LLMClient, counting_usage
    from assistant.llm.scripted import ScriptedChatModel

    client = LLMClient(ScriptedChatModel(outputs=["One two. Three four. Five six."]))
    first_stop = lambda text: (text.find(". ") + 1) or None  # noqa: E731
    with counting_usage() as usage:
        pieces = list(client.stream("respond", [HumanMessage("hi")], until=first_stop))
    assert "".join(pieces) == "One two."
    assert usage.completion == len(pieces)  # the usage chunk at the end was never read: pieces counted
