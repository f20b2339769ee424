"""Pipelines and stages, and the pipeline summary."""

from __future__ import annotations

from decimal import Decimal

import pytest

import flame


def test_default_pipeline(owner: flame.Session) -> None:
    pipeline = owner.pipelines.default()
    assert pipeline.is_default
    assert owner.pipelines.list() == [pipeline]
    assert owner.pipelines.get(pipeline.id) == pipeline
    stages = owner.pipelines.stages(pipeline.id)
    assert [s.name for s in stages] == ["New", "Qualified", "Proposal", "Won", "Lost"]
    assert [s.kind for s in stages] == ["open", "open", "open", "won", "lost"]
    assert owner.pipelines.stage(stages[0].id) == stages[0]
    assert stages[3].probability == 100


def test_create_rename_and_stages(owner: flame.Session) -> None:
    pipeline, stages = owner.pipelines.create(
        "Partners",
        [
            flame.NewStage("Lead", "open"),
            flame.NewStage("Talks", "open", probability=40),
            flame.NewStage("Signed", "won"),
            flame.NewStage("Dropped", "lost"),
        ],
    )
    assert not pipeline.is_default
    assert [s.name for s in stages] == ["Lead", "Talks", "Signed", "Dropped"]
    assert stages[0].probability == 10 and stages[1].probability == 40
    renamed = owner.pipelines.rename(pipeline.id, "Channel partners", pipeline.version)
    assert renamed.name == "Channel partners"

    added = owner.pipelines.add_stage(pipeline.id, "Pilot", "open", 70)
    assert added.pipeline_id == pipeline.id and added.probability == 70
    changed = owner.pipelines.update_stage(added.id, added.version, name="Pilot run", probability=75)
    assert (changed.name, changed.probability) == ("Pilot run", 75)
    owner.pipelines.remove_stage(changed.id, changed.version)
    assert len(owner.pipelines.stages(pipeline.id)) == 4
    with pytest.raises(flame.NotFoundError):
        owner.pipelines.stage(changed.id)

    owner.pipelines.delete(renamed.id, renamed.version)
    with pytest.raises(flame.NotFoundError):
        owner.pipelines.get(pipeline.id)


def test_bad_pipelines_are_rejected(owner: flame.Session) -> None:
    with pytest.raises(flame.ValidationError):
        owner.pipelines.create("Only open", [flame.NewStage("Lead", "open")])
    with pytest.raises(flame.ValidationError) as caught:
        flame.NewStage("Lead", "maybe")  # type: ignore[arg-type]
    assert caught.value.field == "kind"
    pipeline = owner.pipelines.default()
    with pytest.raises(flame.ValidationError) as prob:
        owner.pipelines.add_stage(pipeline.id, "Sure thing", "open", 101)
    assert prob.value.field == "probability"
    with pytest.raises(OverflowError):
        owner.pipelines.add_stage(pipeline.id, "Way too sure", "open", 1000)
    assert len(owner.pipelines.list()) == 1
    assert len(owner.pipelines.stages(pipeline.id)) == 5


def test_summary(owner: flame.Session) -> None:
    pipeline = owner.pipelines.default()
    stages = {s.name: s for s in owner.pipelines.stages(pipeline.id)}
    owner.deals.create("A", "100.50", "USD")
    owner.deals.create("B", "200", "USD")
    owner.deals.create("C", "3000", "RUB")
    d = owner.deals.create("D", "10", "USD")
    owner.deals.win(d.id, d.version)
    summary = {row.stage.name: row for row in owner.pipelines.summary(pipeline.id)}
    assert list(summary) == ["New", "Qualified", "Proposal", "Won", "Lost"]
    assert summary["New"].deal_count == 3
    totals = {m.currency: m.amount for m in summary["New"].totals}
    assert totals == {"USD": Decimal("300.50"), "RUB": Decimal("3000.00")}
    assert summary["Won"].deal_count == 1
    assert summary["Won"].totals == [flame.Money("10", "USD")]
    assert summary["Lost"].deal_count == 0 and summary["Lost"].totals == []
    assert summary["New"].stage == stages["New"]
    data = summary["Won"].to_dict()
    assert data["stage"]["name"] == "Won"
    assert data["totals"] == [{"amount": Decimal("10.00"), "currency": "USD"}]
