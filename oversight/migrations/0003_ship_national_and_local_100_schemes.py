"""Ship two presets: the national pass/fail scheme (veto items only) and a local-style 100-point
scheme (deductions per warning, bonus items, bonus only from the excellent line up)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

# In force for any date a report may ask about: the State Council's management opinion on government
# new media (国办发〔2018〕123号) dates from December 2018.
IN_FORCE_FROM = datetime(2018, 12, 7, tzinfo=ZoneInfo("Asia/Shanghai"))

NATIONAL = {
    "preset": "national",
    "name": "全国政务新媒体检查（单项否决，合格/不合格）",
    "deductions": [],
    "bonuses": [],
    "bonus_cap": 0,
}
LOCAL_100 = {
    "preset": "local_100",
    "name": "地方百分制考核（扣分 + 加分）",
    "deductions": [
        {"code": "no_update_10d", "points": 5, "cap": 5},
        {"code": "no_update_12d", "points": 10, "cap": 10},
        {"code": "below_weekly_minimum", "points": 5, "cap": 5},
        {"code": "overdue_interactions", "points": 2, "cap": 20},
        {"code": "zombie", "points": 20, "cap": 20},
        {"code": "outsourcing_contract_expired", "points": 10, "cap": 10},
        {"code": "outsourcing_contract_missing", "points": 10, "cap": 10},
        {"code": "security_agreement_expired", "points": 10, "cap": 10},
        {"code": "security_agreement_missing", "points": 10, "cap": 10},
    ],
    "bonuses": [
        {"code": "posts", "points": 0.5, "cap": 15},
        {"code": "answered_in_time", "points": 1, "cap": 10},
    ],
    "bonus_cap": 25,
}


def ship(apps, schema_editor):
    Scheme = apps.get_model("oversight", "Scheme")
    for preset in (NATIONAL, LOCAL_100):
        defaults = {**preset, "created_at": IN_FORCE_FROM}
        Scheme.objects.get_or_create(preset=preset["preset"], jurisdiction=None, version=1, defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [("oversight", "0002_schemes_and_comment_closures")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
