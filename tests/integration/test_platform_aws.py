"""boto3 objects shared by the threads of one process: each thread's requests stay its own."""

from __future__ import annotations

import threading

from boto3.dynamodb.conditions import Attr, ConditionExpressionBuilder, Key


def test_a_query_is_not_rewritten_by_another_threads_query(aws, monkeypatch):
    """boto/boto3#1332: a DynamoDB resource builds every request's expressions with one builder per
    client, reset at the start of each request. Two threads sharing the resource: B's reset lands
    between A's filter and A's key condition, A's key condition reuses the filter's placeholders,
    and A's query asks for something else ("Query condition missed key schema element", or other
    items). The test forces that interleaving; each thread must still get exactly its own items."""
    from crm.platform import dynamo

    table = dynamo.aws.table()
    for pk in ("T#a#CONTACT", "T#b#CONTACT"):
        for i in range(3):
            table.put_item(Item={"PK": pk, "SK": f"NOTE#{i}", "kind": "note"})
        table.put_item(Item={"PK": pk, "SK": "NOTE#9", "kind": "draft"})  # the filter leaves it out

    a_built_its_filter, b_reset_the_builder, a_built_its_key = threading.Event(), threading.Event(), threading.Event()
    real_reset, real_build = ConditionExpressionBuilder.reset, ConditionExpressionBuilder.build_expression

    def reset(self):
        real_reset(self)
        if threading.current_thread().name == "B":
            b_reset_the_builder.set()
            a_built_its_key.wait(5)  # and A builds its key condition right after that reset

    def build_expression(self, condition, is_key_condition=False):
        built = real_build(self, condition, is_key_condition)
        if threading.current_thread().name == "A" and not is_key_condition:
            a_built_its_filter.set()
            b_reset_the_builder.wait(5)  # B's request starts before A's key condition is built
        elif threading.current_thread().name == "A":
            a_built_its_key.set()
        return built

    monkeypatch.setattr(ConditionExpressionBuilder, "reset", reset)
    monkeypatch.setattr(ConditionExpressionBuilder, "build_expression", build_expression)
    results: dict[str, object] = {}

    def notes_of(tenant: str) -> None:
        if tenant == "b":
            a_built_its_filter.wait(5)
        try:
            items, _ = dynamo.query_page(
                tenant=tenant,
                query={"notes": tenant},
                partition=("PK", f"T#{tenant}#CONTACT"),
                sort=Key("SK").begins_with("NOTE#"),
                filter_expression=Attr("kind").eq("note"),
            )
            results[tenant] = sorted((i["PK"], i["SK"]) for i in items)
        except Exception as exc:
            results[tenant] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=notes_of, args=("a",), name="A"), threading.Thread(target=notes_of, args=("b",), name="B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {tenant: [(f"T#{tenant}#CONTACT", f"NOTE#{i}") for i in range(3)] for tenant in ("a", "b")}
