"""Flame in five minutes, from Python: sign a company up with a password and log in, add
people, contacts and deals, move the deals through the pipeline, win one, lose one, then print
the health report and a pipeline summary. The same tour as examples/quickstart.rs.

    python examples/quickstart.py                       # SQLite file in a temp dir
    python examples/quickstart.py postgres://.../db     # PostgreSQL
"""

from __future__ import annotations

import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import flame


def main(argv: list[str]) -> int:
    """Runs the tour against the store at argv[1] (a temporary SQLite file by default)."""
    if len(argv) > 1:
        url = argv[1]
    else:
        path = Path(tempfile.gettempdir()) / f"flame-quickstart-{os.getpid()}.db"
        url = f"sqlite://{path}"
    print(f"Opening {url.rsplit('@', 1)[-1]}")
    pid = os.getpid()

    with flame.open(url) as store:
        email = f"olga+{pid}@acme.test"
        password = "correct horse battery"
        signed = store.sign_up("Acme Robotics", email, "Olga Owner", password=password)
        print(f"Signed up {signed.company.name} (owner {signed.owner.email})")

        # Nobody proved yet that the address is Olga's: the host mails her a verification
        # token (a link), and her click proves it. Until then her password does not log in.
        mail = store.email_verification(signed.owner.id)
        store.verify_email(mail.token)
        print(f"Verified {mail.email}")

        # Log in with the password; the session token resumes the session later (a cookie, a
        # keychain). It is a secret: print it, log it or store it in plain text nowhere.
        owner = store.login(email, password)
        token = owner.token()
        assert token is not None
        owner = store.authenticate(token)
        print(f"Logged in as {owner.role} until {owner.expires_at:%Y-%m-%d %H:%M} UTC")

        manager = owner.members.add(f"max+{pid}@acme.test", "Max Manager", "manager")
        print(f"Added {manager.user.name} as {manager.membership.role}")

        engines = owner.organizations.create(
            "Analytical Engines Ltd", domain="https://www.analytical.engines/", country="GB"
        )
        print(f"Organization {engines.name} ({engines.domain})")
        ada = owner.contacts.create(
            "Ada",
            last_name="Lovelace",
            email="Ada@Analytical.Engines",
            phone="+44 20 7946 0958",
            organization_id=engines.id,
        )
        ivan = owner.contacts.create(
            "Ivan",
            last_name="Petrov",
            phone="8 (912) 345-67-89",
            phone_region="RU",
            owner_id=manager.user.id,
        )
        print(f"Contacts: {ada.full_name} <{ada.email}>, {ivan.full_name} {ivan.phone}")

        pipeline = owner.pipelines.default()
        stages = {s.name: s.id for s in owner.pipelines.stages(pipeline.id)}

        deals = owner.deals
        robot = deals.create(
            "Twelve welding robots",
            Decimal("1250000.00"),
            "USD",
            contact_id=ada.id,
            organization_id=engines.id,
        )
        print(f"Open with {engines.name}: {owner.organizations.open_value(engines.id)}")
        arm = deals.create(
            "Painting arm", Decimal("480000"), "RUB", contact_id=ivan.id, assignee_id=manager.user.id
        )
        pilot = deals.create("Pilot installation", "75000", "USD", contact_id=ada.id)

        robot = deals.move_to_stage(robot.id, stages["Qualified"], robot.version)
        robot = deals.move_to_stage(robot.id, stages["Proposal"], robot.version)
        robot = deals.win(robot.id, robot.version)
        arm = deals.move_to_stage(arm.id, stages["Qualified"], arm.version)
        arm = deals.lose(arm.id, "Chose a local integrator", arm.version)
        pilot = deals.move_to_stage(pilot.id, stages["Proposal"], pilot.version)
        print(f"Won: {robot.title} ({robot.value})")
        print(f"Lost: {arm.title} — {arm.lost_reason or ''}")
        print(f"Open: {pilot.title} ({pilot.value})")

        health = store.health()
        print("\nHealth")
        print(f"  backend            {health.backend}")
        print(f"  reachable          {health.reachable}")
        print(f"  round trip         {health.round_trip.total_seconds() * 1000:.3f} ms")
        print(
            f"  schema             {health.schema_version} (expected "
            f"{health.expected_schema_version}, matches: {health.schema_matches})"
        )
        print(f"  encryption         {health.encryption_configured}")
        if health.counts is not None:
            c = health.counts
            print(
                f"  rows               {c.users} users, {c.companies} companies, "
                f"{c.subscriptions} subscriptions, {c.contacts} contacts, {c.deals} deals"
            )
            s = c.subscriptions_by_status
            print(
                f"  subscriptions      {s.trialing} trialing, {s.active} active, "
                f"{s.past_due} past due, {s.canceled} canceled, {s.expired} expired"
            )

        print(f"\nPipeline {pipeline.name}")
        for row in owner.pipelines.summary(pipeline.id):
            totals = " + ".join(str(m) for m in row.totals) or "-"
            print(f"  {row.stage.name:<10} {row.deal_count:>3} deal(s)  {totals}")

        usage = owner.billing.usage()
        plan = owner.billing.plan()
        print(
            f"\nPlan {plan.name}: {usage.seats} seat(s), {usage.contacts} contacts, "
            f"{usage.deals} deals in use"
        )

        events = owner.events.list(limit=100)
        print(f"{len(events.items)} events written to the outbox")
        owner.logout()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
