"""Export files are kept GOVCMS_EXPORT_RETENTION_DAYS: the hourly task deletes older files of done
jobs, each job stays (expired, with its hash) with one `export.expired` event in the ledger, and
its download then answers 410 `export_expired` (API) or a message (admin). The clock is moved."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import LedgerEvent
from oversight.exports import export_build, export_path
from oversight.models import Export, ExportStatus
from oversight.tasks import exports_expire

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def retention(settings, export_root):
    settings.GOVCMS_EXPORT_RETENTION_DAYS = 30


def built(client, fmt: str) -> Export:
    created = client.post("/api/v1/exports", {"report": "register", "format": fmt, "params": {}})
    assert created.status_code == 202, created.content
    return export_build(created.json()["id"])


def test_old_files_are_deleted_and_the_jobs_kept(org, make_user, api, clock, admin_client_for):
    auditor = make_user("ret_auditor", "auditor", org.city_a)
    old = built(api("ret_auditor"), "csv")
    old_file = export_path(old)
    assert old.status == ExportStatus.DONE and old_file.is_file() and len(old.sha256) == 64
    clock.move_to(timezone.now() + timedelta(days=20))
    young = built(api("ret_auditor"), "xlsx")  # a new token: the first one has expired
    queued = Export.objects.create(requester=auditor, report="register", format="csv")  # never built
    failed = Export.objects.create(
        requester=auditor, report="register", format="csv", status=ExportStatus.FAILED, finished_at=old.finished_at
    )
    clock.move_to(timezone.now() + timedelta(days=10, hours=1))  # old: 30 days and an hour; young: 10 days

    assert exports_expire() == 1
    old.refresh_from_db()
    assert (old.status, old.file_name, old.sha256) == (ExportStatus.EXPIRED, "", built_hash(old))
    assert old.expired_at is not None and not old_file.exists()
    assert export_path(young).is_file()
    assert Export.objects.get(pk=young.pk).status == ExportStatus.DONE
    assert {Export.objects.get(pk=e.pk).status for e in (queued, failed)} == {ExportStatus.QUEUED, ExportStatus.FAILED}
    (event,) = LedgerEvent.objects.filter(action="export.expired")
    assert (event.object_id, event.data["sha256"], event.data["retention_days"]) == (str(old.pk), old.sha256, 30)

    client = api("ret_auditor")
    gone = client.get(f"/api/v1/exports/{old.pk}/file")
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "export_expired"
    job = client.get(f"/api/v1/exports/{old.pk}").json()
    assert (job["status"], job["sha256"], job["download_url"]) == ("expired", old.sha256, None)
    assert job["expired_at"] is not None
    admin = admin_client_for(auditor)
    page = admin.get(reverse("exports_admin:download", args=[old.pk]), follow=True).content.decode()
    assert "已超过保留期限" in page and "已过期" in page

    assert exports_expire() == 0  # nothing more is due: one event per deletion
    assert LedgerEvent.objects.filter(action="export.expired").count() == 1
    clock.move_to(timezone.now() + timedelta(days=21))
    assert exports_expire() == 1
    assert not export_path(young).exists() and LedgerEvent.objects.filter(action="export.expired").count() == 2


def built_hash(export: Export) -> str:
    """The hash `report.exported` recorded when the file was built (the proof that stays)."""
    return LedgerEvent.objects.get(action="report.exported", object_id=str(export.pk)).data["sha256"]


def test_the_task_is_in_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["exports-expire"]
    assert entry["task"] == exports_expire.name == "oversight.tasks.exports_expire"
