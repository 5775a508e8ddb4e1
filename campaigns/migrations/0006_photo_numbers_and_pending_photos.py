"""Photos get a number within their campaign (1, 2, 3 in upload order), and
stories that named a photo by its database id ("photo:17") name it by that
number ("photo:2"). Photos waiting for their campaign's save get a table."""

import re

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

PHOTO_REFERENCE = re.compile(r"\(photo:(\d+)\)")
LANGUAGES = ("en", "pl", "be", "ru", "uk")


def rewrite(text, mapping):
    """Each "(photo:<id>)" of one of the campaign's photos as "(photo:<number>)",
    in one pass (an id equal to another photo's number is not rewritten twice)."""

    def replace(match):
        number = mapping.get(int(match[1]))
        return f"(photo:{number})" if number is not None else match[0]

    return PHOTO_REFERENCE.sub(replace, text) if text else text


def story_fields(Campaign):
    names = ["story", *(f"story_{code}" for code in LANGUAGES)]
    existing = {field.name for field in Campaign._meta.get_fields()}
    return [name for name in names if name in existing]


def number_photos(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Photo = apps.get_model("campaigns", "Photo")
    fields = story_fields(Campaign)
    for campaign in Campaign.objects.filter(photos__isnull=False).distinct():
        mapping = {}
        photos = Photo.objects.filter(campaign=campaign).order_by("created_at", "id")
        for number, photo in enumerate(photos, start=1):
            photo.number = number
            photo.save(update_fields=["number"])
            mapping[photo.pk] = number
        for name in fields:
            setattr(campaign, name, rewrite(getattr(campaign, name), mapping))
        campaign.save(update_fields=fields)


def unnumber_photos(apps, schema_editor):
    """Back to database ids in the stories."""
    Campaign = apps.get_model("campaigns", "Campaign")
    Photo = apps.get_model("campaigns", "Photo")
    fields = story_fields(Campaign)
    for campaign in Campaign.objects.filter(photos__isnull=False).distinct():
        mapping = dict(
            Photo.objects.filter(campaign=campaign).values_list("number", "pk")
        )
        for name in fields:
            setattr(campaign, name, rewrite(getattr(campaign, name), mapping))
        campaign.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_add_organizer_contact_and_reminders"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="number",
            field=models.PositiveIntegerField(
                editable=False, null=True, verbose_name="number"
            ),
        ),
        migrations.RunPython(number_photos, unnumber_photos),
        migrations.AlterField(
            model_name="photo",
            name="number",
            field=models.PositiveIntegerField(editable=False, verbose_name="number"),
        ),
        migrations.AddConstraint(
            model_name="photo",
            constraint=models.UniqueConstraint(
                fields=("campaign", "number"), name="photo_number_unique_per_campaign"
            ),
        ),
        migrations.AlterField(
            model_name="budgetline",
            name="position",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Lines are covered in this order, the lowest number first.",
                verbose_name="position",
            ),
        ),
        migrations.CreateModel(
            name="PendingPhoto",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("token", models.CharField(max_length=64, unique=True)),
                ("original_name", models.CharField(blank=True, max_length=100)),
                ("image_name", models.CharField(max_length=200)),
                ("width", models.PositiveIntegerField()),
                ("height", models.PositiveIntegerField()),
                ("variants", models.JSONField(default=list)),
                (
                    "created_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "photo waiting to be saved",
                "verbose_name_plural": "photos waiting to be saved",
            },
        ),
    ]
