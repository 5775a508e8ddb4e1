from decimal import Decimal

from django.db import migrations
from django.db.models import DecimalField
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def fill_collected_earmarks(apps, schema_editor):
    """Each line's received earmarks, from the pledges received so far."""
    BudgetLine = apps.get_model("campaigns", "BudgetLine")
    Pledge = apps.get_model("donations", "Pledge")
    received = (
        Pledge.objects.filter(line=OuterRef("pk"), status="received")
        .values("line")
        .annotate(total=Sum("received_amount"))
        .values("total")
    )
    BudgetLine.objects.update(
        earmarked_collected=Coalesce(
            Subquery(received),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_over_goal_rule_and_collected_earmarks"),
        ("donations", "0003_leaner_pledge_indexes"),
    ]

    operations = [
        migrations.RunPython(fill_collected_earmarks, migrations.RunPython.noop),
    ]
