import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        # Events recorded before the keyed chain have no key id; `verify` reports them as
        # unknown_key (their plain SHA-256 proves nothing against a database role).
        migrations.AddField(
            model_name="ledgerevent",
            name="kid",
            field=models.CharField(default="", max_length=16, verbose_name="密钥编号"),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="AuditAnchor",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False, verbose_name="日期")),
                ("seq", models.BigIntegerField(verbose_name="最后序号")),
                ("count", models.BigIntegerField(verbose_name="事件数")),
                ("head_hash", models.CharField(max_length=64, verbose_name="链头哈希")),
                ("signature", models.CharField(max_length=81, verbose_name="签名")),
                ("sealed_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="封存时间")),
            ],
            options={
                "verbose_name": "审计锚点",
                "verbose_name_plural": "审计锚点",
                "ordering": ["day"],
            },
        ),
    ]
