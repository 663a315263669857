from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from api import api
from api.errors import unknown_path
from govcms.admin_scope import report_urlpatterns
from inbox.views import qa_page
from publishing.views import post_short_link

urlpatterns = [
    # Wagtail's reports narrowed to the user's jurisdiction, with formula-safe spreadsheet
    # exports (`govcms.spreadsheets`): the same paths as Wagtail's, matched before them.
    path("admin/reports/", include(report_urlpatterns)),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # The API's root and every path no operation answers: 404 in the API's error shape.
    path("api/v1/", unknown_path),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", unknown_path),
    path("p/<int:post_id>/", post_short_link, name="post_short_link"),
    # The public Q&A (部门答疑) of an agency: answers published with the author's consent.
    path("qa/<int:agency_id>/", qa_page, name="inbox_qa"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
