from django.db import migrations, models


def pin_released_revisions(apps, schema_editor):
    """Posts released before the pin existed: the approval that released each one is the last
    approval, given on the released revision, up to its `post.released` ledger event."""
    LedgerEvent = apps.get_model("audit", "LedgerEvent")
    ReviewRecord = apps.get_model("editorial", "ReviewRecord")
    released = {}
    for event in LedgerEvent.objects.filter(object_type="post", action="post.released").order_by("seq"):
        released[event.object_id] = event  # the latest release of each post wins
    for post_id, event in released.items():
        revision_id = (event.data or {}).get("revision_id")
        if not post_id.isdigit() or revision_id is None:
            continue
        record = (
            ReviewRecord.objects.filter(post_id=int(post_id), revision_id=revision_id, action="approve", at__lte=event.at)
            .order_by("-at", "-id")
            .first()
        )
        if record is not None:
            ReviewRecord.objects.filter(pk=record.pk).update(final=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
        ("editorial", "0004_wechatarticle_image_problems"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewrecord",
            name="final",
            field=models.BooleanField(default=False, editable=False, verbose_name="签发（终审）"),
        ),
        migrations.RunPython(pin_released_revisions, migrations.RunPython.noop),
    ]
